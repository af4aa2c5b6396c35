"""Read the SSO token cache (`~/.aws/sso/cache`) and the AWS CLI's role-credential cache
(`~/.aws/cli/cache`) the way botocore reads them, and decide what botocore will do with each token.

botocore finds a profile's token by file name only: `sha1(sso-session name)` for sso-session
profiles, `sha1(exact sso_start_url)` for legacy ones (`SSOTokenLoader._generate_cache_key`, which we
call rather than copy). It opens the file with `open()` + `json.load()` and turns any OSError or
ValueError into a bare KeyError; it checks only that `accessToken` and `expiresAt` are present; it
parses times with `dateutil.parser.parse`; and `SSOTokenProvider` refreshes an sso-session token
inside a 15 minute window when `refreshToken`, `clientId`, `clientSecret` and an unexpired
`registrationExpiresAt` are present. `assess()` replays those decisions on facts; the tests run the
real botocore next to it to prove they agree.

Secrets never leave this module: every access token, refresh token, client secret and role
credential is registered with the run's `Secrets` when read, and the facts keep only which fields
exist (`has("refreshToken")`), never their values.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sso_doctor.loaders.aws_config import (
    SsoSession,
    SsoSettings,
    _os_reason,  # noqa: PLC2701 - one wording for OS errors
)
from sso_doctor.redact import Secrets

if TYPE_CHECKING:
    from sso_doctor.fixes import Command
    from sso_doctor.platform import Platform

# A token file is a few KiB. We refuse to read more than this rather than eat memory on a
# runaway file (botocore would try to read it all).
MAX_CACHE_FILE_BYTES = 1024 * 1024
# SSO205 warns this long before the client registration runs out.
REGISTRATION_WARNING = dt.timedelta(days=7)
# The fields botocore needs to refresh a token (SSOTokenProvider._refresh_access_token).
REFRESH_FIELDS = ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt")
# Keys whose string values we treat as secrets in any JSON file of the caches.
_SECRET_KEY = re.compile(r"token|secret|password|credential|accesskey|sessionkey", re.IGNORECASE)


# botocore's own values, mirrored: importing botocore.tokens / .credentials / .utils pulls in
# botocore.compat (urllib3, http.client), ~0.11 s on every offline run, for two constants and two
# one-line key functions. tests/test_token_cache_keys.py holds each of these to botocore's own.
_REFRESH_WINDOW_SECONDS = 15 * 60  # botocore.tokens.SSOTokenProvider._REFRESH_WINDOW
_ROLE_CREDENTIALS_WINDOW_SECONDS = 60 * 15  # botocore.credentials.CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS


def refresh_window_seconds() -> int:
    """botocore's SSOTokenProvider refresh window (15 minutes)."""
    return _REFRESH_WINDOW_SECONDS


def role_credentials_window_seconds() -> int:
    """Cached role credentials with less than this left are not used (CachedCredentialFetcher)."""
    return _ROLE_CREDENTIALS_WINDOW_SECONDS


@functools.lru_cache(maxsize=4096)
@functools.lru_cache(maxsize=1024)  # asked for every SSO profile; a config has a few distinct answers
def token_cache_key(start_url: str | None, session_name: str | None) -> str:
    """The token file's name without `.json`: botocore's SSOTokenLoader._generate_cache_key
    (sha1 of the sso-session name, else of the exact start URL)."""
    key = session_name if session_name is not None else start_url
    return hashlib.sha1((key or "").encode("utf-8")).hexdigest()


