"""Probe one URL the way botocore would reach it: DNS, TCP, proxy CONNECT, TLS, one HTTP request.

Each probe runs on its own daemon thread against one deadline; every blocking step gets the time
that is left. A probe records each step as it goes, so when the deadline comes first we still know
how far it got ("TCP to the proxy worked, CONNECT got no answer"). No credential or token is sent:
the HTTP request is a plain GET with no Authorization header. (A proxy's own Basic credentials are
sent to the proxy, as botocore does, or every authenticating proxy would look broken.)
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from sso_doctor import __version__
from sso_doctor.probes import tls
from sso_doctor.probes.targets import Target

_S = TypeVar("_S", bound=socket.socket)

USER_AGENT = f"sso-doctor/{__version__} (connectivity probe; no credentials)"


@dataclass(frozen=True)
class Step:
    """One step of a probe. ok is None while it has not finished."""

    name: str  # dns, tcp, proxy-connect, tls, http
    ok: bool | None
    detail: str = ""  # what was learned: addresses, status line, OpenSSL's message
    cause: str = ""  # on failure: nxdomain, refused, timeout, unreachable, reset, status, verify, protocol...
    seconds: float = 0.0
    via_proxy: bool = False  # the step talked to the proxy, not to the target


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    location: str | None
    date: str | None
    received_at: float  # local wall clock (epoch seconds) when the headers arrived


@dataclass(frozen=True)
class ProbeResult:
    target: Target
    steps: tuple[Step, ...]
    finished: bool
    response: Response | None = None
    tls: tls.TlsDiagnosis | None = None

    @property
    def failed_step(self) -> Step | None:
        for s in self.steps:
            if s.ok is not True:
                return s
        return None

    @property
    def ok(self) -> bool:
        return self.finished and self.failed_step is None


class StepFailed(Exception):
    pass


class _Recorder:
    """Mutable progress of one probe, read by rule threads while the probe thread writes it."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.lock = threading.Lock()
        self.steps: list[Step] = []
        self.current: tuple[str, float, bool] | None = None
        self.response: Response | None = None
        self.tls: tls.TlsDiagnosis | None = None
        self.done = threading.Event()

    def begin(self, name: str, via_proxy: bool = False) -> None:
        with self.lock:
            self.current = (name, time.monotonic(), via_proxy)

    def end(self, ok: bool, detail: str = "", cause: str = "") -> None:
        with self.lock:
            if self.current is None:
                return
            name, started, via = self.current
            self.steps.append(Step(name, ok, detail, cause, round(time.monotonic() - started, 3), via))
            self.current = None
        if not ok:
            raise StepFailed(name)

    def snapshot(self) -> ProbeResult:
        with self.lock:
            steps = list(self.steps)
            if self.current is not None:
                name, started, via = self.current
                waited = round(time.monotonic() - started, 3)
                steps.append(Step(name, None, f"no answer after {waited:.1f} s", "unfinished", waited, via))
            return ProbeResult(self.target, tuple(steps), self.done.is_set(), self.response, self.tls)


