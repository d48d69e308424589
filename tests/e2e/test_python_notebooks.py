"""Every notebook in python/notebooks/ executed top to bottom with nbclient, each against a fresh
private glassboxd (GLASSBOX_HOST in the kernel's environment), failing on any cell error; then the
daemon must hold no container, network, volume or extra image the notebook made. Also checks that
the notebooks are committed with their outputs stripped."""
import glob
import os

import pytest

import glassbox_harness as harness
import python_support

NOTEBOOKS = sorted(glob.glob(os.path.join(harness.REPO, "python", "notebooks", "*.ipynb")))

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (python3-nbformat)")


def test_there_are_five_notebooks():
    assert [os.path.basename(p)[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p) for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path}: outputs not stripped"


@pytest.fixture
def fresh_daemon(request):
    reason = harness.missing_reason(need_cli=True) or python_support.missing_reason()
    if reason:
        pytest.skip(reason)
    pytest.importorskip("nbclient", reason="nbclient is not installed (python3-nbclient)")
    d = harness.Daemon(label="nb" + request.node.callspec.id[:2])
    d.start()
    try:
        yield d
    finally:
        alive = d.proc.poll() is None
        left = d.stop()
        assert alive, "glassboxd died while the notebook ran:\n" + d.log_text()
        assert not left, f"glassboxd left mounts behind: {left}"


def _objects(daemon):
    containers = daemon.api_json("GET", "/v1.41/containers/json?all=1")[1]
    networks = sorted(n["Name"] for n in daemon.api_json("GET", "/v1.41/networks")[1])
    volumes = daemon.api_json("GET", "/v1.41/volumes")[1].get("Volumes") or []
    images = sorted(t for i in daemon.api_json("GET", "/v1.41/images/json")[1] for t in (i.get("RepoTags") or []))
    return containers, networks, volumes, images


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p)[:2] for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_and_cleans_up(path, fresh_daemon):
    import nbclient
    before = _objects(fresh_daemon)
    book = nbformat.read(path, as_version=4)
    env_keys = {"GLASSBOX_HOST": fresh_daemon.host, "GLASSBOX_IMAGE": fresh_daemon.tag,
                "PYTHONPATH": python_support.env_with_package()["PYTHONPATH"]}
    saved = {key: os.environ.get(key) for key in env_keys}
    os.environ.update(env_keys)  # The kernel inherits this process's environment.
    try:
        client = nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                                         resources={"metadata": {"path": os.path.dirname(path)}})
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    after = _objects(fresh_daemon)
    assert after == before, "the notebook left objects behind"