def role_credentials_key(
    start_url: str | None, session_name: str | None, account_id: str, role_name: str
) -> str:
    """The `~/.aws/cli/cache` file name (without `.json`) of a profile's SSO role credentials:
    botocore's SSOCredentialFetcher._create_cache_key (sha1 of compact, sorted JSON)."""
    args: dict[str, str | None] = {"roleName": role_name, "accountId": account_id}
    if session_name:  # botocore tests truthiness here (an empty name falls back to the start URL)
        args["sessionName"] = session_name
    else:
        args["startUrl"] = start_url
    blob = json.dumps(args, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def parse_time(value: object) -> tuple[dt.datetime | None, str | None]:
    """Parse a cache timestamp as botocore does (`dateutil.parser.parse`): (UTC time, problem).

    Accepts `...Z` and the `...UTC` suffix of old CLI versions. A time without a zone is a problem:
    botocore then fails comparing it with its timezone-aware clock.
    """
    if not isinstance(value, str):
        return None, f"it is a JSON {_json_type(value)}, not a date string"
    if _CANONICAL_TIME.fullmatch(value):
        # What the CLI and botocore write. dateutil reads these as exactly this UTC time (a test
        # compares both); it just takes ~0.3 ms each, which adds up over a big cache.
        try:
            # fromisoformat reads exactly YYYY-MM-DDTHH:MM:SS here, ten times faster than strptime
            return _in_range(dt.datetime.fromisoformat(value[:19]).replace(tzinfo=dt.timezone.utc))
        except ValueError:
            pass  # e.g. month 13: let dateutil decide, as botocore would
    import dateutil.parser

    if len(value) > _MAX_TIME_CHARS:
        return None, "it is not a date botocore can parse"
    try:
        parsed = dateutil.parser.parse(value)
    except (ValueError, OverflowError):
        return None, "it is not a date botocore can parse"
    try:
        offset = parsed.utcoffset()
    except ValueError:  # "+24:00", "+99:00": dateutil builds the zone, Python refuses to use it
        return None, "its time zone offset is out of range (a day or more), so botocore cannot compare it"
    if offset is None:
        return None, "it has no time zone, which botocore cannot compare with the current time"
    try:
        utc = parsed.astimezone(dt.timezone.utc)
    except OverflowError:
        return None, _EDGE_OF_CALENDAR
    return _in_range(utc)


def _in_range(utc: dt.datetime) -> tuple[dt.datetime | None, str | None]:
    """Every rule adds or subtracts windows of minutes to days around an expiry: a date so close to
    year 1 or 9999 that this arithmetic overflows is a problem, not a crash."""
    try:
        utc - _TIME_MARGIN, utc + _TIME_MARGIN
    except OverflowError:
        return None, _EDGE_OF_CALENDAR
    return utc, None


_EDGE_OF_CALENDAR = "it is a date at the very edge of the calendar (year 1 or 9999), not a real expiry"


# dateutil walks its input character by character; a real timestamp is ~25 characters
_MAX_TIME_CHARS = 64
# the widest window a rule computes around an expiry (refresh windows, "expires in N days", cache ages)
_TIME_MARGIN = dt.timedelta(days=800)


_CANONICAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|UTC)", re.ASCII)


def _json_type(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def portal_identity(url: str) -> str:
    """A start URL without the spelling differences that change botocore's cache key but not the
    portal: surrounding blanks, a fragment (`#`, `/#/`), trailing slashes, host case."""
    text = url.strip()
    text = text.split("#", 1)[0].rstrip("/")
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def start_url_variants(url: str) -> list[str]:
    """Other spellings of the same portal that users and tools write (each has its own cache key)."""
    base = portal_identity(url)
    spellings = [base, base + "/", base + "#", base + "/#", base + "/#/", base + "#/"]
    return [s for s in dict.fromkeys(spellings) if s != url]


def when(moment: dt.datetime | None, now: dt.datetime) -> str:
    """`2026-11-26T12:00:00Z (in 2h 5m)` / `(3 days ago)` for messages."""
    if moment is None:
        return "unknown"
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} ({relative(moment, now)})"


def relative(moment: dt.datetime, now: dt.datetime) -> str:
    seconds = (moment - now).total_seconds()
    span = _span(abs(seconds))
    if span == "now":
        return "now"
    return f"in {span}" if seconds > 0 else f"{span} ago"


