"""`glassbox build` against a private glassboxd: the context tar honours .dockerignore, -f may name
a Dockerfile outside the context, --build-arg and --target reach the builder, the lint summary is
printed, lints are warnings unless the Dockerfile says `# check=error=true` (then an unpinned base
is refused), --strict refuses lint warnings before anything is built, and
GLASSBOX_LESSON labels the image.
"""
import json
import os
import subprocess

import pytest

import glassbox_harness as harness


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def build(daemon, *args, env=None):
    """Runs glassbox build against the private daemon (stdin closed, output captured)."""
    return subprocess.run([harness.CLI, "-H", daemon.host, "build", *args], capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL, env=env)


def image_exists(daemon, ref):
    return daemon.cli("image", "inspect", ref).returncode == 0


@pytest.fixture
def context(tmp_path, image):
    root = tmp_path / "ctx"
    write(str(root / "keep.txt"), "kept\n")
    write(str(root / "secret.txt"), "never sent\n")
    write(str(root / "logs" / "big.log"), "x" * 100000)
    write(str(root / "logs" / "wanted.log"), "re-included\n")
    write(str(root / ".dockerignore"), "secret.txt\nlogs\n!logs/wanted.log\n")
    write(str(root / "Dockerfile"),
          f"FROM {image}\nARG WHO=nobody\nCOPY . /ctx\nRUN echo \"$WHO\" > /ctx/who\nCMD [\"sleep\", \"3600\"]\n")
    return root


def test_build_honours_dockerignore_and_build_args(daemon, glassbox_cli, context, name):
    tag = f"{name}:1"
    result = build(daemon, "-t", tag, "--build-arg", "WHO=builder", str(context))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lint: 0 error(s), 0 warning(s)" in result.stdout
    listing = daemon.cli("run", "--rm", tag, "sh", "-c", "cd /ctx && find . -type f | sort && cat who")
    assert listing.returncode == 0, listing.stderr
    files = listing.stdout.split()
    assert "./keep.txt" in files and "./logs/wanted.log" in files
    assert "./secret.txt" not in files and "./logs/big.log" not in files
    assert files[-1] == "builder"
    daemon.cli("rmi", tag)


def test_build_with_dockerfile_outside_the_context_and_a_target(daemon, glassbox_cli, tmp_path, image, name):
    context = tmp_path / "c"
    write(str(context / "hello.txt"), "hello\n")
    dockerfile = tmp_path / "elsewhere" / "Build.file"
    write(str(dockerfile), f"FROM {image} AS first\nCOPY hello.txt /first\n"
                           f"FROM {image} AS second\nCOPY hello.txt /second\n")
    tag = f"{name}:first"
    result = build(daemon, "-t", tag, "-f", str(dockerfile), "--target", "first", str(context))
    assert result.returncode == 0, result.stdout + result.stderr
    probe = daemon.cli("run", "--rm", tag, "sh", "-c", "cat /first; ls /second 2>&1 || true")
    assert "hello" in probe.stdout and "No such file" in probe.stdout
    daemon.cli("rmi", tag)


def test_unpinned_base_is_refused_with_the_check_error_directive(daemon, glassbox_cli, tmp_path, name):
    write(str(tmp_path / "bad" / "Dockerfile"), "# check=error=true\nFROM busybox\nRUN true\n")
    result = build(daemon, "-t", f"{name}:bad", str(tmp_path / "bad"))
    assert result.returncode != 0
    assert "latest-tag" in result.stdout + result.stderr
    assert "Lint: 1 error(s), 0 warning(s)" in result.stderr
    assert "check=error=true" in result.stderr
    assert not image_exists(daemon, f"{name}:bad")


def test_unpinned_base_is_only_a_warning_by_default(daemon, glassbox_cli, tmp_path, image, name):
    # An untagged FROM means :latest; tag the base image so, and the build goes through with the
    # lint printed as a warning (Docker's build-check convention).
    base = f"{name}-base"
    assert daemon.cli("tag", image, f"{base}:latest").returncode == 0
    write(str(tmp_path / "plain" / "Dockerfile"), f"FROM {base}\nRUN true\n")
    result = build(daemon, "-t", f"{name}:plain", str(tmp_path / "plain"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning [latest-tag]" in result.stdout
    assert "Lint: 0 error(s), 1 warning(s)" in result.stdout
    assert image_exists(daemon, f"{name}:plain")
    daemon.cli("rmi", f"{name}:plain")
    daemon.cli("rmi", f"{base}:latest")


def test_strict_refuses_warnings_before_building(daemon, glassbox_cli, tmp_path, image, name):
    write(str(tmp_path / "idle" / "Dockerfile"), f"FROM {image}\nCMD tail -f /dev/null\n")
    strict = build(daemon, "--strict", "-t", f"{name}:strict", str(tmp_path / "idle"))
    assert strict.returncode != 0
    assert "keep-alive" in strict.stderr and "nothing was built" in strict.stderr
    assert not image_exists(daemon, f"{name}:strict")
    relaxed = build(daemon, "-t", f"{name}:relaxed", str(tmp_path / "idle"))
    assert relaxed.returncode == 0, relaxed.stderr
    assert "Lint: 0 error(s), 2 warning(s)" in relaxed.stdout
    daemon.cli("rmi", f"{name}:relaxed")


def test_lesson_label_and_quiet_output(daemon, glassbox_cli, context, name):
    env = dict(os.environ, GLASSBOX_LESSON="02-dockerfiles-images")
    result = build(daemon, "-q", "-t", f"{name}:lesson", str(context), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("sha256:") and len(result.stdout.split()) == 1
    labels = daemon.cli("image", "inspect", "-f", "{{json .Config.Labels}}", f"{name}:lesson")
    assert json.loads(labels.stdout)["glassbox.lesson"] == "02-dockerfiles-images"
    daemon.cli("rmi", f"{name}:lesson")


def test_missing_context_is_a_clear_error(daemon, glassbox_cli, tmp_path):
    result = build(daemon, str(tmp_path / "nope"))
    assert result.returncode != 0
    assert "nope" in result.stderr and "not found" in result.stderr
