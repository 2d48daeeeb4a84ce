"""From a Diagram to the bytes of one format: Mermaid and DOT as text, SVG and PNG through Graphviz's
`dot` (a program, not a Python dependency), which must then be on PATH."""

from __future__ import annotations

import shutil
import subprocess

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.graphing.model import Diagram

FORMATS = ("mermaid", "dot", "svg", "png")
SUFFIXES = {".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png"}
INSTALL_HINT = "install Graphviz (apt-get install graphviz, or brew install graphviz), or use --format dot or mermaid"


def graphviz() -> str:
    """The path of `dot`; BadInput (exit 2, before anything is drawn) when it is not installed."""
    found = shutil.which("dot")
    if found is None:
        raise BadInput("SVG and PNG need Graphviz's `dot`, which is not on PATH", where="--format",
                       hint=INSTALL_HINT)
    return found


def render(d: Diagram, fmt: str) -> bytes:
    from gcpkit.graphing.dot import to_dot
    from gcpkit.graphing.mermaid import to_mermaid

    if fmt == "mermaid":
        return to_mermaid(d).encode()
    source = to_dot(d)
    if fmt == "dot":
        return source.encode()
    done = subprocess.run([graphviz(), f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=120,
                          check=False)
    if done.returncode != 0:
        first = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[0]
        raise OperationFailed(f"Graphviz could not draw the diagram: {first}",
                              hint="run with --format dot and `dot -Tsvg` yourself to see the whole message")
    return done.stdout
