#!/usr/bin/env python3
"""A small message board whose messages live in MySQL (Cloud SQL), reached through the Cloud SQL Auth
Proxy on 127.0.0.1:3306. Python standard library plus PyMySQL (Debian's python3-pymysql).

Routes: GET / (page + form), POST / (form post), GET /api/messages (JSON), POST /api/messages
(JSON {"author", "text"}), GET /healthz (the process is up), GET /api/status (the database answers;
503 when not), POST /api/export (all messages as one JSON object in the bucket, when there is one).

Settings from the environment: MESSAGE_BOARD_HOST, MESSAGE_BOARD_PORT, MESSAGE_BOARD_TITLE,
MESSAGE_BOARD_DB_HOST, MESSAGE_BOARD_DB_PORT, MESSAGE_BOARD_DB_NAME, MESSAGE_BOARD_DB_USER,
MESSAGE_BOARD_DB_PASSWORD_SECRET (a Secret Manager secret, projects/P/secrets/S: the password is read
at first use with the VM's identity and kept in memory only; without it the login has no password,
as with IAM database authentication through the proxy's --auto-iam-authn), MESSAGE_BOARD_BUCKET or
MESSAGE_BOARD_BUCKET_METADATA_KEY (an instance metadata attribute holding the bucket's name).
"""

import base64
import datetime
import html
import json
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

HOST = os.environ.get("MESSAGE_BOARD_HOST", "127.0.0.1")
PORT = int(os.environ.get("MESSAGE_BOARD_PORT", "8080"))
TITLE = os.environ.get("MESSAGE_BOARD_TITLE", "Message board")
DB_HOST = os.environ.get("MESSAGE_BOARD_DB_HOST", "127.0.0.1")
DB_PORT = int(os.environ.get("MESSAGE_BOARD_DB_PORT", "3306"))
DB_NAME = os.environ.get("MESSAGE_BOARD_DB_NAME", "message_db")
DB_USER = os.environ.get("MESSAGE_BOARD_DB_USER", "message_app")
DB_PASSWORD_SECRET = os.environ.get("MESSAGE_BOARD_DB_PASSWORD_SECRET", "")
BUCKET = os.environ.get("MESSAGE_BOARD_BUCKET", "")
BUCKET_METADATA_KEY = os.environ.get("MESSAGE_BOARD_BUCKET_METADATA_KEY", "")
METADATA_URL = os.environ.get("MESSAGE_BOARD_METADATA_URL", "http://metadata.google.internal/computeMetadata/v1")
SECRETMANAGER_URL = os.environ.get("MESSAGE_BOARD_SECRETMANAGER_URL", "https://secretmanager.googleapis.com")
STORAGE_URL = os.environ.get("MESSAGE_BOARD_STORAGE_URL", "https://storage.googleapis.com")
MAX_BODY = 8192
MAX_AUTHOR = 40
MAX_TEXT = 500
SHOWN = 100

_lock = threading.Lock()
_cache = {}  # "password", "bucket", "schema": looked up once, kept in memory


class Unavailable(Exception):
    """The database (or a Google API) cannot be reached right now; the client may retry."""


# ---------------------------------------------------------------- Google APIs, as the VM's identity


def _get(url, headers=None, data=None, method=None, timeout=10):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def metadata(path):
    return _get(METADATA_URL + "/" + path, {"Metadata-Flavor": "Google"}).decode()


def access_token():
    return json.loads(metadata("instance/service-accounts/default/token"))["access_token"]


def db_password():
    """The password from Secret Manager (latest version), or None for IAM database authentication."""
    if not DB_PASSWORD_SECRET:
        return None
    if "password" not in _cache:
        try:
            body = _get("%s/v1/%s/versions/latest:access" % (SECRETMANAGER_URL, DB_PASSWORD_SECRET),
                        {"Authorization": "Bearer " + access_token()})
        except (OSError, ValueError, KeyError) as e:
            raise Unavailable("cannot read the database password from Secret Manager (%s)" % type(e).__name__)
        _cache["password"] = base64.b64decode(json.loads(body)["payload"]["data"]).decode()
    return _cache["password"]


def bucket():
    if BUCKET:
        return BUCKET
    if not BUCKET_METADATA_KEY:
        return None
    if "bucket" not in _cache:
        try:
            _cache["bucket"] = metadata("instance/attributes/" + urllib.parse.quote(BUCKET_METADATA_KEY)).strip()
        except OSError:
            return None
    return _cache["bucket"] or None


