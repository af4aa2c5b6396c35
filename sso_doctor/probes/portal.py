"""Access checks with the cached SSO token: ListAccounts, ListAccountRoles, GetRoleCredentials, and STS
GetCallerIdentity with the role credentials, through botocore's own `sso` and `sts` clients.

The token is read with botocore's own read-only loader (SSOTokenLoader over a JSONFileCache of
~/.aws/sso/cache). Nothing is refreshed and nothing is written: an expired token is left alone (the
token-cache rules report it). The bearer token goes only to the resolved portal endpoint; role
credentials live in memory, are registered as secrets at once, and go only to STS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sso_doctor.probes.targets import ProfileClients
from sso_doctor.redact import Secrets

# Errors that mean "the network path is broken": the probes (SSO5xx) explain those.
# ResponseTooLarge (probes/bounded.py): the exchange could not complete, like a broken connection.
NETWORK_ERRORS = ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "SSLError",
                  "ProxyConnectionError", "ConnectionClosedError", "HTTPClientError", "ConnectionError",
                  "ResponseTooLarge")

MAX_PARALLEL_ROLE_CALLS = 8


@dataclass(frozen=True)
class Call:
    """The outcome of one API call. state: ok, error, network, pending (still running), not-run."""

    state: str
    code: str = ""  # AWS error code (UnauthorizedException, ForbiddenException, ...) or exception type
    message: str = ""  # AWS's message, redacted
    status: int | None = None

    @property
    def done(self) -> bool:
        return self.state in ("ok", "error", "network")


PENDING = Call("pending")
NOT_RUN = Call("not-run")


@dataclass(frozen=True)
class ProfileAccess:
    """What the access checks learned about one profile (so far)."""

    profile: str
    session_name: str | None
    account_id: str
    role_name: str
    token: str  # usable, missing, expired, unreadable
    token_detail: str = ""
    cache_file: str | None = None
    list_accounts: Call = NOT_RUN
    accounts: tuple[tuple[str, str], ...] | None = None  # (id, name)
    list_roles: Call = NOT_RUN
    roles: tuple[str, ...] | None = None
    role_credentials: Call = NOT_RUN
    caller_identity: Call = NOT_RUN
    caller_account: str | None = None
    caller_arn: str | None = None
    finished: bool = False

    @property
    def usable(self) -> bool:
        return self.token == "usable"


@dataclass
class _Shared:
    """Calls shared between profiles of one login: one ListAccounts per token, one role list per account."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    results: dict[Any, Any] = field(default_factory=dict)
    events: dict[Any, threading.Event] = field(default_factory=dict)

    def once(self, key: Any, fn: Callable[[], Any]) -> Any:
        with self.lock:
            ev = self.events.get(key)
            owner = ev is None
            if owner:
                ev = self.events[key] = threading.Event()
        if owner:
            try:
                self.results[key] = fn()
            finally:
                ev.set()
        else:
            ev.wait()
        return self.results[key]


def token_cache_dir(home: str | None) -> Path | None:
    return Path(home) / ".aws" / "sso" / "cache" if home else None


class CachedToken(NamedTuple):
    state: str  # usable, missing, expired, unreadable
    detail: str
    access: str | None  # the access token, when usable
    expires: dt.datetime | None = None


def load_token(cache_dir: Path | None, start_url: str, session_name: str | None, now: dt.datetime,
               secrets: Secrets) -> tuple[str, str, str | None]:
    """(state, detail, access token) via botocore's read-only SSOTokenLoader. Never refreshes."""
    return cached_token(cache_dir, start_url, session_name, now, secrets)[:3]


def cached_token(cache_dir: Path | None, start_url: str, session_name: str | None, now: dt.datetime,
                 secrets: Secrets) -> CachedToken:
    """The cached token via botocore's read-only SSOTokenLoader, with its expiry. Never refreshes,
    never writes (also what the admin commands use instead of botocore's refreshing provider)."""
    from botocore.utils import JSONFileCache, SSOTokenLoader, parse_timestamp

    if cache_dir is None:
        return CachedToken("missing", "no HOME, so no token cache", None)
    try:
        token = SSOTokenLoader(cache=JSONFileCache(str(cache_dir)))(start_url, session_name=session_name)
    except Exception as e:  # noqa: BLE001 - missing, corrupt or unreadable: the token-cache rules say which
        return CachedToken("missing" if type(e).__name__ == "SSOTokenLoadError" else "unreadable",
                           type(e).__name__, None)
    if not isinstance(token, dict):
        return CachedToken("unreadable", "not a JSON object", None)
    for k in ("accessToken", "refreshToken", "clientSecret"):
        secrets.add(token.get(k))
    access = token.get("accessToken")
    if not isinstance(access, str) or not access:
        return CachedToken("unreadable", "no accessToken", None)
    try:
        expires = parse_timestamp(token["expiresAt"])
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.UTC)
        # inside the try: an offset of +24:00 or more parses, then fails here (ValueError/OverflowError)
        expires = expires.astimezone(dt.UTC)
        expired = expires <= now
        shown = expires.strftime('%Y-%m-%dT%H:%M:%SZ')
    except Exception:  # noqa: BLE001
        return CachedToken("unreadable", "expiresAt does not parse", None)
    if expired:
        return CachedToken("expired", f"expired at {shown}", None, expires)
    return CachedToken("usable", f"expires at {shown}", access, expires)


