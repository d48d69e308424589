"""Shared by the test_python_*.py suites: makes the built `glassbox` package importable
(<build>/python, where CMake puts the _glassbox extension next to links to python/glassbox/*.py)
and says why it cannot be when it is not built."""
import importlib
import os
import sys

import glassbox_harness as harness

PYTHON_DIR = os.path.join(harness.BUILD, "python")


def import_glassbox():
    """The glassbox module, or None when the extension is not built."""
    if PYTHON_DIR not in sys.path:
        sys.path.insert(0, PYTHON_DIR)
    try:
        return importlib.import_module("glassbox")
    except ImportError:
        return None


def missing_reason():
    if import_glassbox() is None:
        return f"the glassbox Python module is not built ({PYTHON_DIR}); build the _glassbox target"
    return None


def env_with_package(**extra):
    """os.environ with <build>/python first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHON_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env
