"""Token situations shared by the botocore ground-truth, canary and read-only tests.

Each case is one profile (and, unless legacy, one sso-session of the same name) whose token file
is in one state relative to `now`. `write_home` lays them all out in one fake HOME.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

ACCOUNT = "111111111111"
ROLE = "Admin"
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
D = dt.timedelta(days=1)


@dataclass(frozen=True)
class Case:
    name: str
    expected: str  # botocore's verdict: works / refreshes / login
    legacy: bool = False
    expires: dt.timedelta = 2 * H
    suffix: str = "Z"
    refresh: bool = False
    registration: dt.timedelta = 60 * D
    registration_text: str | None = None
    drop: tuple[str, ...] = ()
    raw: str | bytes | None = None  # file content instead of a token
    truncate: bool = False  # the token's JSON cut in half
    directory: bool = False  # a directory with the token's file name
    missing: bool = False
    number: int = 0
    secrets: tuple[str, str, str] | None = None  # access token, refresh token, client secret

    @property
    def start_url(self) -> str:
        return f"https://d-90000000{self.number:02d}.awsapps.com/start"

    @property
    def key(self) -> str:
        return hashlib.sha1((self.start_url if self.legacy else self.name).encode()).hexdigest()

    @property
    def access_token(self) -> str:
        return self.secrets[0] if self.secrets else f"access-{self.name}"

    @property
    def refresh_token(self) -> str:
        return self.secrets[1] if self.secrets else f"refresh-{self.name}"

    @property
    def client_secret(self) -> str:
        return self.secrets[2] if self.secrets else f"secret-{self.name}"

    @property
    def client_id(self) -> str:
        return f"client-{self.name}"


_CASES = [
    Case("valid-session", "works", refresh=True),
    Case("valid-legacy", "works", legacy=True),
    Case("valid-utc-suffix", "works", legacy=True, suffix="UTC"),
    Case("expired-legacy", "login", legacy=True, expires=-2 * H),
    Case("expired-legacy-utc-suffix", "login", legacy=True, expires=-2 * H, suffix="UTC"),
    Case("expired-refreshable", "refreshes", refresh=True, expires=-2 * H),
    Case("expired-refreshable-utc-suffix", "refreshes", refresh=True, expires=-2 * H, suffix="UTC"),
    Case("expired-registration-expired", "login", refresh=True, expires=-2 * H, registration=-D),
    Case("expired-missing-refresh-fields", "login", refresh=True, expires=-2 * H, drop=("refreshToken", "clientSecret")),
    Case("expired-no-refresh-fields", "login", expires=-2 * H),
    Case("window-refreshable", "refreshes", refresh=True, expires=5 * M),
    Case("window-legacy", "works", legacy=True, expires=5 * M),
    Case("window-missing-refresh-fields", "works", refresh=True, expires=5 * M, drop=("clientId",)),
    Case("window-registration-expired", "works", refresh=True, expires=5 * M, registration=-D),
    Case("window-registration-unparseable", "login", refresh=True, expires=5 * M, registration_text="soon"),
    Case("outside-window-registration-unparseable", "works", refresh=True, expires=20 * M, registration_text="soon"),
    Case("missing-file", "login", missing=True),
    Case("missing-file-legacy", "login", legacy=True, missing=True),
    Case("truncated-file", "login", refresh=True, truncate=True),
    Case("binary-file", "login", legacy=True, raw=bytes(range(256))),
    Case("json-array", "login", raw="[]"),
    Case("no-access-token", "login", raw=json.dumps({"expiresAt": "2099-01-01T00:00:00Z"})),
    Case("expires-at-without-zone", "login", legacy=True, suffix=""),
    Case("expires-at-garbage", "login", raw=json.dumps({"accessToken": "access-expires-at-garbage",
                                                        "expiresAt": "whenever"})),
    Case("directory-named-like-token", "login", directory=True),
]
CASES = [dataclasses.replace(c, number=i) for i, c in enumerate(_CASES)]


def session_config(start_url: str, region: str = "us-east-1", session: str = "corp") -> str:
    """Profiles dev and ops sharing one sso-session."""
    profiles = "".join(f"[profile {name}]\nsso_session = {session}\nsso_account_id = {account}\nsso_role_name = Admin\n\n"
                       for name, account in (("dev", "111111111111"), ("ops", "222222222222")))
    return profiles + f"[sso-session {session}]\nsso_start_url = {start_url}\nsso_region = {region}\n"


def with_secrets(cases: list[Case], make) -> list[Case]:
    """Copies of the cases whose access token, refresh token and client secret come from make(label)."""
    return [dataclasses.replace(c, secrets=(make("access"), make("refresh"), make("client-secret"))) for c in cases]


def config_text(cases: list[Case]) -> str:
    out = []
    for c in cases:
        out.append(f"[profile {c.name}]")
        if c.legacy:
            out.append(f"sso_start_url = {c.start_url}\nsso_region = us-east-1")
        else:
            out.append(f"sso_session = {c.name}")
        out.append(f"sso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\nregion = us-east-1\n")
        if not c.legacy:
            out.append(f"[sso-session {c.name}]\nsso_start_url = {c.start_url}\nsso_region = us-east-1\n")
    return "\n".join(out)


def stamp(now: dt.datetime, delta: dt.timedelta, suffix: str = "Z") -> str:
    return (now + delta).strftime("%Y-%m-%dT%H:%M:%S") + suffix


def token_json(c: Case, now: dt.datetime) -> str:
    token = {"startUrl": c.start_url, "region": "us-east-1", "accessToken": c.access_token,
             "expiresAt": stamp(now, c.expires, c.suffix)}
    if c.refresh:
        token.update(refreshToken=c.refresh_token, clientId=c.client_id, clientSecret=c.client_secret,
                     registrationExpiresAt=c.registration_text or stamp(now, c.registration))
    for k in c.drop:
        token.pop(k)
    return json.dumps(token)


def write_case(cache: Path, c: Case, now: dt.datetime) -> None:
    path = cache / f"{c.key}.json"
    if c.missing:
        return
    if c.directory:
        path.mkdir()
        return
    if c.raw is not None:
        (path.write_bytes if isinstance(c.raw, bytes) else path.write_text)(c.raw)
    elif c.truncate:
        text = token_json(c, now)
        # cut after the refresh token, so the truncated file still holds every secret
        path.write_text(text[: text.index(c.client_secret) + len(c.client_secret) + 1])
    else:
        path.write_text(token_json(c, now))
    path.chmod(0o600)


def write_home(home: Path, cases: list[Case], now: dt.datetime) -> Path:
    """Config and token cache for every case under `home`; returns the cache directory."""
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o700)
    (home / ".aws" / "config").write_text(config_text(cases))
    for c in cases:
        write_case(cache, c, now)
    return cache