def _span(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return "now" if s == 0 else f"{s}s"
    minutes, s = divmod(s, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    return f"{hours // 24} days"


# --- facts ------------------------------------------------------------------------------------------


class DirFacts(NamedTuple):
    """One cache directory. state: ok, missing, not-a-directory, unreadable."""

    path: Path
    state: str
    problem: str | None = None
    mode: int | None = None
    uid: int | None = None
    writable: bool | None = None

    @property
    def exists(self) -> bool:
        return self.state != "missing"


class CacheFile(NamedTuple):
    """One `*.json` entry of `~/.aws/sso/cache`, without any secret value.

    kind: token (has `accessToken`), registration (client id and secret, no token), foreign (some
    other JSON object), corrupt (not JSON, not an object), unreadable, not-a-file (a directory, a
    FIFO...), dangling (a symbolic link to nothing), too-large.
    """

    path: Path
    kind: str
    problem: str | None = None
    mode: int | None = None
    uid: int | None = None
    size: int | None = None
    fields: tuple[str, ...] = ()  # the JSON object's keys; values of secret keys are never kept
    start_url: str | None = None
    region: str | None = None
    expires_at: dt.datetime | None = None
    expires_at_problem: str | None = None
    registration_expires_at: dt.datetime | None = None
    registration_problem: str | None = None
    # when the file was last written (its mtime): the last `aws sso login` or refresh
    written_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        return self.path.name[: -len(".json")]

    @property
    def shown_name(self) -> str:
        return display_name(self.path.name)

    def has(self, name: str) -> bool:
        return name in self.fields

    @property
    def holds_secrets(self) -> bool:
        return self.kind in ("token", "registration")


class RoleCredentials(NamedTuple):
    """One `~/.aws/cli/cache` file. kind: sso (written by the CLI's SSO provider), other, unusable."""

    path: Path
    kind: str
    expires_at: dt.datetime | None = None
    problem: str | None = None


class TokenCache(NamedTuple):
    """Everything about the caches botocore and the AWS CLI read; no secret values."""

    directory: DirFacts  # ~/.aws/sso/cache
    parent: DirFacts  # ~/.aws/sso
    files: Mapping[str, CacheFile]  # by key (file name without .json)
    cli_directory: DirFacts  # ~/.aws/cli/cache
    role_credentials: Mapping[str, RoleCredentials]
    uid: int  # the user sso-doctor runs as

    def path_for(self, key: str) -> Path:
        return self.directory.path / f"{key}.json"

    def file(self, key: str) -> CacheFile | None:
        return self.files.get(key)

    def tokens(self) -> list[CacheFile]:
        return [f for f in self.files.values() if f.kind == "token"]


# --- reading -----------------------------------------------------------------------------------------


def _dir_facts(path: Path) -> DirFacts:
    try:
        st = path.stat()
    except FileNotFoundError:
        return DirFacts(path, "missing")
    except OSError as e:
        return DirFacts(path, "unreadable", _os_reason(e))
    if not stat.S_ISDIR(st.st_mode):
        return DirFacts(path, "not-a-directory", "it is not a directory", stat.S_IMODE(st.st_mode), st.st_uid)
    writable = os.access(path, os.W_OK | os.X_OK)
    return DirFacts(path, "ok", None, stat.S_IMODE(st.st_mode), st.st_uid, writable)


def _list_json(directory: DirFacts) -> tuple[DirFacts, list[Path]]:
    if directory.state != "ok":
        return directory, []
    try:
        # A name that is not valid UTF-8 is never a botocore key (those are hex) and cannot be printed.
        names = sorted(e.name for e in os.scandir(directory.path) if e.name.endswith(".json") and _utf8(e.name))
    except OSError as e:
        return DirFacts(directory.path, "unreadable", _os_reason(e), directory.mode, directory.uid,
                        directory.writable), []
    return directory, [directory.path / n for n in names]


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_name(name: str) -> str:
    """A file name safe for a terminal: control characters escaped."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")


def _read_json(path: Path) -> tuple[Any, str | None, os.stat_result | None, str]:
    """(document, problem, stat, kind-if-problem). Never raises.

    Like botocore's JSONFileCache: only regular files count (`os.path.isfile`), text is decoded with
    the locale encoding, and json.load decides what is JSON.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return None, "it is a dangling symbolic link", None, "dangling"
    except OSError as e:
        return None, _os_reason(e), None, "unreadable"
    if stat.S_ISDIR(st.st_mode):
        return None, "it is a directory, not a file", st, "not-a-file"
    if not stat.S_ISREG(st.st_mode):
        return None, "it is not a regular file", st, "not-a-file"
    if st.st_size > MAX_CACHE_FILE_BYTES:
        return None, f"it is {st.st_size // 1024} KiB; a token file is a few KiB", st, "too-large"
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CACHE_FILE_BYTES + 1)
    except OSError as e:
        return None, _os_reason(e), st, "unreadable"
    stream = io.TextIOWrapper(io.BytesIO(raw), encoding=None)
    try:
        text = stream.read()
    except UnicodeDecodeError:
        return None, f"it is not text in the locale encoding ({stream.encoding})", st, "corrupt"
    if not text.strip():
        return None, "it is empty", st, "corrupt"
    try:
        return json.loads(text), None, st, ""
    except json.JSONDecodeError as e:
        # Harvest secrets from a truncated file too, so no later message can echo them.
        return _Partial(text), f"it is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})", st, "corrupt"
    except RecursionError:
        return _Partial(text), "it is JSON nested too deeply to be a token", st, "corrupt"
    except ValueError:  # e.g. an integer longer than Python's digit limit
        return _Partial(text), "it is not JSON botocore can load", st, "corrupt"


class _Partial:
    """The text of a cache file that is not JSON: still searched for secrets to mask."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_SECRET_IN_TEXT = re.compile(r'"([A-Za-z_]*(?:[Tt]oken|[Ss]ecret|[Kk]ey|[Pp]assword))"\s*:\s*"((?:[^"\\]|\\.)*)"')


_SECRET_KEYS_SEEN: dict[Any, bool] = {}


def _secret_key(key: Any) -> bool:
    """Whether a JSON key names a secret; remembered, since 10,000 cache files repeat the same few keys."""
    found = _SECRET_KEYS_SEEN.get(key)
    if found is None:
        found = bool(_SECRET_KEY.search(str(key)))
        if len(_SECRET_KEYS_SEEN) < 4096:
            _SECRET_KEYS_SEEN[key] = found
    return found


def _register(value: Any, secrets: Secrets) -> None:
    """Register every string under a secret-looking key, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and _secret_key(k):
                secrets.add(v)
            else:
                _register(v, secrets)
    elif isinstance(value, list):
        for v in value:
            _register(v, secrets)


def _register_text(text: str, secrets: Secrets) -> None:
    for m in _SECRET_IN_TEXT.finditer(text):
        secrets.add(m.group(2))
        try:
            secrets.add(json.loads(f'"{m.group(2)}"'))
        except ValueError:
            pass


def read_token_file(path: Path, secrets: Secrets) -> CacheFile:
    """Facts about one `~/.aws/sso/cache/*.json` entry; its secrets go to `secrets`."""
    doc, problem, st, bad_kind = _read_json(path)
    mode = stat.S_IMODE(st.st_mode) if st else None
    uid = st.st_uid if st else None
    size = st.st_size if st else None
    if isinstance(doc, _Partial):
        _register_text(doc.text, secrets)
    if problem is not None:
        return CacheFile(path, bad_kind, problem, mode, uid, size)
    _register(doc, secrets)
    if not isinstance(doc, dict):
        return CacheFile(path, "corrupt", f"it holds a JSON {_json_type(doc)}, not an object", mode, uid, size)
    fields = tuple(str(k) for k in doc)
    if "accessToken" in doc:
        kind = "token"
    elif "clientId" in doc and "clientSecret" in doc:
        kind = "registration"
    else:
        kind = "foreign"
    expires_at = expires_problem = None
    if "expiresAt" in doc:
        expires_at, expires_problem = parse_time(doc["expiresAt"])
    reg_at = reg_problem = None
    if "registrationExpiresAt" in doc:
        reg_at, reg_problem = parse_time(doc["registrationExpiresAt"])
    start_url = doc.get("startUrl") if isinstance(doc.get("startUrl"), str) else None
    secrets.add_url(start_url, start_url=True)  # a password or query string in it is masked everywhere
    region = doc.get("region") if isinstance(doc.get("region"), str) else None
    written_at = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc) if st else None
    return CacheFile(
        path, kind, None, mode, uid, size, fields, start_url, region,
        expires_at, expires_problem, reg_at, reg_problem, written_at,
    )


