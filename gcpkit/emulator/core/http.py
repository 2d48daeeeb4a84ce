"""A lean HTTP/1.1 request handler for werkzeug's threaded WSGI server.

werkzeug's own WSGIRequestHandler costs about 1 ms per request on a 2-core machine (header
parsing through the email package, URL handling, several socket writes), which caps a
keep-alive connection near 1,000 requests/s before the application does any work. This handler
parses the request line and headers directly, builds a minimal PEP 3333 environ (plus RAW_URI,
which keeps %2F inside path segments) and answers with a single write. Connection management,
threads and shutdown stay werkzeug's / socketserver's.
"""

from __future__ import annotations

import io
import socket
import sys
from email.utils import formatdate
from urllib.parse import unquote_to_bytes

from werkzeug.serving import WSGIRequestHandler

_MAX_LINE = 65536
_MAX_HEADERS = 200


class FastHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code="-", size="-") -> None:  # the emulator's request log replaces this
        pass

    def handle_one_request(self) -> None:
        line = self.rfile.readline(_MAX_LINE + 1)
        if not line:
            self.close_connection = True
            return
        if len(line) > _MAX_LINE:
            return self._reject(414, "Request-URI Too Long")
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return self._reject(400, "Bad Request")
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS):
            raw = self.rfile.readline(_MAX_LINE + 1)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        else:
            return self._reject(431, "Request Header Fields Too Large")

        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self._read_body(headers)
        if body is None:
            return self._reject(400, "Bad Request")

        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form request target
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "QUERY_STRING": query, "RAW_URI": target,
            "REQUEST_URI": target, "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "SERVER_NAME": self.server.server_address[0], "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": version, "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": headers.get("content-type", ""), "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in headers.items():
            if name not in ("content-type", "content-length"):
                environ["HTTP_" + name.upper().replace("-", "_")] = value

        response: list = []

        def start_response(status: str, response_headers: list, exc_info=None):
            response[:] = [status, response_headers]
            return lambda data: None

        chunks = self.server.app(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, response_headers = response
        lines = [f"HTTP/1.1 {status}"]
        lines += [f"{k}: {v}" for k, v in response_headers]
        lines.append(f"Date: {formatdate(usegmt=True)}")
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # HEAD, 1xx, 204 and 304 answers end at the blank line (RFC 9112 6.3): a body would be read
        # as the start of the next response on a keep-alive connection.
        if method == "HEAD" or status[0] == "1" or status.startswith(("204", "304")):
            payload = b""
        self.wfile.write(head + payload)
        self.close_connection = not keep_alive

    def _read_body(self, headers: dict[str, str]) -> bytes | None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            out = bytearray()
            while True:
                size_line = self.rfile.readline(_MAX_LINE + 1)
                try:
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(_MAX_LINE + 1)
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _reject(self, code: int, reason: str) -> None:
        self.wfile.write(f"HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
        self.close_connection = True
