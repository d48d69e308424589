"""Builds the small static C programs the security tests run inside containers (any image can
run a static binary): an attacker, a system call probe."""
import os
import shutil
import subprocess


def build_static(source, out_path):
    """Compiles C `source` into the static executable `out_path`; returns None, or why it could
    not be built here (no gcc, no libc.a)."""
    if shutil.which("gcc") is None:
        return "gcc is needed to build a static test program"
    src = out_path + ".c"
    with open(src, "w") as f:
        f.write(source)
    built = subprocess.run(["gcc", "-static", "-O2", "-o", out_path, src], capture_output=True, text=True,
                           timeout=120)
    os.unlink(src)
    if built.returncode != 0:
        return "cannot build a static program here (libc6-dev's libc.a?): " + built.stderr[-300:]
    return None