def read_role_credentials(path: Path, secrets: Secrets) -> RoleCredentials:
    doc, problem, _st, _kind = _read_json(path)
    if isinstance(doc, _Partial):
        _register_text(doc.text, secrets)
    if problem is not None:
        return RoleCredentials(path, "unusable", problem=problem)
    _register(doc, secrets)
    if not isinstance(doc, dict) or not isinstance(doc.get("Credentials"), dict):
        return RoleCredentials(path, "other")
    expires_at, time_problem = parse_time(doc["Credentials"].get("Expiration"))
    kind = "sso" if doc.get("ProviderType") == "sso" else "other"
    return RoleCredentials(path, kind, expires_at, time_problem)


def cache_dirs(home: str | None, platform: Platform | None = None) -> tuple[Path, Path, Path]:
    """~/.aws/sso, ~/.aws/sso/cache and ~/.aws/cli/cache. botocore has no setting that moves them.

    With `platform`, exactly botocore's `os.path.expanduser(os.path.join("~", ".aws", "sso", "cache"))`
    for that OS (on Windows `~` is %USERPROFILE%, never $HOME), as the host opens it."""
    if platform is not None:
        return tuple(platform.host_path(d) for d in platform.token_cache_dirs())  # type: ignore[return-value]
    base = Path(home or os.path.expanduser("~")) / ".aws"
    return base / "sso", base / "sso" / "cache", base / "cli" / "cache"