class Probe:
    """One probe of one target; `start()` it, then `result()` at any time."""

    def __init__(self, target: Target, deadline: float, public_roots: str, env: Mapping[str, str]) -> None:
        self.target = target
        self.deadline = deadline
        self.public_roots = public_roots
        self.env = env
        self.rec = _Recorder(target)
        self._socks: list[socket.socket] = []
        self._socks_lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"sso-doctor-probe-{target.host}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def result(self) -> ProbeResult:
        return self.rec.snapshot()

    def wait(self, until: float) -> ProbeResult:
        self.rec.done.wait(max(0.0, until - time.monotonic()))
        return self.rec.snapshot()

    # --- the steps ------------------------------------------------------------------------------------

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("time budget used up")
        return left

    def _ended_by_watchdog(self) -> bool:
        """Whether an error now is the watchdog shutting the socket at the deadline: then the server did
        not answer in time, whatever the socket says (a reset, an EOF)."""
        return time.monotonic() >= self.deadline - 0.01

    def _track(self, sock: _S) -> _S:
        """Remember a socket, so the watchdog can wake a read that a server drips a byte at a time
        (each byte restarts the socket timeout, so only the deadline can end it)."""
        with self._socks_lock:
            self._socks.append(sock)
        return sock

    def _watchdog(self) -> None:
        with self._socks_lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _run(self) -> None:
        timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self._watchdog)
        timer.daemon = True
        timer.start()
        try:
            self._probe()
        except StepFailed:
            pass
        except TimeoutError:
            with self.rec.lock:
                if self.rec.current is not None:
                    name, started, via = self.rec.current
                    waited = round(time.monotonic() - started, 3)
                    self.rec.steps.append(Step(name, False, f"no answer within {waited:.1f} s", "timeout", waited, via))
                    self.rec.current = None
        except Exception as e:  # noqa: BLE001 - a probe never crashes the run; record what happened
            with self.rec.lock:
                name = self.rec.current[0] if self.rec.current else "probe"
                self.rec.steps.append(Step(name, False, f"{type(e).__name__}", "error"))
                self.rec.current = None
        finally:
            timer.cancel()
            self.rec.done.set()

    def _probe(self) -> None:
        t = self.target
        proxy = t.proxy
        if proxy is not None and proxy.scheme not in ("http", "https"):
            self.rec.begin("proxy-connect", via_proxy=True)
            self.rec.end(False, f"botocore cannot use a {proxy.scheme}:// proxy", "unsupported-proxy")
        sock = self._connect()
        try:
            if t.scheme == "https":
                sock = self._tls(sock)
            self._http(sock)
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _connect(self, quiet: bool = False) -> socket.socket:
        """DNS + TCP (+ CONNECT through the proxy). `quiet` for the diagnostic second connection."""
        t = self.target
        proxy = t.proxy
        host, port = (proxy.host, proxy.port) if proxy else (t.host, t.port)
        via = proxy is not None
        rec = _Quiet() if quiet else self.rec

        rec.begin("dns", via_proxy=via)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            cause = "nxdomain" if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)) else "dns-error"
            rec.end(False, e.strerror or str(e), cause)
            raise StepFailed("dns") from None
        addrs = list(dict.fromkeys(info[4][0] for info in infos))
        rec.end(True, ", ".join(addrs[:4]))

        rec.begin("tcp", via_proxy=via)
        last: OSError | None = None
        sock = None
        for family, socktype, proto, _canon, addr in infos:
            s = self._track(socket.socket(family, socktype, proto))
            try:
                s.settimeout(self._left())
                s.connect(addr)
                sock = s
                break
            except TimeoutError as e:
                s.close()
                last = e
                if time.monotonic() >= self.deadline:
                    break
            except OSError as e:
                s.close()
                last = e
        if sock is None:
            if isinstance(last, (TimeoutError, socket.timeout)):
                rec.end(False, f"no answer to the TCP connection to {host}:{port}", "timeout")
            elif isinstance(last, ConnectionRefusedError):
                rec.end(False, f"connection to {host}:{port} refused", "refused")
            else:
                rec.end(False, f"{host}:{port}: {getattr(last, 'strerror', None) or last}", "unreachable")
            raise StepFailed("tcp")
        rec.end(True, f"connected to {sock.getpeername()[0]}:{port}")

        if proxy is not None and proxy.scheme == "https":
            rec.begin("proxy-tls", via_proxy=True)
            try:
                ctx = ssl.create_default_context(cafile=t.ca_bundle) if t.ca_bundle else ssl.create_default_context()
                sock.settimeout(self._left())
                sock = self._track(ctx.wrap_socket(sock, server_hostname=proxy.host))
            except (ssl.SSLError, OSError) as e:
                sock.close()
                if isinstance(e, TimeoutError) or (not isinstance(e, ssl.SSLError) and self._ended_by_watchdog()):
                    rec.end(False, "the proxy accepted the connection but did not answer the TLS handshake",
                            "timeout")
                else:
                    rec.end(False, str(e), "protocol")
                raise StepFailed("proxy-tls") from None
            rec.end(True)

        if proxy is not None and t.scheme == "https":
            rec.begin("proxy-connect", via_proxy=True)
            lines = [f"CONNECT {t.host}:{t.port} HTTP/1.1", f"Host: {t.host}:{t.port}", f"User-Agent: {USER_AGENT}"]
            lines += [f"{k}: {v}" for k, v in proxy.headers]
            try:
                sock.settimeout(self._left())
                sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
                head = _read_head(sock, self)
            except OSError as e:  # TimeoutError included
                sock.close()
                if isinstance(e, TimeoutError) or self._ended_by_watchdog():
                    rec.end(False, "the proxy accepted the connection but did not answer CONNECT", "timeout")
                else:
                    rec.end(False, f"the proxy closed the connection ({e.strerror or type(e).__name__})", "reset")
                raise StepFailed("proxy-connect") from None
            status_line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace").strip()
            parts = status_line.split(" ", 2)
            code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            if code != 200:
                sock.close()
                rec.end(False, status_line or "no status line", f"status-{code}")
                raise StepFailed("proxy-connect")
            rec.end(True, status_line)
        return sock

    def _tls(self, sock: socket.socket) -> ssl.SSLSocket:
        t = self.target
        self.rec.begin("tls")
        try:
            ctx = _verifying_context(t.ca_bundle)
        except (OSError, ssl.SSLError) as e:
            sock.close()
            self.rec.tls = tls.TlsDiagnosis("ca-bundle-unusable", f"{t.ca_bundle}: {getattr(e, 'strerror', None) or e}")
            self.rec.end(False, f"the CA bundle {t.ca_bundle} cannot be loaded", "ca-bundle")
            raise StepFailed("tls") from None
        try:
            sock.settimeout(self._left())
            tsock = self._track(ctx.wrap_socket(sock, server_hostname=t.host))
        except ssl.SSLCertVerificationError as e:
            sock.close()
            self.rec.tls = self._diagnose(e)
            self.rec.end(False, getattr(e, "verify_message", None) or str(e), "verify")
            raise StepFailed("tls") from None
        except TimeoutError:
            sock.close()
            self.rec.end(False, "the server accepted the connection but did not answer the TLS handshake", "timeout")
            raise StepFailed("tls") from None
        except ssl.SSLError as e:
            sock.close()
            if isinstance(e, (ssl.SSLEOFError, ssl.SSLZeroReturnError)) and self._ended_by_watchdog():
                self.rec.end(False, "the server accepted the connection but did not answer the TLS handshake",
                             "timeout")
                raise StepFailed("tls") from None
            self.rec.tls = tls.diagnose_ssl_error(e)
            self.rec.end(False, str(e), "protocol")
            raise StepFailed("tls") from None
        except OSError as e:
            sock.close()
            if self._ended_by_watchdog():
                self.rec.end(False, "the server accepted the connection but did not answer the TLS handshake",
                             "timeout")
                raise StepFailed("tls") from None
            self.rec.tls = tls.TlsDiagnosis("protocol", f"connection closed during the TLS handshake "
                                            f"({e.strerror or type(e).__name__})")
            self.rec.end(False, f"connection closed during the TLS handshake ({e.strerror or type(e).__name__})",
                         "reset")
            raise StepFailed("tls") from None
        self.rec.end(True, f"{tsock.version()}, verified with {t.ca_bundle}")
        return tsock

    def _diagnose(self, err: ssl.SSLCertVerificationError) -> tls.TlsDiagnosis:
        """Second handshake with verification off, only to read the chain; nothing is sent over it."""
        chain: list[bytes] = []
        try:
            raw = self._connect(quiet=True)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            raw.settimeout(self._left())
            with self._track(ctx.wrap_socket(raw, server_hostname=self.target.host)) as s:
                chain = tls.peer_chain_der(s)
        except Exception:  # noqa: BLE001, S110 - best effort: the failure itself is already recorded
            pass
        return tls.diagnose_verify_failure(err, chain, self.public_roots, self.env)

    def _http(self, sock: socket.socket) -> None:
        t = self.target
        self.rec.begin("http")
        conn = http.client.HTTPConnection(t.host, t.port, timeout=self._left())
        conn.sock = sock
        path = t.path
        if t.proxy is not None and t.scheme == "http":
            path = t.url  # absolute-form through a plain-HTTP proxy
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
        if t.proxy is not None and t.scheme == "http":
            headers.update(dict(t.proxy.headers))
        try:
            sock.settimeout(self._left())
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            received = time.time()
        except TimeoutError:
            self.rec.end(False, "the request was sent but no HTTP answer came back", "timeout")
            return
        except (http.client.HTTPException, OSError) as e:
            if time.monotonic() >= self.deadline:  # the watchdog ended an answer that came too slowly
                self.rec.end(False, "the HTTP answer did not arrive in time (it came too slowly)", "timeout")
            elif isinstance(e, http.client.LineTooLong) or "more than" in str(e):
                self.rec.end(False, f"the HTTP answer's headers are too large ({type(e).__name__}: over "
                              f"{http.client._MAXLINE} bytes a line or {http.client._MAXHEADERS} lines)", "reset")
            else:
                self.rec.end(False, f"the connection broke before an HTTP answer ({type(e).__name__})", "reset")
            return
        self.rec.response = Response(resp.status, resp.reason, resp.getheader("Location"), resp.getheader("Date"),
                                     received)
        self.rec.end(True, f"HTTP {resp.status} {resp.reason}")


class _Quiet:
    def begin(self, *a: object, **k: object) -> None:
        pass

    def end(self, ok: bool, *a: object) -> None:
        if not ok:
            raise StepFailed("diagnostic connection")


def _verifying_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The context urllib3 builds for botocore: its defaults, botocore's bundle, hostname checks."""
    from botocore.httpsession import create_urllib3_context

    ctx = create_urllib3_context()
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    import os

    if ca_bundle and os.path.isdir(ca_bundle):
        ctx.load_verify_locations(capath=ca_bundle)
    elif ca_bundle:
        ctx.load_verify_locations(cafile=ca_bundle)
    return ctx


def _read_head(sock: socket.socket, probe: Probe) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        sock.settimeout(probe._left())
        chunk = sock.recv(4096)
        if not chunk:
            if not data:
                raise ConnectionResetError("closed")
            break
        data += chunk
    return data


def parse_http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()
