#!/usr/bin/env bash
# Installs every Debian package glassbox builds, tests and benchmarks with (the table in README.md
# says why each is there). Idempotent: when everything is present it asks dpkg and prints nothing.
# apt-get update runs only when a package is missing.
#
# docker.io is installed for the differential tests and benchmarks only. Its maintainer scripts
# would start docker.service and containerd (through invoke-rc.d / deb-systemd-invoke), and a
# running dockerd creates the docker0 bridge and iptables NAT rules on the host. We never want
# that: a policy-rc.d that exits 101 ("action forbidden") is in place during the install, the
# services are disabled afterwards, and we check that no dockerd, containerd or docker0 appeared.
set -euo pipefail

# Grouped as in README.md's dependency table, then the build and test tools.
packages=(
    # GUI
    libimgui-dev libglfw3-dev libgraphviz-dev
    # netlink, JSON, YAML, tar layers, sha256, packet filter, seccomp and capabilities, CLI
    libnl-3-dev libnl-route-3-dev libnl-genl-3-dev nlohmann-json3-dev libyaml-cpp-dev
    libarchive-dev libssl-dev libnftables-dev libseccomp-dev libcap-dev libcli11-dev
    # Python bindings, tests and notebooks
    pybind11-dev python3-dev python3-pytest python3-nbclient python3-ipykernel jupyter-notebook
    # C++ tests and benchmarks
    libgtest-dev googletest libbenchmark-dev
    # base images
    busybox-static debootstrap
    # headless GUI checks
    xvfb libgl1-mesa-dri
    # build tools
    cmake ninja-build g++ pkg-config git clang-format-14 clang-tidy-14
    # libFuzzer targets with ASan/UBSan (scripts/fuzz)
    clang-14 libclang-rt-14-dev
    # kernel tools the tests and the kernel lab use
    iproute2 nftables qemu-system-x86 file
    # real peers: differential tests and benchmarks
    docker.io runc crun docker-compose
)

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ "$status" == ii* ]] || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages (${missing[*]}); run this script as root" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"

# Forbid service starts while apt runs, unless a policy already does so. Restore whatever
# was there before on exit.
policy=/usr/sbin/policy-rc.d
policy_backup=""
if [[ ! -x $policy ]] || ! grep -q 'exit 101' "$policy"; then
    if [[ -e $policy ]]; then
        policy_backup=$(mktemp)
        cp -p "$policy" "$policy_backup"
    fi
    printf '#!/bin/sh\n# glassbox install-deps: no service starts during install.\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    restore_policy()
    {
        if [[ -n $policy_backup ]]; then
            mv "$policy_backup" "$policy"
        else
            rm -f "$policy"
        fi
    }
    trap restore_policy EXIT
fi

had_docker0=no
ip link show docker0 >/dev/null 2>&1 && had_docker0=yes
dockerd_before=$(pgrep -x dockerd || true)
containerd_before=$(pgrep -x containerd || true)

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
apt_log=$(mktemp /tmp/glassbox-install-deps.XXXXXX.log)
# Without recommends: qemu would pull ~130 GUI packages, docker.io would pull apparmor and the
# like. Nothing we run needs them.
if ! { apt-get "${apt_opts[@]}" update &&
    apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "install-deps: apt-get failed (log above, kept in $apt_log)" >&2
    exit 1
fi
rm -f "$apt_log"

# Keep the peers' services off for good (works with or without systemd running).
for unit in docker.service docker.socket containerd.service; do
    if command -v systemctl >/dev/null && systemctl list-unit-files "$unit" >/dev/null 2>&1; then
        systemctl disable "$unit" >/dev/null 2>&1 || true
    fi
done
for script in docker containerd; do
    [[ -e /etc/init.d/$script ]] && update-rc.d "$script" disable >/dev/null 2>&1 || true
done

# Verify that the install started nothing. If it did (a policy we did not control), stop
# exactly the processes that appeared during the install, by PID.
for daemon in dockerd containerd; do
    before_var="${daemon}_before"
    for pid in $(pgrep -x "$daemon" || true); do
        if ! grep -qw "$pid" <<<"${!before_var}"; then
            echo "install-deps: $daemon (pid $pid) was started by the package install; stopping it" >&2
            kill "$pid" || true
        fi
    done
done
if [[ $had_docker0 == no ]] && ip link show docker0 >/dev/null 2>&1; then
    echo "install-deps: removing the docker0 bridge the install created" >&2
    ip link delete docker0 || true
fi
if [[ $had_docker0 == no ]] && command -v iptables >/dev/null && iptables -t nat -S DOCKER >/dev/null 2>&1; then
    echo "install-deps: dockerd left iptables chains; remove them with: iptables -t nat -F DOCKER" >&2
    exit 1
fi
echo "install-deps: done"