def load(home: str | None, secrets: Secrets, platform: Platform | None = None) -> TokenCache:
    """Read both caches under `home` (or where `platform` says botocore looks). Never raises, never writes."""
    sso_dir, cache_dir, cli_dir = cache_dirs(home, platform)
    directory, paths = _list_json(_dir_facts(cache_dir))
    files = {}
    for p in paths:
        f = read_token_file(p, secrets)
        files[f.key] = f
    cli_directory, cli_paths = _list_json(_dir_facts(cli_dir))
    creds = {}
    for p in cli_paths:
        creds[p.name[: -len(".json")]] = read_role_credentials(p, secrets)
    return TokenCache(
        directory=directory,
        parent=_dir_facts(sso_dir),
        files=files,
        cli_directory=cli_directory,
        role_credentials=creds,
        uid=os.getuid() if hasattr(os, "getuid") else -1,
    )


# --- which token each profile uses ------------------------------------------------------------------


class TokenGroup(NamedTuple):
    """Profiles that read the same token file: all profiles of one sso-session, or all legacy
    profiles with the exact same start URL."""

    key: str
    session_name: str | None
    start_url: str | None
    region: str | None
    profiles: tuple[SsoSettings, ...]

    @property
    def legacy(self) -> bool:
        return self.session_name is None

    @property
    def profile_names(self) -> list[str]:
        return [s.profile.name for s in self.profiles]

    @property
    def subject(self) -> str:
        """The sso-session, or the legacy profile (the start URL when several share it)."""
        if self.session_name is not None:
            return self.session_name
        return self.profile_names[0] if len(self.profiles) == 1 else (self.start_url or "")

    def login_command(self) -> str:
        from sso_doctor.text import shell_quote

        if self.session_name is not None:
            return f"aws sso login --sso-session {shell_quote(self.session_name)}"
        return f"aws sso login --profile {shell_quote(self.profile_names[0])}"

    def login_step(self) -> Command:
        """`aws sso login` for this token as a fix step, built as data (parsing the line for each of
        5,000 groups cost more than the rest of the run)."""
        from sso_doctor.fixes import run

        if self.session_name is not None:
            return run("aws", "sso", "login", "--sso-session", self.session_name)
        return run("aws", "sso", "login", "--profile", self.profile_names[0])


