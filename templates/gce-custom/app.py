#!/usr/bin/env python3
"""A small message board: Python standard library only, messages in SQLite.

Routes: GET / (page + form), POST / (form post), GET /api/messages (JSON),
POST /api/messages (JSON {"author", "text"}), GET /healthz. Meant to run behind nginx.
Settings from the environment: MESSAGE_BOARD_HOST, MESSAGE_BOARD_PORT, MESSAGE_BOARD_DB,
MESSAGE_BOARD_TITLE.
"""

import html
import json
import os
import sqlite3
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

HOST = os.environ.get("MESSAGE_BOARD_HOST", "127.0.0.1")
PORT = int(os.environ.get("MESSAGE_BOARD_PORT", "8080"))
DB = os.environ.get("MESSAGE_BOARD_DB", "/var/lib/message-board/messages.db")
TITLE = os.environ.get("MESSAGE_BOARD_TITLE", "Message board")
MAX_BODY = 8192
MAX_AUTHOR = 40
MAX_TEXT = 500
SHOWN = 100

_lock = threading.Lock()


@contextmanager
def connect():
    """A connection that commits on success and is always closed."""
    conn = sqlite3.connect(DB, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def init_db():
    with _lock, connect() as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS messages ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " author TEXT NOT NULL,"
            " text TEXT NOT NULL,"
            " created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
        )


def add_message(author, text):
    author = (author or "").strip()[:MAX_AUTHOR] or "anonymous"
    text = (text or "").strip()
    if not text:
        raise ValueError("text is empty")
    if len(text) > MAX_TEXT:
        raise ValueError("text is longer than %d characters" % MAX_TEXT)
    with _lock, connect() as conn:
        cur = conn.execute("INSERT INTO messages (author, text) VALUES (?, ?)", (author, text))
        row = conn.execute("SELECT * FROM messages WHERE id = ?", (cur.lastrowid,)).fetchone()
    return dict(row)


def list_messages():
    with connect() as conn:
        rows = conn.execute("SELECT * FROM messages ORDER BY id DESC LIMIT ?", (SHOWN,)).fetchall()
    return [dict(r) for r in rows]


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
<p class="meta">Served by %(host)s through nginx.</p></body></html>
"""


def render_page(error=""):
    items = "".join(
        '<li>%s <span class="meta">- %s, %s</span></li>'
        % (html.escape(m["text"]), html.escape(m["author"]), html.escape(m["created"]))
        for m in list_messages()
    )
    return PAGE % {
        "title": html.escape(TITLE),
        "max_author": MAX_AUTHOR,
        "max_text": MAX_TEXT,
        "error": '<p style="color: #b00">%s</p>' % html.escape(error) if error else "",
        "items": items or "<li>No messages yet.</li>",
        "host": html.escape(os.uname().nodename),
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "message-board/1"

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

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self.send(200, "ok\n", "text/plain; charset=utf-8")
        elif path == "/api/messages":
            self.send_json(200, {"messages": list_messages()})
        elif path == "/":
            self.send(200, render_page())
        else:
            self.send(404, "not found\n", "text/plain; charset=utf-8")

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
                self.send_json(201, add_message(data.get("author"), data.get("text")))
            elif path == "/":
                form = parse_qs(body)
                add_message(form.get("author", [""])[0], form.get("text", [""])[0])
                self.send(303, "", headers={"Location": "/"})
            else:
                self.send(404, "not found\n", "text/plain; charset=utf-8")
        except ValueError as e:
            if path == "/":
                self.send(400, render_page(str(e)))
            else:
                self.send_json(400, {"error": str(e)})


def main():
    init_db()
    server = ThreadingHTTPServer((HOST, PORT), Handler)
    sys.stderr.write("message board on http://%s:%d/ (database %s)\n" % (HOST, PORT, DB))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
