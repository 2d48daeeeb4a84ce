"""The sample app of gcpkit's appengine pattern: a WSGI app with no dependency beyond the standard library
(gunicorn serves it, as app.yaml's entrypoint says).

GET /        a small page with the greeting (env variable GREETING) and the serving version
GET /api     the same as JSON: greeting, service, version
GET /healthz "ok"
"""

import html
import json
import os


def _info():
    return {"greeting": os.environ.get("GREETING", "Hello"), "service": os.environ.get("GAE_SERVICE", "default"),
            "version": os.environ.get("GAE_VERSION", "local")}


def app(environ, start_response):
    path = environ.get("PATH_INFO") or "/"
    if path == "/healthz":
        status, kind, body = "200 OK", "text/plain; charset=utf-8", "ok"
    elif path == "/api":
        status, kind, body = "200 OK", "application/json", json.dumps(_info())
    elif path == "/":
        info = {k: html.escape(v) for k, v in _info().items()}
        status, kind = "200 OK", "text/html; charset=utf-8"
        body = (f"<!doctype html><title>{info['greeting']}</title><h1>{info['greeting']}</h1>"
                f"<p>service {info['service']}, version {info['version']}</p>")
    else:
        status, kind, body = "404 Not Found", "text/plain; charset=utf-8", "not found"
    data = body.encode()
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data)))])
    return [data]
