"""A flow drawn as SVG for a front-door manager: boxes by step, arrows labelled by key.

A simple layered layout, no Graphviz: each node sits in the row of its shortest distance from
the start (the message path continues below the rest), arrows go down to later rows and curve
round the side when they go back up (a caller correcting a wrong choice).
"""

from __future__ import annotations

from collections import deque
from html import escape
from typing import Any

from callrouter.domain.flow_check import successors

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 200, 64, 30, 60, 20
COLOURS = {
    "say": "#eef2f7", "menu": "#dbe9ff", "branch": "#f4f4f4", "hours": "#fff1c9",
    "phone": "#e3f6e3", "question": "#e3f6e3", "record": "#e3f6e3",
    "outcome": "#c9efd0", "transfer": "#ffd9d2",
}  # fmt: skip
KIND_WORDS = {
    "say": "says", "menu": "menu", "branch": "decides", "hours": "office hours?",
    "phone": "asks for a number", "question": "asks", "record": "records a message",
    "outcome": "ends", "transfer": "puts through to",
}  # fmt: skip


def layers(spec: dict[str, Any]) -> list[list[str]]:
    """Rows of node ids: shortest distance from the start, then the message path below."""
    nodes = spec["nodes"]
    depth: dict[str, int] = {}
    for entry in (spec["start"], spec.get("message_path")):
        if entry is None or entry in depth:
            continue
        base = max(depth.values(), default=-1) + 1 if depth else 0
        queue = deque([(entry, base)])
        while queue:
            node_id, level = queue.popleft()
            if node_id in depth or node_id not in nodes:
                continue
            depth[node_id] = level
            queue.extend((target, level + 1) for target in successors(nodes[node_id]))
    for node_id in nodes:  # unreachable nodes still get drawn, at the bottom
        depth.setdefault(node_id, max(depth.values(), default=-1) + 1)
    rows: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for node_id in nodes:
        rows[depth[node_id]].append(node_id)
    return [row for row in rows if row]


def _summary(spec: dict, node: dict) -> str:
    kind = node["type"]
    if kind == "transfer":
        return spec["teams"][node["team"]]["name"]
    if kind == "outcome":
        level = f" ({node['level']})" if node.get("level") else ""
        return node["outcome"].replace("_", " ") + level
    if kind in ("phone", "question", "record"):
        return node["field"].replace("_", " ")
    text = node.get("prompt") or node.get("say") or ""
    return text[:60] + ("…" if len(text) > 60 else "")


def _edges(node: dict) -> list[tuple[str, str]]:
    kind = node["type"]
    if kind == "menu":
        return [(option["next"], option["key"]) for option in node["options"]]
    if kind == "branch":
        labels = [", ".join(f"{k}={v}" for k, v in case["when"].items()) for case in node["cases"]]
        return [
            (case["next"], label) for case, label in zip(node["cases"], labels, strict=True)
        ] + [(node["otherwise"], "otherwise")]
    if kind == "hours":
        return [(node["open"], "open"), (node["closed"], "closed")]
    return [(target, "") for target in successors(node)]


def _wrap(text: str, width: int = 30) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return (lines + [line])[:2]


def draw(spec: dict[str, Any]) -> str:
    """Return an SVG document drawing a flow."""
    rows = layers(spec)
    widest = max(len(row) for row in rows)
    width = MARGIN * 2 + widest * (BOX_W + GAP_X) + 80
    height = MARGIN * 2 + 40 + len(rows) * (BOX_H + GAP_Y)
    where: dict[str, tuple[float, float]] = {}
    for r, row in enumerate(rows):
        offset = (width - len(row) * (BOX_W + GAP_X)) / 2
        for c, node_id in enumerate(row):
            where[node_id] = (offset + c * (BOX_W + GAP_X), MARGIN + 40 + r * (BOX_H + GAP_Y))
    row_of = {node_id: r for r, row in enumerate(rows) for node_id in row}
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Arial, sans-serif" font-size="11">'
        ),
        (
            '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
            'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>'
        ),
        (
            f'<text x="{MARGIN}" y="{MARGIN + 14}" font-size="16" font-weight="bold">'
            f"{escape(spec['title'])}</text>"
        ),
    ]
    for node_id, node in spec["nodes"].items():
        x, y = where[node_id]
        for target, label in _edges(node):
            if target not in where:
                continue
            tx, ty = where[target]
            x1, y1 = x + BOX_W / 2, y + BOX_H
            x2, y2 = tx + BOX_W / 2, ty
            if row_of[target] > row_of[node_id]:
                path = f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}"
                lx, ly = (x1 + x2) / 2, (y1 + y2) / 2
            else:  # back or sideways: round the right-hand side
                side = width - MARGIN - 30
                path = (
                    f"M{x + BOX_W:.0f},{y + BOX_H / 2:.0f} C{side:.0f},{y + BOX_H / 2:.0f} "
                    f"{side:.0f},{ty + BOX_H / 2:.0f} {tx + BOX_W:.0f},{ty + BOX_H / 2:.0f}"
                )
                lx, ly = side - 10, (y + ty) / 2 + BOX_H / 2
            out.append(f'<path d="{path}" fill="none" stroke="#555" marker-end="url(#arrow)"/>')
            if label:
                out.append(
                    f'<text x="{lx:.0f}" y="{ly:.0f}" fill="#a33" text-anchor="middle">'
                    f"{escape(label[:28])}</text>"
                )
    for node_id, node in spec["nodes"].items():
        x, y = where[node_id]
        kind = node["type"]
        out.append(f"<g><title>{escape(node.get('prompt') or node.get('say') or node_id)}</title>")
        out.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="8" '
            f'fill="{COLOURS[kind]}" stroke="#333"/>'
        )
        out.append(
            f'<text x="{x + 8:.0f}" y="{y + 15:.0f}" font-weight="bold">{escape(node_id)}</text>'
        )
        out.append(
            f'<text x="{x + BOX_W - 8:.0f}" y="{y + 15:.0f}" text-anchor="end" '
            f'fill="#555">{escape(KIND_WORDS[kind])}</text>'
        )
        for i, line in enumerate(_wrap(_summary(spec, node))):
            out.append(f'<text x="{x + 8:.0f}" y="{y + 33 + i * 14:.0f}">{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