def group_profiles(settings: Iterable[SsoSettings], sessions: Mapping[str, SsoSession]) -> list[TokenGroup]:
    """Group SSO profiles by the token file botocore reads for them.

    Profiles botocore cannot resolve to a token at all (a missing sso-session, a legacy profile
    without sso_start_url) are left out: the config rules report those.
    """
    groups: dict[str, list[SsoSettings]] = {}
    for s in settings:
        if s.session_name is not None:
            if s.session_name not in sessions:
                continue
        elif not s.start_url:
            continue
        key = token_cache_key(s.start_url, s.session_name)
        groups.setdefault(key, []).append(s)
    out = []
    for key, members in groups.items():
        first = members[0]
        out.append(TokenGroup(key, first.session_name, first.start_url, first.region, tuple(members)))
    return out


# --- what botocore will do ---------------------------------------------------------------------------


class TokenState(NamedTuple):
    """What botocore does with one token file at a given time.

    state: missing, unusable, valid, expiring (less than the refresh window left), expired, unknown
    (the cache directory cannot be listed).
    verdict: works (the cached token is used as is), refreshes (botocore calls OIDC CreateToken
    first), login (botocore fails; `aws sso login` is needed), unknown.
    """

    state: str
    verdict: str
    file: CacheFile | None = None
    problem: str | None = None
    seconds_left: float | None = None
    refreshable: bool = False
    refresh_blocker: str | None = None

    @property
    def expires_at(self) -> dt.datetime | None:
        return self.file.expires_at if self.file else None


def refresh_blocker(file: CacheFile, legacy: bool, now: dt.datetime) -> str | None:
    """Why botocore's SSOTokenProvider would not refresh this token, or None when it would."""
    if legacy:
        return "the profile sets sso_start_url without sso_session, and botocore refreshes only sso-session tokens"
    missing = [k for k in REFRESH_FIELDS if not file.has(k)]
    if missing:
        return f"the cached token lacks {_and(missing)}"
    if file.registration_problem is not None:
        return f"its registrationExpiresAt cannot be used: {file.registration_problem}"
    assert file.registration_expires_at is not None
    if (file.registration_expires_at - now).total_seconds() <= 0:
        return f"its client registration expired at {file.registration_expires_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    return None


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def assess(file: CacheFile | None, *, legacy: bool, now: dt.datetime, directory: DirFacts | None = None) -> TokenState:
    """Replay botocore's decisions (SSOTokenLoader, SSOTokenProvider, SSOCredentialFetcher) for a token."""
    if file is None:
        if directory is not None and directory.state == "unreadable":
            return TokenState("unknown", "unknown", problem=f"{directory.path} cannot be listed ({directory.problem})")
        return TokenState("missing", "login")
    if file.kind == "dangling":
        # os.path.isfile() is False: botocore says the token does not exist.
        return TokenState("missing", "login", file)
    if file.kind != "token":
        reason = file.problem
        if reason is None:
            what = "a client registration" if file.kind == "registration" else "some other tool's data"
            reason = f"it has no accessToken (it looks like {what})"
        return TokenState("unusable", "login", file, reason)
    if not file.has("expiresAt"):
        return TokenState("unusable", "login", file, "it has no expiresAt")
    if file.expires_at is None:
        return TokenState("unusable", "login", file, f"its expiresAt cannot be used: {file.expires_at_problem}")

    left = (file.expires_at - now).total_seconds()
    window = refresh_window_seconds()
    blocker = refresh_blocker(file, legacy, now)
    if legacy:
        # SSOCredentialFetcher: a legacy token is used until `remaining <= 0`, never refreshed.
        state = "expired" if left <= 0 else ("expiring" if left < window else "valid")
        return TokenState(state, "login" if left <= 0 else "works", file, None, left, False, blocker)
    if left >= window:
        return TokenState("valid", "works", file, None, left, blocker is None, blocker)
    # Inside the window SSOTokenProvider tries to refresh. With every refresh field present it
    # parses registrationExpiresAt, and a value it cannot parse raises instead of being skipped.
    if all(file.has(k) for k in REFRESH_FIELDS) and file.registration_problem is not None:
        return TokenState("unusable", "login", file,
                          f"its registrationExpiresAt cannot be used ({file.registration_problem}), and botocore "
                          "fails when it tries to refresh the token", left, False, blocker)
    state = "expired" if left <= 0 else "expiring"
    if blocker is None:
        return TokenState(state, "refreshes", file, None, left, True, None)
    return TokenState(state, "login" if left <= 0 else "works", file, None, left, False, blocker)