def _call(fn: Callable[[], Any], secrets: Secrets) -> tuple[Call, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return Call("ok"), fn()
    except ClientError as e:
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return Call("error", str(err.get("Code") or "ClientError"), secrets.redact(str(err.get("Message") or "")),
                    status), None
    except BotoCoreError as e:
        name = type(e).__name__
        state = "network" if any(n in name for n in NETWORK_ERRORS) or "connect" in name.lower() else "error"
        return Call(state, name, secrets.redact(str(e))), None
    except Exception as e:  # noqa: BLE001 - anything else is reported by type only
        return Call("error", type(e).__name__, ""), None


class _ProfileRecorder:
    def __init__(self, base: ProfileAccess) -> None:
        self.lock = threading.Lock()
        self.state = base
        self.done = threading.Event()

    def update(self, **changes: Any) -> None:
        from dataclasses import replace

        with self.lock:
            self.state = replace(self.state, **changes)

    def snapshot(self) -> ProfileAccess:
        with self.lock:
            return self.state


class AccessRun:
    """Runs the access checks of every selected profile with a usable token, concurrently."""

    def __init__(self, clients: Mapping[str, ProfileClients], home: str | None, now: dt.datetime,
                 secrets: Secrets, deadline: float) -> None:
        self.deadline = deadline
        self.secrets = secrets
        self.shared = _Shared()
        # --all-profiles over many profiles must not itself trip the portal's per-user rate limit
        self.per_role_calls = threading.BoundedSemaphore(MAX_PARALLEL_ROLE_CALLS)
        self.recorders: dict[str, _ProfileRecorder] = {}
        self.threads: list[threading.Thread] = []
        cache_dir = token_cache_dir(home)
        for name, pc in clients.items():
            sso = pc.sso
            state, detail, token = load_token(cache_dir, sso.start_url or "", sso.session_name, now, secrets)
            key = hashlib.sha1((sso.session_name or sso.start_url or "").encode()).hexdigest()
            base = ProfileAccess(name, sso.session_name, sso.get("sso_account_id") or "",
                                 sso.get("sso_role_name") or "", state, detail,
                                 str(cache_dir / f"{key}.json") if cache_dir else None)
            rec = _ProfileRecorder(base)
            self.recorders[name] = rec
            if token is None or not base.account_id or not base.role_name:
                rec.update(finished=True)
                rec.done.set()
                continue
            self.threads.append(threading.Thread(target=self._run, args=(rec, pc, token), daemon=True,
                                                 name=f"sso-doctor-access-{name}"))

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def results(self, until: float) -> list[ProfileAccess]:
        for rec in self.recorders.values():
            rec.done.wait(max(0.0, until - time.monotonic()))
        return [rec.snapshot() for rec in self.recorders.values()]

    def _run(self, rec: _ProfileRecorder, pc: ProfileClients, token: str) -> None:
        try:
            self._steps(rec, pc, token)
        finally:
            rec.update(finished=True)
            rec.done.set()

    def _steps(self, rec: _ProfileRecorder, pc: ProfileClients, token: str) -> None:
        s = rec.snapshot()
        portal = pc.portal

        def list_accounts() -> tuple[Call, Any]:
            def fetch() -> list[tuple[str, str]]:
                out = []
                for page in portal.get_paginator("list_accounts").paginate(accessToken=token):
                    out += [(a.get("accountId", ""), a.get("accountName", "")) for a in page.get("accountList", [])]
                return out

            return _call(fetch, self.secrets)

        rec.update(list_accounts=PENDING)
        call, accounts = self.shared.once(("accounts", pc.portal_url, token), list_accounts)
        rec.update(list_accounts=call, accounts=tuple(accounts) if accounts is not None else None)
        if call.state != "ok" or s.account_id not in {a for a, _ in accounts}:
            return

        def list_roles() -> tuple[Call, Any]:
            def fetch() -> list[str]:
                out = []
                for page in portal.get_paginator("list_account_roles").paginate(accessToken=token,
                                                                                accountId=s.account_id):
                    out += [r.get("roleName", "") for r in page.get("roleList", [])]
                return out

            return _call(fetch, self.secrets)

        rec.update(list_roles=PENDING)
        call, roles = self.shared.once(("roles", pc.portal_url, token, s.account_id), list_roles)
        rec.update(list_roles=call, roles=tuple(roles) if roles is not None else None)
        if call.state != "ok" or s.role_name not in roles:
            return

        rec.update(role_credentials=PENDING)
        with self.per_role_calls:
            call, out = _call(lambda: portal.get_role_credentials(accessToken=token, accountId=s.account_id,
                                                                  roleName=s.role_name), self.secrets)
        creds = (out or {}).get("roleCredentials") or {}
        for k in ("accessKeyId", "secretAccessKey", "sessionToken"):
            self.secrets.add(creds.get(k))
        rec.update(role_credentials=call)
        if call.state != "ok":
            return
        if not all(isinstance(creds.get(k), str) for k in ("accessKeyId", "secretAccessKey", "sessionToken")):
            rec.update(role_credentials=Call("error", "IncompleteCredentials", "the answer lacks credentials"))
            return

        rec.update(caller_identity=PENDING)
        left = self.deadline - time.monotonic()
        with self.per_role_calls:
            call, ident = _call(lambda: pc.sts_client(creds, left).get_caller_identity(), self.secrets)
        ident = ident or {}
        rec.update(caller_identity=call, caller_account=ident.get("Account"), caller_arn=ident.get("Arn"))
