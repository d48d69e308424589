"""gb.lessons: the guided lessons from a notebook, through the engine's own lesson runner
(engine/lesson/runner.h, bound as _glassbox.LessonRunner), so a notebook, the CLI's `glassbox lesson`
and the visualizer agree on steps, checks and progress. Check results render as a PASS/FAIL table.
"""
from __future__ import annotations

import html
import os
from typing import Any, Dict, List, Optional

from . import _glassbox
from .daemon import find_cli, find_daemon


class CheckReport(dict):
    """The result of checking a step: {"lesson", "step", "passed", "checks": [{"that", "passed",
    "found", "hint", "focus"}]}."""

    @property
    def passed(self) -> bool:
        return bool(self.get("passed"))

    def hints(self) -> List[str]:
        return [c.get("hint", "") for c in self.get("checks", []) if not c.get("passed") and c.get("hint")]

    def _repr_html_(self) -> str:
        rows = []
        for check in self.get("checks", []):
            ok = check.get("passed")
            colour = "#dafbe1" if ok else "#ffebe9"
            extra = "" if ok else f"<br><i>{html.escape(check.get('hint', ''))}</i>"
            rows.append(f'<tr style="background:{colour}"><td>{"PASS" if ok else "FAIL"}</td>'
                        f"<td>{html.escape(check.get('that', ''))}{extra}</td>"
                        f"<td>{html.escape(str(check.get('found', '')))}</td></tr>")
        return (f"<table style='font-family:monospace;font-size:12px'><caption>{html.escape(str(self.get('lesson')))} "
                f"step {html.escape(str(self.get('step')))}</caption><tr><th></th><th>check</th><th>found</th></tr>"
                + "".join(rows) + "</table>")


class Lessons:
    """list(), start(name), show(), check(), hint(), next(), back(), run(), reset(), solve(name)."""

    def __init__(self, client: Any, lessons_dir: Optional[str] = None, progress_path: str = ""):
        if not hasattr(_glassbox, "LessonRunner"):
            raise _glassbox.GlassboxError("this build of _glassbox has no lesson runner (engine/lesson was not built)")
        daemon = find_daemon() or ""
        if lessons_dir is None:
            lessons_dir = os.environ.get("GLASSBOX_LESSONS_DIR") or _glassbox.find_lessons_dir(daemon)
        self.lessons_dir = lessons_dir
        self._runner = _glassbox.LessonRunner(lessons_dir, client.api.socket_path, find_cli() or "", progress_path)

    def list(self, timeout: Optional[float] = 60.0) -> List[Dict[str, Any]]:
        return self._runner.list(timeout=timeout)

    def start(self, name: str, timeout: Optional[float] = 60.0) -> Dict[str, Any]:
        """Makes `name` ("01", "first-container", "01-first-container") the current lesson; refuses
        with KernelFeatureMissing when this kernel lacks what it needs."""
        return self._runner.start(name, timeout=timeout)

    def show(self, timeout: Optional[float] = 60.0) -> Dict[str, Any]:
        return self._runner.show(timeout=timeout)

    def check(self, timeout: Optional[float] = 60.0) -> CheckReport:
        return CheckReport(self._runner.check(timeout=timeout))

    def hint(self, timeout: Optional[float] = 60.0) -> List[str]:
        """The hints of the current step's failing checks (empty when all pass)."""
        return self.check(timeout=timeout).hints()

    def next(self, force: bool = False, timeout: Optional[float] = 60.0) -> Dict[str, Any]:
        return self._runner.next(force, timeout=timeout)

    def back(self, timeout: Optional[float] = 60.0) -> Dict[str, Any]:
        return self._runner.back(timeout=timeout)

    def run(self, timeout: Optional[float] = 600.0) -> List[Dict[str, Any]]:
        return self._runner.run(timeout=timeout)

    def reset(self, name: str = "", timeout: Optional[float] = 300.0) -> List[str]:
        return self._runner.reset(name, timeout=timeout)

    def solve(self, name: str, keep: bool = False, timeout: Optional[float] = 900.0) -> Dict[str, Any]:
        return self._runner.solve(name, keep, timeout=timeout)
