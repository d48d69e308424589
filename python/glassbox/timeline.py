"""glassbox.replay(path): a recording read back with the engine's C++ reader
(engine/state/record.h). Pure file reading: no daemon, no root, so a class can replay on laptops
what the teacher recorded on the lab machine."""
from __future__ import annotations

from typing import Any, Iterator, List, Optional

from . import _glassbox


class Timeline:
    """The entries of a recording, in order: snapshots and events (engine events and the kernel
    changes the daemon reported after them)."""

    def __init__(self, path: str):
        self.path = path
        self.entries = list(_glassbox.read_timeline(path))

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[_glassbox.TimelineEntry]:
        return iter(self.entries)

    def __getitem__(self, index: int) -> _glassbox.TimelineEntry:
        return self.entries[index]

    @property
    def snapshots(self) -> List[_glassbox.Snapshot]:
        return [entry.snapshot for entry in self.entries if entry.type == "snapshot"]

    @property
    def events(self) -> List[Any]:
        return [entry.event for entry in self.entries if entry.type == "event"]

    def changes(self) -> List[Any]:
        """The kernel-change events ({"type": "change", "diff": ..., "text": ...})."""
        return [event for event in self.events if isinstance(event, dict) and event.get("type") == "change"]

    def diff(self, first: int = 0, last: int = -1, glassbox_only: bool = True,
             include_usage: bool = False) -> _glassbox.Diff:
        """The diff between two recorded snapshots (by position among the snapshots), computed
        here with the engine's diff: what happened between them in the kernel."""
        snapshots = self.snapshots
        if not snapshots:
            raise _glassbox.InvalidArgument(f"{self.path} holds no snapshot")
        return _glassbox.diff_snapshots(snapshots[first], snapshots[last], glassbox_only=glassbox_only,
                                        include_usage=include_usage)

    def text(self) -> str:
        """The whole recording as `glassbox replay` prints it."""
        return "".join(entry.text() for entry in self.entries)

    def __repr__(self) -> str:
        return (f"<Timeline {self.path}: {len(self.snapshots)} snapshots, "
                f"{len(self.entries) - len(self.snapshots)} events>")

    def _repr_html_(self) -> str:
        from .display import timeline_html
        return timeline_html(self)


def replay(path: str) -> Timeline:
    """Reads a recording (glassbox record FILE, or Glassbox.record). InvalidArgument names the
    file and line of a malformed entry; a missing file raises GlassboxError with errno ENOENT."""
    return Timeline(path)
