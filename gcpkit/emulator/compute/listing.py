"""List responses: Compute filter expressions and maxResults/pageToken pagination."""

from __future__ import annotations

import base64
import fnmatch
import json
import re

from gcpkit.emulator.core.errors import invalid

from .links import full

_OPS = ("!=", "<=", ">=", "=", "<", ">", ":")


class _Parser:
    """Grammar: expr := term ((AND|OR)? term)*; term := NOT? ( '(' expr ')' | field op value )
    plus the legacy form `field eq|ne regex` (full-match regular expressions)."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0

    def ws(self):
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek_word(self):
        self.ws()
        m = re.match(r"[A-Za-z]+\b", self.s[self.i:])
        return m.group(0) if m else None

    def parse(self):
        node = self.expr()
        self.ws()
        if self.i != len(self.s):
            raise self.error()
        return node

    def error(self):
        return invalid(f"Invalid value for field 'filter': '{self.s}'. Invalid list filter expression.")

    def expr(self):
        nodes, joins = [self.term()], []
        while True:
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] == ")":
                break
            w = self.peek_word()
            join = "AND"
            if w in ("AND", "OR"):
                join = w
                self.i += len(w)
            joins.append(join)
            nodes.append(self.term())
        # AND binds tighter than OR
        groups, cur = [], [nodes[0]]
        for j, n in zip(joins, nodes[1:]):
            if j == "OR":
                groups.append(cur)
                cur = [n]
            else:
                cur.append(n)
        groups.append(cur)
        return ("or", [("and", g) for g in groups])

    def term(self):
        self.ws()
        if self.peek_word() == "NOT":
            self.i += 3
            return ("not", self.term())
        if self.s.startswith("-", self.i):
            self.i += 1
            return ("not", self.term())
        if self.i < len(self.s) and self.s[self.i] == "(":
            self.i += 1
            node = self.expr()
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] != ")":
                raise self.error()
            self.i += 1
            return node
        m = re.match(r"[A-Za-z_][\w.\-]*", self.s[self.i:])
        if not m:
            raise self.error()
        field = m.group(0)
        self.i += len(field)
        self.ws()
        op = None
        for o in _OPS:
            if self.s.startswith(o, self.i):
                op = o
                break
        if op is None:
            w = self.peek_word()
            if w in ("eq", "ne"):
                op = w
            else:
                raise self.error()
        self.i += len(op)
        return ("cmp", field, op, self.value())

    def value(self):
        self.ws()
        if self.i < len(self.s) and self.s[self.i] in "\"'":
            q = self.s[self.i]
            j = self.s.find(q, self.i + 1)
            if j < 0:
                raise self.error()
            v = self.s[self.i + 1:j]
            self.i = j + 1
            return v
        j = self.i
        if j < len(self.s) and self.s[j] == "(":
            raise self.error()
        while j < len(self.s) and not self.s[j].isspace() and self.s[j] != ")":
            j += 1
        if j == self.i:
            raise self.error()
        v = self.s[self.i:j]
        self.i = j
        return v


def _values(doc, path: list[str]):
    if not path:
        return [doc]
    if isinstance(doc, list):
        return [v for item in doc for v in _values(item, path)]
    if isinstance(doc, dict) and path[0] in doc:
        return _values(doc[path[0]], path[1:])
    return []


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _match_one(v, op: str, want: str) -> bool:
    if isinstance(v, (dict, list)):
        return op == ":" and want == "*"
    t = _text(v)
    if op in ("eq", "ne"):
        try:
            return re.fullmatch(want, t) is not None
        except re.error:
            return False
    if op in ("=", "!=", ":"):
        if op == ":" and want == "*":
            return True
        if "*" in want:
            return fnmatch.fnmatchcase(t, want)
        if op == ":" and t.startswith("https://") and not want.startswith("https://"):
            return t.endswith("/" + want)
        return t == want or (t.lower() == want.lower() and isinstance(v, bool))
    try:
        a, b = float(t), float(want)
    except ValueError:
        a, b = t, want
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _eval(node, doc) -> bool:
    tag = node[0]
    if tag == "or":
        return any(_eval(n, doc) for n in node[1])
    if tag == "and":
        return all(_eval(n, doc) for n in node[1])
    if tag == "not":
        return not _eval(node[1], doc)
    _, field, op, want = node
    vals = _values(doc, field.split("."))
    if op in ("!=", "ne"):
        pos = "=" if op == "!=" else "eq"
        return not any(_match_one(v, pos, want) for v in vals)
    return any(_match_one(v, op, want) for v in vals)


def apply_filter(items: list[dict], expression: str | None) -> list[dict]:
    if not expression or not expression.strip():
        return items
    tree = _Parser(expression).parse()
    return [d for d in items if _eval(tree, d)]


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        pad = "=" * (-len(token) % 4)
        return int(json.loads(base64.urlsafe_b64decode(token + pad))["o"])
    except Exception:
        raise invalid(f"Invalid value for field 'pageToken': '{token}'. Supplied page token is not valid.")


def paginate(req, items: list[dict]) -> tuple[list[dict], str | None]:
    p = req.params
    items = apply_filter(items, p.get("filter"))
    order = p.get("orderBy")
    if order:
        f, _, direction = order.strip().partition(" ")
        items = sorted(items, key=lambda d: _text((_values(d, f.split(".")) or [""])[0]),
                       reverse=direction.strip().lower() == "desc")
    max_results = p.get("maxResults")
    max_results = 500 if max_results is None else int(max_results)
    if max_results < 0 or max_results > 500:
        raise invalid(f"Invalid value for field 'maxResults': '{max_results}'. Must be less than or equal to 500")
    start = _offset(p["pageToken"]) if p.get("pageToken") else 0
    page = items[start:start + max_results]
    nxt = _token(start + max_results) if start + max_results < len(items) else None
    return page, nxt


def list_response(req, items: list[dict], kind: str, rel_collection: str) -> dict:
    page, nxt = paginate(req, items)
    out = {"kind": kind, "id": rel_collection, "items": page, "selfLink": full(rel_collection)}
    if not page:
        del out["items"]
    if nxt:
        out["nextPageToken"] = nxt
    return out
