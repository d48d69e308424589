#!/bin/sh
# Times a plain process (/bin/true) and a container running the same kind of program
# (glassbox run --rm IMAGE true), five runs each, and prints milliseconds per run. For a VM it
# prints the boot time scripts/kernel-lab measured last, when the kernel lab has run here.
now_ms() { date +%s%N | cut -c1-13; }
image=${1:-busybox:1.35.0}
runs=5
start=$(now_ms)
i=0
while [ $i -lt $runs ]; do /bin/true; i=$((i + 1)); done
process=$(( ($(now_ms) - start) / runs ))
start=$(now_ms)
i=0
while [ $i -lt $runs ]; do glassbox run --rm "$image" true; i=$((i + 1)); done
container=$(( ($(now_ms) - start) / runs ))
echo "process (/bin/true):                     ${process} ms per run"
echo "container (glassbox run --rm ... true):  ${container} ms per run"
lab=${GLASSBOX_BUILD_DIR:-$(dirname "$0")/../../build}/kernel-lab/boot-ms
if [ -f "$lab" ]; then
    echo "virtual machine (scripts/kernel-lab, qemu): $(cat "$lab") ms to boot a kernel to its first program"
else
    echo "virtual machine: run scripts/kernel-lab to measure a kernel boot under qemu (tens of seconds)"
fi
