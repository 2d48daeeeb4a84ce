# ruff: noqa: UP031, RUF012  (printf-style and class-level routes on purpose: plain stdlib code for the VM)
# ---------------------------------------------------------------- the web side, shared
# The message boards of gce-custom (SQLite) and gce-sql (Cloud SQL) differ only in where messages live.
# Each app.py.j2 includes this file, then defines its store and calls serve(): the VM still receives
# one self-contained app.py, written by the startup script.

import html
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

HOST = os.environ.get("MESSAGE_BOARD_HOST", "127.0.0.1")
PORT = int(os.environ.get("MESSAGE_BOARD_PORT", "8080"))
TITLE = os.environ.get("MESSAGE_BOARD_TITLE", "Message board")
MAX_BODY = 8192
MAX_AUTHOR = 40
MAX_TEXT = 500
SHOWN = 100


class Unavailable(Exception):
    """The store (or a Google API) cannot be reached right now; the client may retry."""


def clean_message(author, text):
    """The (author, text) to store, or ValueError saying what is wrong with them."""
    author = (author or "").strip()[:MAX_AUTHOR] or "anonymous"
    text = (text or "").strip()
    if not text:
        raise ValueError("text is empty")
    if len(text) > MAX_TEXT:
        raise ValueError("text is longer than %d characters" % MAX_TEXT)
    return author, text


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%(title)s</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { font-family: sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em; }
li { margin: .5em 0; } .meta { color: #666; font-size: .85em; }</style></head>
<body><h1>%(title)s</h1>
<form method="post" action="/">
<input name="author" maxlength="%(max_author)d" placeholder="your name">
<input name="text" maxlength="%(max_text)d" placeholder="your message" required size="40">
<button type="submit">Post</button></form>
%(error)s<ul>%(items)s</ul>
<p class="meta">Served by %(host)s through nginx%(where)s.</p></body></html>
"""


class Handler(BaseHTTPRequestHandler):
    """Routes: GET / (page + form), POST / (form post), GET /api/messages, POST /api/messages
    (JSON {"author", "text"}), GET /healthz, plus the app's own in get_routes / post_routes."""

    server_version = "message-board/2"
    store = None  # the app's: list_messages(), add_message(author, text), where (page footer text)
    get_routes = {}  # path -> function(handler) answering the request
    post_routes = {}

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.headers.get("X-Forwarded-For", self.client_address[0]), fmt % args))

    def send(self, status, body, content_type="text/html; charset=utf-8", headers=None):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status, obj):
        self.send(status, json.dumps(obj) + "\n", "application/json")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length).decode("utf-8", "replace")

    def render_page(self, error=""):
        items = "".join(
            '<li>%s <span class="meta">- %s, %s</span></li>'
            % (html.escape(m["text"]), html.escape(m["author"]), html.escape(m["created"]))
            for m in self.store.list_messages()
        )
        return PAGE % {
            "title": html.escape(TITLE),
            "max_author": MAX_AUTHOR,
            "max_text": MAX_TEXT,
            "error": '<p style="color: #b00">%s</p>' % html.escape(error) if error else "",
            "items": items or "<li>No messages yet.</li>",
            "host": html.escape(os.uname().nodename),
            "where": html.escape(self.store.where),
        }

    def unavailable(self, path, error):
        sys.stderr.write("unavailable: %s\n" % error)
        if path.startswith("/api/"):
            self.send_json(503, {"error": str(error)})
        else:
            self.send(503, "<p>The database is not reachable yet; try again in a moment.</p>\n",
                      headers={"Retry-After": "10"})

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        try:
            if path == "/healthz":
                self.send(200, "ok\n", "text/plain; charset=utf-8")
            elif path in self.get_routes:
                self.get_routes[path](self)
            elif path == "/api/messages":
                self.send_json(200, {"messages": self.store.list_messages()})
            elif path == "/":
                self.send(200, self.render_page())
            else:
                self.send(404, "not found\n", "text/plain; charset=utf-8")
        except Unavailable as e:
            self.unavailable(path, e)

    do_HEAD = do_GET

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        try:
            body = self.read_body()
            if path == "/api/messages":
                try:
                    data = json.loads(body or "null")
                except ValueError:
                    raise ValueError("body is not JSON") from None
                if not isinstance(data, dict):
                    raise ValueError('expected a JSON object {"author": ..., "text": ...}')
                self.send_json(201, self.store.add_message(data.get("author"), data.get("text")))
            elif path in self.post_routes:
                self.post_routes[path](self)
            elif path == "/":
                form = parse_qs(body)
                self.store.add_message(form.get("author", [""])[0], form.get("text", [""])[0])
                self.send(303, "", headers={"Location": "/"})
            else:
                self.send(404, "not found\n", "text/plain; charset=utf-8")
        except Unavailable as e:
            self.unavailable(path, e)
        except ValueError as e:
            if path != "/":
                self.send_json(400, {"error": str(e)})
                return
            try:
                self.send(400, self.render_page(str(e)))
            except Unavailable as down:
                self.unavailable(path, down)


def serve(store, banner, get_routes=None, post_routes=None):
    """Serve the board on HOST:PORT until interrupted."""
    handler = type("BoardHandler", (Handler,), {
        "store": store, "get_routes": get_routes or {}, "post_routes": post_routes or {}})
    server = ThreadingHTTPServer((HOST, PORT), handler)
    sys.stderr.write("message board on http://%s:%d/ (%s)\n" % (HOST, PORT, banner))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
