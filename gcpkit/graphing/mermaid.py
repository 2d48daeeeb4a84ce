"""A Diagram as a Mermaid flowchart (renders in GitHub and GitLab Markdown): a subgraph per tier,
nested per region and zone, an arrow from each resource to what it depends on, classes by status."""

from __future__ import annotations

import re

from gcpkit.graphing.model import STATUS_COLOURS, TIER_TITLES, Diagram, Node


def node_id(name: str, prefix: str = "n") -> str:
    # Resource, region and zone names are RFC 1035 (no underscore): mapping '-' to '_' cannot collide.
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"


def _text(text: str) -> str:
    return text.replace('"', "#quot;")


def _node(node: Node, indent: str) -> str:
    label = f"{node.name}<br/>{node.type}" + (f"<br/>({node.status})" if node.status else "")
    return f'{indent}{node_id(node.name)}["{_text(label)}"]'


def to_mermaid(d: Diagram) -> str:
    lines = ["---", f"title: {_text(d.title)}", "---", "flowchart LR"]
    for tier, regions in d.grouped():
        lines.append(f'  subgraph {node_id(tier, "t")}["{TIER_TITLES[tier]}"]')
        for region, zones in regions:
            if not region:
                lines += [_node(n, "    ") for _, nodes in zones for n in nodes]
                continue
            lines.append(f'    subgraph {node_id(tier + "-" + region, "r")}["region {region}"]')
            for zone, nodes in zones:
                if zone:
                    lines.append(f'      subgraph {node_id(tier + "-" + zone, "z")}["zone {zone}"]')
                lines += [_node(n, "        " if zone else "      ") for n in nodes]
                if zone:
                    lines.append("      end")
            lines.append("    end")
        lines.append("  end")
    lines += [f"  {node_id(a)} --> {node_id(b)}" for a, b in d.edges]
    if d.with_status:
        for status, (fill, border) in STATUS_COLOURS.items():
            dashed = ",stroke-dasharray:4 3" if status == "deleted" else ""
            lines.append(f"  classDef {status} fill:{fill},stroke:{border}{dashed}")
        for status in STATUS_COLOURS:
            members = [node_id(n.name) for n in d.nodes if n.status == status]
            if members:
                lines.append(f"  class {','.join(members)} {status}")
    return "\n".join(lines) + "\n"
