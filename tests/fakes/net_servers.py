"""Real servers on 127.0.0.1 for the online tests: HTTPS sites with trustme certificates, a black hole,
and a CONNECT proxy (optionally demanding Basic authentication). Nothing here talks beyond loopback:
the proxy only opens tunnels to 127.0.0.1, mapping any other host name through `host_map`.

    with TlsSite(public_ca.issue_cert("localhost")) as site: ...   # https://localhost:PORT/
    with BlackHole() as hole: ...                                   # accepts, never answers
    with ConnectProxy(auth=("user", "pw"), host_map={...}) as p:   # http://127.0.0.1:PORT
"""

from __future__ import annotations

import base64
import email.utils
import select
import socket
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from fakes.serving import Served


class TlsSite(Served):
    """An HTTPS (or plain HTTP, with cert=None) site that answers every GET the same way."""

    def __init__(self, cert: Any = None, *, status: int = 200, location: str | None = None,
                 date_offset: float = 0.0, send_date: bool = True, host: str = "127.0.0.1",
                 extra_chain_pem: bytes = b"") -> None:
        self.status = status
        self.location = location
        self.date_offset = date_offset
        self.send_date = send_date
        self.requests: list[dict[str, str]] = []
        site = self
        ctx = None
        if cert is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            if extra_chain_pem:  # also send these certificates (e.g. the root, as some proxies do)
                import tempfile

                with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as fh:
                    fh.write(cert.private_key_and_cert_chain_pem.bytes() + extra_chain_pem)
                ctx.load_cert_chain(fh.name)
            else:
                cert.configure_cert(ctx)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:
                return email.utils.formatdate(time.time() + site.date_offset, usegmt=True)

            def send_response(self, code: int, message: str | None = None) -> None:
                self.log_request(code)
                self.send_response_only(code, message)
                self.send_header("Server", "fake-aws")
                if site.send_date:
                    self.send_header("Date", self.date_time_string())

            def do_GET(self) -> None:
                site.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                body = b"<html>portal</html>"
                self.send_response(site.status)
                if site.location:
                    self.send_header("Location", site.location)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request: Any, client_address: Any) -> None:
                if ctx is not None:
                    try:
                        request.settimeout(5)
                        request = ctx.wrap_socket(request, server_side=True)
                    except (ssl.SSLError, OSError):
                        return  # the client did not trust us: that is what some tests are about
                super().finish_request(request, client_address)

        self._serve(Server((host, 0), Handler))
        self.tls = cert is not None

    def url(self, host: str = "127.0.0.1", path: str = "/") -> str:
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"



class BlackHole:
    """Accepts TCP connections and never sends a byte (a firewall that drops, a hung server)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
                self._held.append(conn)
            except (TimeoutError, OSError):
                continue

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(1)
        for c in self._held:
            c.close()
        self._sock.close()


class ConnectProxy(Served):
    """A forwarding HTTPS proxy (CONNECT tunnels only), loopback-only, optionally demanding Basic auth."""

    def __init__(self, auth: tuple[str, str] | None = None, host_map: dict[str, int] | None = None,
                 deny: set[str] | None = None) -> None:
        self.auth = auth
        self.host_map = dict(host_map or {})
        self.deny = set(deny or ())
        self.requests: list[tuple[str, dict[str, str]]] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
                lines = head.split("\r\n")
                method, target = (lines[0].split(" ") + ["", ""])[:2]
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                proxy.requests.append((lines[0], headers))
                if method != "CONNECT":
                    sock.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                    return
                if proxy.auth is not None:
                    want = "Basic " + base64.b64encode(f"{proxy.auth[0]}:{proxy.auth[1]}".encode()).decode()
                    if headers.get("proxy-authorization") != want:
                        sock.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                     b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n')
                        return
                host, _, port = target.rpartition(":")
                if host in proxy.deny:
                    sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                if host in proxy.host_map:
                    port = str(proxy.host_map[host])
                elif host not in ("127.0.0.1", "localhost"):
                    sock.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    return
                try:
                    upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
                except OSError:
                    sock.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    return
                sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pair = [sock, upstream]
                try:
                    while True:
                        ready, _, _ = select.select(pair, [], [], 10)
                        if not ready:
                            break
                        for r in ready:
                            chunk = r.recv(65536)
                            if not chunk:
                                return
                            (upstream if r is sock else sock).sendall(chunk)
                except OSError:
                    pass
                finally:
                    upstream.close()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._serve(Server(("127.0.0.1", 0), Handler))

    def url(self, user: str | None = None, password: str | None = None) -> str:
        cred = f"{user}:{password}@" if user is not None else ""
        return f"http://{cred}127.0.0.1:{self.port}"

