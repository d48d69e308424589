"""Progress for builds and image loads. In Jupyter a small HTML bar updated in place (one display
handle, no widget library needed); elsewhere nothing is drawn unless a callback is given. A
callback receives every message the daemon streams (a dict such as {"stream": "Step 2/4 : RUN ..."}).
"""
from __future__ import annotations

import html
import re
from typing import Any, Callable, Dict, Optional

_STEP = re.compile(r"Step (\d+)/(\d+)")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython with a kernel attached)."""
    try:
        from IPython import get_ipython  # type: ignore
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Progress:
    """Tracks 'Step n/N' lines (builds) or byte counts (loads) and shows them."""

    def __init__(self, title: str, callback: Optional[Callable[[Dict[str, Any]], Any]], draw: bool):
        self.title = title
        self.callback = callback
        self.done_steps = 0
        self.total_steps = 0
        self.last_line = ""
        self.messages = 0
        self._handle = None
        if draw:
            from IPython.display import HTML, display  # type: ignore
            self._html = HTML
            self._handle = display(HTML(self._render()), display_id=True)

    @classmethod
    def for_build(cls, progress: Any, title: str) -> "Progress":
        return cls._make(progress, "build " + title)

    @classmethod
    def for_load(cls, progress: Any, title: str) -> "Progress":
        return cls._make(progress, "load " + title)

    @classmethod
    def _make(cls, progress: Any, title: str) -> "Progress":
        if callable(progress):
            return cls(title, progress, draw=False)
        return cls(title, None, draw=bool(progress) and in_notebook())

    def update(self, message: Dict[str, Any]) -> None:
        self.messages += 1
        text = str(message.get("stream") or message.get("status") or "").strip()
        step = _STEP.search(text)
        if step:
            self.done_steps, self.total_steps = int(step.group(1)), int(step.group(2))
        detail = message.get("progressDetail") or {}
        if detail.get("total"):
            self.done_steps, self.total_steps = int(detail.get("current", 0)), int(detail["total"])
        if text:
            self.last_line = text.splitlines()[-1]
        if self.callback is not None:
            self.callback(message)
        self._draw()

    def finish(self, failed: bool = False) -> None:
        if not failed and self.total_steps:
            self.done_steps = self.total_steps
        self._draw(final=True, failed=failed)

    def _draw(self, final: bool = False, failed: bool = False) -> None:
        if self._handle is not None:
            self._handle.update(self._html(self._render(final, failed)))

    def _render(self, final: bool = False, failed: bool = False) -> str:
        total = max(self.total_steps, 1)
        value = self.done_steps if self.total_steps else (total if final else 0)
        state = "failed" if failed else ("done" if final else "running")
        colour = "#cf222e" if failed else "#1a7f37"
        line = html.escape(self.last_line[-160:])
        return (f'<div style="font-family:monospace"><b>{html.escape(self.title)}</b> '
                f'<progress value="{value}" max="{total}" style="width:16em;accent-color:{colour}"></progress> '
                f'{self.done_steps}/{self.total_steps or "?"} {state}<br><span style="color:#57606a">{line}</span></div>')
