"""The real `docker build` (legacy builder: POST /build with a tar context) against glassboxd, then
`docker run` of the result; the default and DOCKER_BUILDKIT=0 both use that endpoint with this CLI.
"""
import os

import pytest

from glassbox_harness import unique

pytestmark = pytest.mark.usefixtures("docker_cli")


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def write_context(directory, image):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "Dockerfile"), "w") as f:
        f.write(f"FROM {image}\n"
                "RUN echo built > /built.txt\n"
                "COPY hello.txt /hello.txt\n"
                'CMD ["cat", "/built.txt", "/hello.txt"]\n')
    with open(os.path.join(directory, "hello.txt"), "w") as f:
        f.write("hello from the context\n")


@pytest.mark.parametrize("buildkit", ["", "0"])
def test_docker_build_makes_an_image_that_docker_run_runs(daemon, image, tmp_path, buildkit):
    write_context(str(tmp_path), image)
    tag = f"{unique('gbt-built')}:1"
    env = {"DOCKER_BUILDKIT": buildkit} if buildkit else {}
    build = daemon.docker("build", "-t", tag, str(tmp_path), timeout=300, extra_env=env)

    out = ok(build)
    assert "Step 2/4 : RUN echo built > /built.txt" in out
    assert f"Successfully tagged {tag}" in out
    assert ok(daemon.docker("run", "--rm", tag)) == "built\nhello from the context\n"

    rebuilt = ok(daemon.docker("build", "-t", tag, str(tmp_path), timeout=300, extra_env=env))
    assert rebuilt.count("Using cache") == 3, rebuilt
    ok(daemon.docker("rmi", tag))


def test_failed_build_reports_the_step_and_exits_non_zero(daemon, image, tmp_path):
    with open(tmp_path / "Dockerfile", "w") as f:
        f.write(f"FROM {image}\nRUN exit 3\n")

    build = daemon.docker("build", "-t", f"{unique('gbt-broken')}:1", str(tmp_path), timeout=300)

    assert build.returncode != 0
    assert "returned a non-zero code: 3" in build.stderr + build.stdout


def test_system_df_v_shows_which_images_share_each_layer(daemon, image, tmp_path):
    tags = []
    for variant in ("one", "two"):
        context = tmp_path / variant
        context.mkdir()
        (context / "Dockerfile").write_text(f"FROM {image}\nRUN echo {variant} > /variant\n")
        tag = f"{unique('gbt-share')}:{variant}"
        ok(daemon.docker("build", "-t", tag, str(context), timeout=300))
        tags.append(tag)

    out = daemon.cli("system", "df", "-v")

    assert out.returncode == 0, out.stderr
    section = out.stdout.split("Layers (each stored once) and the images that share them:")[1].split("Containers space usage:")[0]
    shared = [line for line in section.splitlines() if tags[0] in line and tags[1] in line]
    assert len(shared) == 1, section  # The base layer, stored once, used by both builds.
    for tag in tags:
        ok(daemon.docker("rmi", tag))
