"""Rich display in Jupyter: a snapshot, a diff, a network topology and an image's layers as HTML
tables or an SVG diagram instead of a wall of JSON. The colours follow the visualizer's: added
objects green, removed red, changed amber. Every function takes the engine's own types (from
_glassbox) and returns a str, so they work outside Jupyter too (write the HTML to a file).
"""
from __future__ import annotations

import html
from typing import Any, Dict, Iterable, List, Optional, Sequence

ADDED = "#dafbe1"
REMOVED = "#ffebe9"
CHANGED = "#fff8c5"
_STYLE = ("<style>.gbx{border-collapse:collapse;font-family:monospace;font-size:12px;margin:4px 0}"
          ".gbx th{background:#f6f8fa;text-align:left}.gbx td,.gbx th{border:1px solid #d0d7de;padding:2px 6px;"
          "vertical-align:top}.gbx caption{text-align:left;font-weight:bold;padding:4px 0}</style>")
MAX_ROWS = 60


def _e(value: Any) -> str:
    return html.escape(str(value))


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], colours: Optional[List[str]] = None,
          limit: int = MAX_ROWS) -> str:
    """An HTML table; rows past `limit` are counted, not shown."""
    rows = list(rows)
    out = [f'<table class="gbx"><caption>{_e(caption)} ({len(rows)})</caption><tr>']
    out += [f"<th>{_e(h)}</th>" for h in headers]
    out.append("</tr>")
    for index, row in enumerate(rows[:limit]):
        colour = colours[index] if colours else ""
        style = f' style="background:{colour}"' if colour else ""
        out.append(f"<tr{style}>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>")
    if len(rows) > limit:
        out.append(f'<tr><td colspan="{len(headers)}">... {len(rows) - limit} more</td></tr>')
    out.append("</table>")
    return "".join(out)


def _short(ident: str, length: int = 12) -> str:
    return ident.split(":", 1)[-1][:length] if ident else ""


