"""A Diagram as Graphviz DOT: a cluster per tier, nested clusters per region and zone, an arrow from
each resource to what it depends on, fill colours by status. Plain text; Graphviz is needed only to
turn it into SVG or PNG (render.py)."""

from __future__ import annotations

from gcpkit.graphing.model import (
    PLAIN_COLOURS,
    STATUS_COLOURS,
    TIER_TITLES,
    Diagram,
    Node,
)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(node: Node, indent: str) -> str:
    fill, border = STATUS_COLOURS.get(node.status, PLAIN_COLOURS)
    label = f"{node.name}\n{node.type}" + (f"\n({node.status})" if node.status else "")
    style = "rounded,filled,dashed" if node.status == "deleted" else "rounded,filled"
    return (f"{indent}{quote(node.name)} [label={quote(label)}, fillcolor={quote(fill)}, color={quote(border)}, "
            f"style={quote(style)}];")


def _cluster(key: str, label: str, indent: str, body: list[str], fill: str) -> list[str]:
    return [f"{indent}subgraph {quote('cluster_' + key)} {{",
            (f"{indent}  label={quote(label)}; style={quote('rounded,filled')}; fillcolor={quote(fill)}; "
             f"color={quote('#b0bec5')};"), *body, f"{indent}}}"]


def to_dot(d: Diagram) -> str:
    lines = [f"digraph {quote(d.title)} {{",
             (f"  graph [rankdir=LR, compound=true, fontname=Helvetica, fontsize=12, labelloc=t, "
              f"label={quote(d.title)}];"),
             "  node [shape=box, fontname=Helvetica, fontsize=10];",
             f"  edge [color={quote('#78909c')}, arrowsize=0.7];"]
    for tier, regions in d.grouped():
        body: list[str] = []
        for region, zones in regions:
            if not region:  # global resources sit in the tier itself
                body += [_node(n, "    ") for _, nodes in zones for n in nodes]
                continue
            inner: list[str] = []
            for zone, nodes in zones:
                placed = [_node(n, "        " if zone else "      ") for n in nodes]
                inner += _cluster(f"{tier}_{zone}", f"zone {zone}", "      ", placed, "#ffffff") if zone else placed
            body += _cluster(f"{tier}_{region}", f"region {region}", "    ", inner, "#fafafa")
        lines += _cluster(tier, TIER_TITLES[tier], "  ", body, "#eef3f7")
    lines += [f"  {quote(a)} -> {quote(b)};" for a, b in d.edges]
    if d.with_status:
        legend = [f'    {quote("status: " + s)} [label={quote(s)}, shape=box, style={quote("rounded,filled")}, '
                  f"fillcolor={quote(c[0])}, color={quote(c[1])}];" for s, c in STATUS_COLOURS.items()]
        lines += _cluster("legend", "status", "  ", legend, "#ffffff")
    lines.append("}")
    return "\n".join(lines) + "\n"
