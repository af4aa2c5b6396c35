"""Bounded HTTP for botocore's clients: a response body is read up to a cap and only until the deadline.

botocore reads every non-streaming response body whole (`AWSResponse.content` joins the raw stream),
with a read timeout that restarts on every byte: a portal or proxy that answers `200` with an endless
body drives memory into gigabytes, and one that drips a byte a second never times out. Every client
sso-doctor creates gets its HTTP session wrapped here. The wrapper lets botocore send the request
exactly as it would (same proxy, TLS, headers; redirects are not followed, as botocore never follows
them), then reads the body itself:

- at most MAX_BODY_BYTES (a Content-Length above it is refused before reading a byte); more raises
  ResponseTooLarge, which the findings name ("the response was larger than 2 MiB");
- one `read1` at a time, so a slow drip still ends at the deadline (ReadTimeoutError, a network
  failure like any other timeout), and a watchdog shuts the socket down at the deadline so no thread
  stays blocked in a read after the run.

Response headers are bounded by http.client itself (65,536 bytes a line, 100 header lines).
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from typing import Any

# The portal's real answers are a few KiB (a ListAccounts page holds at most 100 accounts); a cap of
# 2 MiB leaves room for any real answer and bounds what a broken or hostile server costs.
MAX_BODY_BYTES = 2 * 1024 * 1024
_CHUNK = 64 * 1024


def _exceptions() -> tuple[type[Exception], type[Exception], type[Exception]]:
    from botocore.exceptions import ConnectionClosedError, HTTPClientError, ReadTimeoutError

    return HTTPClientError, ReadTimeoutError, ConnectionClosedError


@functools.cache
def _too_large_class() -> type[Exception]:
    from botocore.exceptions import BotoCoreError

    # A BotoCoreError but not an HTTPClientError: botocore retries those as transient, and asking a
    # server that sent too much to send it again only costs more.
    class ResponseTooLarge(BotoCoreError):
        fmt = ("The response from {endpoint_url} is larger than {limit_text}; sso-doctor stopped reading it "
               "(a real answer is a few KiB)")

    return ResponseTooLarge


def response_too_large(endpoint_url: str, limit: int) -> Exception:
    return _too_large_class()(endpoint_url=endpoint_url, limit_text=_size(limit))


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n} bytes"


class BoundedHttpSession:
    """Wraps botocore's URLLib3Session; every other attribute is the wrapped session's."""

    def __init__(self, inner: Any, deadline: float | None, limit: int = MAX_BODY_BYTES,
                 per_request: float | None = None) -> None:
        self._inner = inner
        self._deadline = deadline  # one end for every request of a run (check's --timeout) ...
        self._per_request = per_request  # ... or seconds for each request (admin walks of many pages)
        self._limit = limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def send(self, request: Any) -> Any:
        if request.stream_output:  # a streaming operation reads its own body; we have none
            return self._inner.send(request)
        request.stream_output = True  # botocore: "don't read the body", we read it below
        try:
            response = self._inner.send(request)
        finally:
            request.stream_output = False
        deadline = self._deadline if self._deadline is not None else time.monotonic() + (self._per_request or 60.0)
        response._content = read_body(response.raw, request.url, deadline, self._limit)
        return response


def read_body(raw: Any, url: str, deadline: float, limit: int = MAX_BODY_BYTES) -> bytes:
    """Up to `limit` bytes of a urllib3 response, read before `deadline` (time.monotonic())."""
    _, read_timeout_error, connection_closed_error = _exceptions()
    length = raw.headers.get("Content-Length") if raw.headers is not None else None
    if length is not None and length.strip().isdigit() and int(length) > limit:
        _close(raw)
        raise response_too_large(url, limit)
    sock = _socket_of(raw)
    watchdog = _Watchdog(sock, deadline)
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            if time.monotonic() >= deadline:
                raise read_timeout_error(endpoint_url=url)
            try:
                chunk = raw.read1(_CHUNK)
            except Exception as e:  # noqa: BLE001 - urllib3/http.client/socket errors: the connection broke
                if watchdog.fired or time.monotonic() >= deadline:
                    raise read_timeout_error(endpoint_url=url) from None
                if "timeout" in type(e).__name__.lower() or isinstance(e, socket.timeout):
                    raise read_timeout_error(endpoint_url=url) from None
                raise connection_closed_error(endpoint_url=url) from None
            if not chunk:
                _release(raw)
                break
            total += len(chunk)
            if total > limit:
                _close(raw)
                raise response_too_large(url, limit)
            chunks.append(chunk)
    finally:
        watchdog.cancel()
    return b"".join(chunks)


def _socket_of(raw: Any) -> socket.socket | None:
    conn = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(conn, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _release(raw: Any) -> None:
    try:
        raw.release_conn()
    except Exception:  # noqa: BLE001, S110 - the pool opens a new connection next time
        pass


def _close(raw: Any) -> None:
    try:
        raw.close()
    except Exception:  # noqa: BLE001, S110 - closing a broken response is best effort
        pass


class _Watchdog:
    """Shuts the socket down at the deadline, which wakes a read blocked on a drip."""

    def __init__(self, sock: socket.socket | None, deadline: float) -> None:
        self.fired = False
        self._sock = sock
        self._timer: threading.Timer | None = None
        if sock is not None:
            self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
        except OSError:
            pass

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def install(client: Any, deadline: float | None = None, limit: int = MAX_BODY_BYTES,
            per_request: float | None = None) -> Any:
    """Make `client` (a botocore or boto3 client) read its response bodies through a BoundedHttpSession:
    until `deadline` (time.monotonic()), or for `per_request` seconds per request."""
    endpoint = client._endpoint
    if not isinstance(endpoint.http_session, BoundedHttpSession):
        endpoint.http_session = BoundedHttpSession(endpoint.http_session, deadline, limit, per_request)
    return client


class BoundedSession:
    """A boto3 Session whose clients read bounded bodies (the admin commands' session)."""

    def __init__(self, session: Any, per_request: float) -> None:
        self._session = session
        self._per_request = per_request

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def client(self, *args: Any, **kwargs: Any) -> Any:
        return install(self._session.client(*args, **kwargs), per_request=self._per_request)