class Alternative(NamedTuple):
    """A token that exists for the same portal under a key this profile does not read."""

    file: CacheFile
    description: str


class AlternativeIndex:
    """Who else holds a token for a portal, worked out once per run: the sso-sessions whose key has a
    token file, and the token files, by portal. `alternatives()` per group then costs what it returns,
    not what the whole config and cache hold (5,000 sso-sessions would otherwise take 25 million
    comparisons)."""

    def __init__(self, cache: TokenCache, sessions: Mapping[str, SsoSession]) -> None:
        self.sessions: dict[str, list[tuple[str, str]]] = {}  # portal -> [(session name, key with a token)]
        for name, session in sessions.items():
            url = session.get("sso_start_url")
            if url:
                key = token_cache_key(url, name)
                if _is_token(cache.file(key)):
                    self.sessions.setdefault(portal_identity(url), []).append((name, key))
        self.tokens: dict[str, list[CacheFile]] = {}
        for f in cache.tokens():
            if f.start_url:
                self.tokens.setdefault(portal_identity(f.start_url), []).append(f)


def _is_token(f: CacheFile | None) -> bool:
    return f is not None and f.kind == "token"


def alternatives(group: TokenGroup, cache: TokenCache, sessions: Mapping[str, SsoSession],
                 index: AlternativeIndex | None = None, limit: int | None = None) -> list[Alternative]:
    """Tokens for the same portal under the other key style or another start-URL spelling.

    Pass one `index` for every group of a run (else each call builds its own); `limit` stops after
    that many (a message names the first few)."""
    if not group.start_url:
        return []
    index = index if index is not None else AlternativeIndex(cache, sessions)
    portal = portal_identity(group.start_url)

    def candidates() -> Iterator[tuple[str, str]]:
        if group.session_name is not None:
            yield token_cache_key(group.start_url, None), "the start-URL key that profiles without sso_session use"
        for name, key in index.sessions.get(portal, ()):
            if name != group.session_name:
                yield key, f'the key of sso-session "{name}"'
        for variant in start_url_variants(group.start_url):
            yield token_cache_key(variant, None), f"the key of the spelling {variant}"
        for f in index.tokens.get(portal, ()):
            yield f.key, f"a key no profile here uses; its startUrl is {f.start_url}"

    seen: set[str] = set()
    found = []
    for key, description in candidates():
        if key in seen:
            continue
        seen.add(key)
        f = cache.file(key)
        if key != group.key and _is_token(f):
            found.append(Alternative(f, description))
            if limit is not None and len(found) >= limit:
                break
    return found


class RoleCredentialsUse(NamedTuple):
    profile: str
    credentials: RoleCredentials


def usable_role_credentials(group: TokenGroup, cache: TokenCache, now: dt.datetime) -> list[RoleCredentialsUse]:
    """Profiles of the group for which `~/.aws/cli/cache` holds SSO role credentials the AWS CLI
    will still use (more than botocore's 15 minute expiry window left)."""
    if not cache.role_credentials:
        return []  # no ~/.aws/cli/cache files: nothing to look up for thousands of profiles
    window = role_credentials_window_seconds()
    out = []
    for s in group.profiles:
        account, role = s.get("sso_account_id"), s.get("sso_role_name")
        if not account or not role:
            continue
        key = role_credentials_key(s.start_url, s.session_name, account, role)
        creds = cache.role_credentials.get(key)
        if creds is None or creds.kind != "sso" or creds.expires_at is None:
            continue
        if (creds.expires_at - now).total_seconds() >= window:
            out.append(RoleCredentialsUse(s.profile.name, creds))
    return out


__all__ = [
    "Alternative", "CacheFile", "DirFacts", "RoleCredentials", "TokenCache", "TokenGroup", "TokenState",
    "alternatives", "assess", "group_profiles", "load", "parse_time", "portal_identity", "refresh_blocker",
    "role_credentials_key", "start_url_variants", "token_cache_key", "usable_role_credentials", "when",
]
