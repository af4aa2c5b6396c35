"""Hostile HTTP servers on 127.0.0.1: a raw socket server whose answer is chosen by `mode`.

Every request's head (request line and headers, as bytes) is recorded, so a test can see where a
bearer token went. Each connection is served on its own daemon thread and ends when the client goes
away (or the server is stopped).

Modes:
- endless:          200, no length, zeros at full speed until the client hangs up;
- endless-chunked:  200, chunked, 64 KiB chunks forever;
- huge-length:      200 with Content-Length 10 GB, then zeros;
- huge-headers:     200, then one header line that never ends (letters at full speed);
- many-headers:     200, then header lines forever;
- drip:             200 with headers, then one body byte a second;
- drip-headers:     the status line and headers one byte a second;
- redirect:         307 to `location` (another host), for every request.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Self


class HostileServer:
    def __init__(self, mode: str, location: str = "") -> None:
        self.mode = mode
        self.location = location
        self.heads: list[bytes] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        try:
            self._sock.close()
        except OSError:
            pass

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_head(self, conn: socket.socket) -> bytes:
        data = b""
        conn.settimeout(10)
        while b"\r\n\r\n" not in data and len(data) < 1 << 20:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n\r\n", 1)[0]

    def _send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        with self._lock:
            self.bytes_sent += len(data)

    def _serve(self, conn: socket.socket) -> None:
        try:
            head = self._read_head(conn)
            with self._lock:
                self.heads.append(head)
            getattr(self, "_" + self.mode.replace("-", "_"))(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _forever(self, conn: socket.socket, piece: bytes, pause: float = 0.0) -> None:
        deadline = time.monotonic() + 120  # never outlive a test run by much
        while not self._stop.is_set() and time.monotonic() < deadline:
            self._send(conn, piece)
            if pause:
                time.sleep(pause)

    _OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n"

    def _endless(self, conn: socket.socket) -> None:
        self._send(conn, self._OK + b"Connection: close\r\n\r\n")
        self._forever(conn, b"\0" * 65536)

    def _endless_chunked(self, conn: socket.socket) -> None:
        self._send(conn, self._OK + b"Transfer-Encoding: chunked\r\n\r\n")
        self._forever(conn, b"10000\r\n" + b"\0" * 65536 + b"\r\n")

    def _huge_length(self, conn: socket.socket) -> None:
        self._send(conn, self._OK + b"Content-Length: 10000000000\r\n\r\n")
        self._forever(conn, b"\0" * 65536)

    def _huge_headers(self, conn: socket.socket) -> None:
        self._send(conn, self._OK + b"X-Huge: ")
        self._forever(conn, b"a" * 65536)

    def _many_headers(self, conn: socket.socket) -> None:
        self._send(conn, self._OK)
        self._forever(conn, b"X-Many: aaaaaaaaaaaaaaaa\r\n" * 1000)

    def _drip(self, conn: socket.socket) -> None:
        self._send(conn, self._OK + b"Connection: close\r\n\r\n")
        self._forever(conn, b"{", pause=1.0)

    def _drip_headers(self, conn: socket.socket) -> None:
        for byte in self._OK:
            self._send(conn, bytes([byte]))
            time.sleep(1.0)
        self._forever(conn, b"X", pause=1.0)

    def _redirect(self, conn: socket.socket) -> None:
        body = b"{}"
        self._send(conn, b"HTTP/1.1 307 Temporary Redirect\r\nLocation: " + self.location.encode()
                   + b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n" + body)
