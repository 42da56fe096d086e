"""MJPEG over HTTP: watch the cleaned feed in a browser on a headless device (stdlib only).

Two paths and nothing else: ``/stream.mjpg`` (multipart/x-mixed-replace, one JPEG a frame)
and ``/frame.jpg`` (the latest frame). Loopback by default; binding any other address needs a
token, then asked of every request as ``?token=...`` or ``Authorization: Bearer ...``.
Concurrent streams are capped (``503`` beyond), slow clients time out, and the server thread
ends with :meth:`MjpegSink.close`.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np

from unpixel.errors import SinkError
from unpixel.live.sinks import Packet, Sink, check_view

BOUNDARY = "unpixelframe"
STREAM_PATH, FRAME_PATH = "/stream.mjpg", "/frame.jpg"
MIN_TOKEN = 8
CLIENT_TIMEOUT_S = 10.0


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT``, ``:PORT`` or ``PORT`` -> (host, port); loopback by default."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--serve takes HOST:PORT with a port 0-65535, got {text!r}")
    return host, int(port)


def check_bind(host: str, token: str | None) -> None:
    """ValueError unless ``host`` is loopback or a token of at least 8 characters is given."""
    if token is not None and not isinstance(token, str):
        raise TypeError(f"the token must be a string, got {type(token).__name__}")
    if token is not None and len(token) < MIN_TOKEN:
        raise ValueError(f"the token must have at least {MIN_TOKEN} characters")
    if token is None and not is_loopback(host):
        raise ValueError(
            f"serving on {host!r} would show the stream to the network: give a "
            "--token (clients add ?token=...) or bind 127.0.0.1"
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sink: MjpegSink


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = CLIENT_TIMEOUT_S
    server_version = "unpixel"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: no line on stderr per request."""

    def _authorised(self, query: dict[str, list[str]]) -> bool:
        token = self.server.sink.token
        if token is None:
            return True
        given = query.get("token", [""])[0]
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            given = auth[7:]
        return hmac.compare_digest(given.encode(), token.encode())

    def do_GET(self) -> None:
        """Serve the stream or the latest frame; 404 for any other path."""
        url = urlsplit(self.path)
        if url.path not in (STREAM_PATH, FRAME_PATH):
            self.send_error(404)
            return
        if not self._authorised(parse_qs(url.query)):
            self.send_error(401, "token required")
            return
        sink = self.server.sink
        if url.path == FRAME_PATH:
            data = sink.latest_jpeg()
            if data is None:
                self.send_error(503, "no frame yet")
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)
            return
        if not sink._enter():
            self.send_error(503, "too many clients")
            return
        try:
            self._stream(sink)
        finally:
            sink._leave()

    def _stream(self, sink: MjpegSink) -> None:
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seq = 0
        try:
            while True:
                seq, data = sink.next_jpeg(seq)
                if data is None:
                    return
                head = (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n"
                )
                self.wfile.write(head.encode() + data + b"\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return


class MjpegSink(Sink):
    """Serve the views as MJPEG on ``host:port`` (port 0: any free port; see :attr:`url`).

    Raises:
        TypeError: a host that is not a string, or a port, ``max_clients`` or ``quality``
            that is not an integer.
        ValueError: a port outside 0..65535, ``max_clients`` below 1, ``quality`` outside
            1..100, or a non-loopback host without a token of at least 8 characters.
        SinkError: the address cannot be bound.

    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        token: str | None = None,
        max_clients: int = 4,
        quality: int = 80,
    ) -> None:
        if not isinstance(host, str):
            raise TypeError(f"host must be a string, got {host!r}")
        for name, value in (("port", port), ("max_clients", max_clients), ("quality", quality)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer, got {value!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535 (0: any free port), got {port}")
        check_bind(host, token)
        if max_clients < 1:
            raise ValueError(f"max_clients must be >= 1, got {max_clients}")
        if not 1 <= quality <= 100:
            raise ValueError(f"JPEG quality must be in 1..100, got {quality}")
        self.token, self.max_clients, self.quality = token, max_clients, quality
        self._cond = threading.Condition()
        self._view: np.ndarray | None = None
        self._seq = 0
        self._jpeg: tuple[int, bytes] | None = None
        self._clients = 0
        self._closed = False
        server_cls = (
            type("_Server6", (_Server,), {"address_family": socket.AF_INET6})
            if ":" in host
            else _Server
        )
        try:
            self._server = server_cls((host, port), _Handler)
        except OSError as exc:
            raise SinkError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
        self._server.sink = self
        self.host, self.port = host, self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.2,), name="unpixel-mjpeg", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The stream's address (with the token when one is set)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?token={self.token}" if self.token else ""
        return f"http://{host}:{self.port}{STREAM_PATH}{query}"

    @property
    def clients(self) -> int:
        """Streams being served now."""
        return self._clients

    def write(self, packet: Packet) -> None:
        """Publish the view (encoded once, when a client asks for it)."""
        view = check_view(packet)
        with self._cond:
            self._view, self._seq = view, self._seq + 1
            self._cond.notify_all()

    def _encode(self) -> tuple[int, bytes | None]:
        """The latest view as JPEG (cached per frame); call with the lock held."""
        import cv2

        if self._view is None:
            return self._seq, None
        if self._jpeg is None or self._jpeg[0] != self._seq:
            ok, buf = cv2.imencode(".jpg", self._view, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            self._jpeg = (self._seq, buf.tobytes() if ok else b"")
        return self._jpeg

    def latest_jpeg(self) -> bytes | None:
        """The newest frame as JPEG, None before the first."""
        with self._cond:
            return self._encode()[1]

    def next_jpeg(self, after: int) -> tuple[int, bytes | None]:
        """Wait for a frame newer than ``after``: (its number, JPEG); (n, None) once closed."""
        with self._cond:
            while self._seq <= after and not self._closed:
                self._cond.wait(1.0)
            if self._closed:
                return self._seq, None
            return self._encode()

    def _enter(self) -> bool:
        with self._cond:
            if self._clients >= self.max_clients or self._closed:
                return False
            self._clients += 1
            return True

    def _leave(self) -> None:
        with self._cond:
            self._clients -= 1

    def close(self) -> None:
        """End every stream and stop the server."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)