def _size(value: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024.0
    return str(value)


# [SECTION] Snapshot

def snapshot_html(snapshot: Any) -> str:
    """Containers with PID 1 and namespaces (marked 'host' when shared with the host), then
    glassbox's own namespaces, mounts, links, networks, volumes and images."""
    host_ns = dict(snapshot.host_namespaces)
    parts = [_STYLE, f"<div><b>Snapshot {snapshot.generation}</b> taken {_e(snapshot.taken_at)} on "
                     f"{_e(snapshot.hostname)}, kernel {_e(snapshot.kernel.release)} "
                     f"(cgroups {_e(snapshot.kernel.cgroup_layout)}): {len(snapshot.containers)} containers, "
                     f"{len(snapshot.processes)} processes, {len(snapshot.namespaces)} namespaces, "
                     f"{len(snapshot.mounts)} mounts, {len(snapshot.links)} links</div>"]
    rows = []
    for c in snapshot.containers:
        ns = ", ".join(f"{t}:{'host' if host_ns.get(t) == inode else inode}" for t, inode in sorted(c.namespaces.items()))
        rows.append([c.name, _short(c.id), ", ".join(c.image_tags) or _short(c.image_id), c.status, c.pid or "",
                     len(c.processes), ns])
    parts.append(table("Containers", ["name", "id", "image", "status", "host PID 1", "processes", "namespaces"], rows))
    owned = lambda items: [item for item in items if item.owner]  # noqa: E731
    parts.append(table("Namespaces glassbox made", ["type", "inode", "first PID", "members", "container"],
                       [[n.type, n.inode, n.owner_pid, len(n.members), _container_name(snapshot, n.container_id)]
                        for n in owned(snapshot.namespaces)]))
    parts.append(table("Processes in containers", ["host PID", "NSpid", "comm", "state", "container"],
                       [[p.pid, " > ".join(str(x) for x in p.nspid), p.comm, p.state_name,
                         _container_name(snapshot, p.container_id)] for p in owned(snapshot.processes)]))
    parts.append(table("Mounts glassbox made", ["kind", "mount point", "fstype", "lower layers", "container"],
                       [[m.kind, m.mount_point, m.fstype, len(m.lower_dirs) or "",
                         _container_name(snapshot, m.container_id)] for m in owned(snapshot.mounts)]))
    parts.append(table("Links glassbox made", ["name", "kind", "where", "master", "peer", "up"],
                       [[l.name, l.kind, snapshot.describe_netns(l.netns), l.master_name, l.peer_name,
                         "up" if l.up else "down"] for l in owned(snapshot.links)]))
    parts.append(table("Networks", ["name", "driver", "bridge/parent", "subnet", "endpoints"],
                       [[n.name, n.driver, n.bridge_name or n.parent, n.subnet, len(n.endpoints)]
                        for n in snapshot.networks]))
    parts.append(table("Images", ["tags", "id", "layers"],
                       [[", ".join(i.tags), _short(i.id), len(i.layers)] for i in snapshot.images]))
    if snapshot.warnings:
        parts.append("<div>Warnings: " + _e("; ".join(snapshot.warnings)) + "</div>")
    return "".join(parts)


def _container_name(snapshot: Any, container_id: str) -> str:
    if not container_id:
        return ""
    found = snapshot.container(container_id)
    return found.name if found is not None else _short(container_id)


# [SECTION] Diff

def diff_html(diff: Any) -> str:
    """One row per change: + added (green), - removed (red), ~ changed (amber) with its fields."""
    marks = {"added": ("+", ADDED), "removed": ("-", REMOVED), "changed": ("~", CHANGED)}
    rows, colours = [], []
    for change in diff.changes:
        mark, colour = marks.get(change.type, ("?", ""))
        rows.append([mark, change.kind, change.sentence, "; ".join(change.fields)])
        colours.append(colour)
    if not rows:
        return _STYLE + f"<div><b>No kernel changes</b> (snapshot {diff.from_generation} -> {diff.to_generation})</div>"
    counts = {kind: sum(1 for c in diff.changes if c.type == kind) for kind in marks}
    caption = (f"Kernel changes, snapshot {diff.from_generation} -> {diff.to_generation}: "
               f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed")
    return _STYLE + table(caption, ["", "kind", "what", "fields"], rows, colours, limit=200)


# [SECTION] Kernel features

def features_html(kernel: Any) -> str:
    rows = [[f.name, "yes" if f.available else "no", f.detail] for f in kernel.features]
    colours = [ADDED if f.available else REMOVED for f in kernel.features]
    return _STYLE + table(f"Kernel {kernel.release}, cgroups {kernel.cgroup_layout}", ["feature", "available", "detail"],
                          rows, colours, limit=200)


# [SECTION] Image layers

class ImageLayers:
    """An image's layers, lowest first, with the images and containers that share each."""

    def __init__(self, snapshot: Any, image_id: str):
        self.image = next((i for i in snapshot.images if i.id == image_id or i.id.endswith(image_id)), None)
        by_id = {layer.diff_id: layer for layer in snapshot.layers}
        names = {i.id: (i.tags[0] if i.tags else _short(i.id)) for i in snapshot.images}
        self.rows = []
        for diff_id in (self.image.layers if self.image else []):
            layer = by_id.get(diff_id)
            self.rows.append({
                "diff_id": diff_id,
                "size": layer.size if layer else 0,
                "created_by": layer.created_by if layer else "",
                "images": [names.get(i, _short(i)) for i in (layer.image_ids if layer else [])],
                "containers": [_container_name(snapshot, c) for c in (layer.container_ids if layer else [])],
            })

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Dict[str, Any]:
        return self.rows[index]

    def __repr__(self) -> str:
        return f"<ImageLayers {len(self.rows)} layers>"

    def _repr_html_(self) -> str:
        title = ", ".join(self.image.tags) if self.image and self.image.tags else "image"
        rows = [[n + 1, _short(r["diff_id"], 16), _size(r["size"]), r["created_by"], ", ".join(r["images"]),
                 ", ".join(r["containers"])] for n, r in enumerate(self.rows)]
        colours = [ADDED if len(r["images"]) > 1 else "" for r in self.rows]
        return _STYLE + table(f"Layers of {title}, lowest first (green: shared with another image)",
                              ["#", "diff id", "size", "instruction", "images", "containers"], rows, colours)


def image_html(image: Any) -> str:
    return _STYLE + table(f"Image {', '.join(image.tags) or image.short_id}", ["field", "value"],
                          [["id", image.id], ["created", image.attrs.get("Created", "")],
                           ["size", _size(int(image.attrs.get("Size") or 0))],
                           ["layers", len((image.attrs.get("RootFS") or {}).get("Layers") or [])],
                           ["cmd", " ".join((image.attrs.get("Config") or {}).get("Cmd") or [])]])


def network_html(network: Any) -> str:
    attrs = network.attrs
    rows = [[info.get("Name", ""), _short(cid), info.get("IPv4Address", ""), info.get("MacAddress", "")]
            for cid, info in (attrs.get("Containers") or {}).items()]
    subnets = ", ".join(c.get("Subnet", "") for c in ((attrs.get("IPAM") or {}).get("Config") or []))
    return _STYLE + table(f"Network {network.name} ({attrs.get('Driver', '')}, {subnets})",
                          ["container", "id", "IPv4", "MAC"], rows)


# [SECTION] Network topology

class NetworkTopology:
    """The host, each glassbox network (a bridge, or a macvlan/ipvlan parent) and the containers
    on it, drawn as an SVG: boxes for networks, rounded boxes for containers, one line per endpoint
    labelled with its address. Containers with no network (none) and host-network containers are
    drawn apart."""

    def __init__(self, snapshot: Any):
        self.snapshot = snapshot

    def _layout(self) -> Dict[str, Any]:
        snap = self.snapshot
        networks = list(snap.networks)
        placed = {e.container_id for n in networks for e in n.endpoints}
        host_net = snap.host_namespaces.get("net")
        host_mode = [c for c in snap.containers if c.namespaces.get("net") == host_net and c.pid]
        isolated = [c for c in snap.containers if c.id not in placed and c not in host_mode]
        return {"networks": networks, "host_mode": host_mode, "isolated": isolated}

    def _repr_svg_(self) -> str:
        layout = self._layout()
        column = 210
        width = max(1, len(layout["networks"]) + 2) * column + 20
        rows = max([len(n.endpoints) for n in layout["networks"]] + [len(layout["host_mode"]), len(layout["isolated"]), 1])
        height = 150 + rows * 60
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
               f'font-family="monospace" font-size="11">',
               f'<rect x="10" y="10" width="{width - 20}" height="40" fill="#f6f8fa" stroke="#57606a"/>',
               f'<text x="20" y="35" font-weight="bold">host {_e(self.snapshot.hostname)} (network namespace '
               f'{self.snapshot.host_namespaces.get("net", "?")})</text>']
        columns = [(n.name, f"{n.driver} {n.bridge_name or n.parent} {n.subnet}", list(n.endpoints))
                   for n in layout["networks"]]
        columns.append(("host network", "shares the host's netns", [(c.name, "") for c in layout["host_mode"]]))
        columns.append(("none / own netns", "only lo", [(c.name, "") for c in layout["isolated"]]))
        for index, (title, detail, members) in enumerate(columns):
            x = 20 + index * column
            out.append(f'<line x1="{x + 90}" y1="50" x2="{x + 90}" y2="80" stroke="#57606a"/>')
            out.append(f'<rect x="{x}" y="80" width="180" height="40" fill="#ddf4ff" stroke="#0969da"/>')
            out.append(f'<text x="{x + 6}" y="96" font-weight="bold">{_e(title)[:26]}</text>')
            out.append(f'<text x="{x + 6}" y="112">{_e(detail)[:28]}</text>')
            for row, member in enumerate(members):
                y = 150 + row * 60
                if isinstance(member, tuple):
                    name, address = member
                else:
                    name, address = member.container_name, member.ip_address
                out.append(f'<line x1="{x + 90}" y1="120" x2="{x + 90}" y2="{y}" stroke="#1a7f37"/>')
                out.append(f'<rect x="{x + 10}" y="{y}" width="160" height="40" rx="8" fill="#dafbe1" stroke="#1a7f37"/>')
                out.append(f'<text x="{x + 18}" y="{y + 16}" font-weight="bold">{_e(name)[:22]}</text>')
                out.append(f'<text x="{x + 18}" y="{y + 32}">{_e(address)}</text>')
        out.append("</svg>")
        return "".join(out)

    def _repr_html_(self) -> str:
        rows = []
        for n in self.snapshot.networks:
            for e in n.endpoints:
                rows.append([n.name, n.driver, n.bridge_name or n.parent, e.container_name, e.ip_address, e.host_link])
        return self._repr_svg_() + _STYLE + table("Endpoints", ["network", "driver", "bridge/parent", "container",
                                                                 "address", "host side"], rows)


# [SECTION] Timeline

def timeline_html(timeline: Any) -> str:
    rows = []
    for entry in timeline.entries:
        if entry.type == "snapshot":
            s = entry.snapshot
            rows.append([entry.time, "snapshot", f"generation {s.generation}: {len(s.containers)} containers, "
                                                 f"{len(s.processes)} processes"])
        else:
            rows.append([entry.time, entry.event.get("type", "event"), entry.text().strip()[:200]])
    return _STYLE + table(f"Recording {timeline.path}", ["time", "type", "what"], rows, limit=200)