def put_object(bucket_name, name, data, content_type="application/json"):
    url = "%s/upload/storage/v1/b/%s/o?uploadType=media&name=%s" % (
        STORAGE_URL, urllib.parse.quote(bucket_name, safe=""), urllib.parse.quote(name, safe=""))
    try:
        body = _get(url, {"Authorization": "Bearer " + access_token(), "Content-Type": content_type},
                    data=data, method="POST")
    except (OSError, ValueError, KeyError) as e:
        raise Unavailable("cannot write to bucket %s (%s)" % (bucket_name, type(e).__name__))
    return json.loads(body)


# ---------------------------------------------------------------- the database


def connect():
    import pymysql  # Debian's python3-pymysql

    try:
        return pymysql.connect(host=DB_HOST, port=DB_PORT, user=DB_USER, password=db_password() or "",
                               database=DB_NAME, charset="utf8mb4", connect_timeout=5, autocommit=True,
                               cursorclass=pymysql.cursors.DictCursor)
    except pymysql.err.OperationalError as e:
        if e.args and e.args[0] == 1045:  # access denied: a rotated password is read again next time
            _cache.pop("password", None)
        raise Unavailable("database unavailable: %s" % (e.args[1] if len(e.args) > 1 else e))


def run(sql, args=(), fetch=False):
    conn = connect()
    try:
        ensure_schema(conn)
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return (cur.fetchall() if fetch else cur.lastrowid)
    finally:
        conn.close()


def ensure_schema(conn):
    if _cache.get("schema"):
        return
    with _lock:
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS messages ("
                " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                " author VARCHAR(40) NOT NULL,"
                " text VARCHAR(500) NOT NULL,"
                " created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
                ") CHARACTER SET utf8mb4"
            )
        _cache["schema"] = True


def _row(r):
    created = r["created"]
    if isinstance(created, datetime.datetime):
        created = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": r["id"], "author": r["author"], "text": r["text"], "created": str(created)}


def add_message(author, text):
    author = (author or "").strip()[:MAX_AUTHOR] or "anonymous"
    text = (text or "").strip()
    if not text:
        raise ValueError("text is empty")
    if len(text) > MAX_TEXT:
        raise ValueError("text is longer than %d characters" % MAX_TEXT)
    new_id = run("INSERT INTO messages (author, text) VALUES (%s, %s)", (author, text))
    rows = run("SELECT id, author, text, created FROM messages WHERE id = %s", (new_id,), fetch=True)
    return _row(rows[0])


def list_messages(limit=SHOWN):
    rows = run("SELECT id, author, text, created FROM messages ORDER BY id DESC LIMIT %s", (limit,), fetch=True)
    return [_row(r) for r in rows]


def export_messages():
    name = bucket()
    if not name:
        return None
    messages = list_messages(limit=1000000)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    obj = "exports/messages-%s.json" % stamp
    put_object(name, obj, json.dumps({"messages": messages}).encode())
    return {"bucket": name, "object": obj, "messages": len(messages)}


# ---------------------------------------------------------------- HTTP

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
<p class="meta">Served by %(host)s through nginx; messages in Cloud SQL (%(db)s).</p></body></html>
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
        "db": html.escape(DB_NAME),
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "message-board/2"

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
            elif path == "/api/status":
                run("SELECT 1", fetch=True)
                self.send_json(200, {"database": "ok", "bucket": bucket()})
            elif path == "/api/messages":
                self.send_json(200, {"messages": list_messages()})
            elif path == "/":
                self.send(200, render_page())
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
                self.send_json(201, add_message(data.get("author"), data.get("text")))
            elif path == "/api/export":
                result = export_messages()
                if result is None:
                    self.send_json(404, {"error": "no bucket is configured"})
                else:
                    self.send_json(201, result)
            elif path == "/":
                form = parse_qs(body)
                add_message(form.get("author", [""])[0], form.get("text", [""])[0])
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
                self.send(400, render_page(str(e)))
            except Unavailable as down:
                self.unavailable(path, down)


def main():
    server = ThreadingHTTPServer((HOST, PORT), Handler)
    sys.stderr.write("message board on http://%s:%d/ (MySQL %s as %s on %s:%d)\n"
                     % (HOST, PORT, DB_NAME, DB_USER, DB_HOST, DB_PORT))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
