"""`sso-doctor sessions`: a table of every sso-session, legacy start URL, profile pointing at a missing
sso-session and cached token, each with the exact login command. The cache file name (a SHA-1 hash)
is shown with -v and in JSON only.

Read-only like `check`: the cache is read through `Context.token_cache` (which registers every secret
with the run's `Secrets`) and no value of a secret field is ever put into a row.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sso_doctor.context import Context
from sso_doctor.loaders import token_cache as tc

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SessionRow:
    """One login the machine knows about. `type`: sso-session, legacy (a start URL used by profiles
    without sso_session), missing-session (profiles naming an [sso-session] the config lacks) or cache
    (a file in the cache that no profile in the config reads)."""

    type: str
    name: str | None
    key: str
    path: str
    start_url: str | None
    region: str | None
    profiles: tuple[str, ...]
    state: str  # TokenState.state, or registration / foreign for cache-only files
    verdict: str
    expires_at: dt.datetime | None
    refreshable: bool
    refresh_blocker: str | None
    registration_expires_at: dt.datetime | None
    problem: str | None


def _row(type_: str, name: str | None, key: str, start_url: str | None, region: str | None,
         profiles: list[str], cache: tc.TokenCache, now: dt.datetime, legacy: bool) -> SessionRow:
    f = cache.file(key)
    state = tc.assess(f, legacy=legacy, now=now, directory=cache.directory)
    return SessionRow(
        type=type_, name=name, key=key, path=str(cache.path_for(key)),
        start_url=start_url if start_url is not None else (f.start_url if f else None),
        region=region if region is not None else (f.region if f else None),
        profiles=tuple(profiles), state=state.state, verdict=state.verdict,
        expires_at=f.expires_at if f else None, refreshable=state.refreshable,
        refresh_blocker=state.refresh_blocker, registration_expires_at=f.registration_expires_at if f else None,
        problem=state.problem,
    )


def rows(ctx: Context) -> list[SessionRow]:
    """Every sso-session and legacy start URL in the config, then every other file in the cache."""
    cache = ctx.token_cache
    cfg = ctx.config
    out: list[SessionRow] = []
    usable = cfg.config.ok and cfg.credentials.state != "unparseable"
    if usable:
        users: dict[str, list[str]] = {}
        legacy: dict[str, list[tuple[str, str | None]]] = {}
        for p in cfg.sso_profiles:
            if p.sso_session is not None:
                users.setdefault(p.sso_session, []).append(p.name)
            elif p.get("sso_start_url"):
                legacy.setdefault(p.get("sso_start_url") or "", []).append((p.name, p.get("sso_region")))
        for name, session in cfg.sso_sessions.items():
            url = session.get("sso_start_url")
            out.append(_row("sso-session", name, tc.token_cache_key(url, name), url, session.get("sso_region"),
                            users.get(name, []), cache, ctx.now, legacy=False))
        for url, members in legacy.items():
            region = next((r for _, r in members if r), None)
            out.append(_row("legacy", None, tc.token_cache_key(url, None), url, region,
                            [n for n, _ in members], cache, ctx.now, legacy=True))
        for name, members in users.items():
            if name in cfg.sso_sessions:
                continue
            # botocore refuses these profiles before it looks for a token: no login can work until the
            # section exists (SSO105), so the row says that instead of a token state
            out.append(SessionRow("missing-session", name, tc.token_cache_key(None, name),
                                  str(cache.path_for(tc.token_cache_key(None, name))), None, None, tuple(members),
                                  "no-session", "login", None, False, None, None,
                                  f"no [sso-session {name}] in {ctx.show_path(cfg.config.path)}"))
    known = {r.key for r in out}
    for key, f in sorted(cache.files.items()):
        if key in known:
            continue
        if f.kind == "token":
            # No profile reads it, so no profile style decides; judge it as an sso-session token.
            out.append(_row("cache", None, key, None, None, [], cache, ctx.now, legacy=False))
        else:
            out.append(SessionRow("cache", None, key, str(f.path), f.start_url, f.region, (), f.kind, "unknown",
                                  f.expires_at, False, None, f.registration_expires_at, f.problem))
    return out


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _seconds(moment: dt.datetime | None, now: dt.datetime) -> int | None:
    return int((moment - now).total_seconds()) if moment else None


def to_json(ctx: Context, found: list[SessionRow]) -> str:
    cache = ctx.token_cache
    doc = {
        "schema_version": SCHEMA_VERSION,
        "now": _stamp(ctx.now),
        "cache_dir": ctx.secrets.redact(str(cache.directory.path)),
        "cache_dir_state": cache.directory.state,
        "sessions": [
            {
                "type": r.type,
                "name": r.name,
                "key": r.key,
                "file": r.path,
                "start_url": r.start_url,
                "region": r.region,
                "profiles": list(r.profiles),
                "token": {
                    "state": r.state,
                    "verdict": r.verdict,
                    "expires_at": _stamp(r.expires_at),
                    "expires_in_seconds": _seconds(r.expires_at, ctx.now),
                    "refreshable": r.refreshable,
                    "refresh_blocker": r.refresh_blocker,
                    "registration_expires_at": _stamp(r.registration_expires_at),
                    "registration_expires_in_seconds": _seconds(r.registration_expires_at, ctx.now),
                    "problem": r.problem,
                },
            }
            for r in found
        ],
    }
    # Indented for people reading a few sessions; one line past that, where indentation would force
    # json's pure-Python encoder (0.7 s of the 2 s budget for 10,000 sessions) and nobody reads it by eye.
    indent = 2 if len(found) <= COMPACT_JSON_ABOVE else None
    return json.dumps(doc, indent=indent) + "\n"


_STATE = {
    "valid": "valid",
    "expiring": "expiring soon",
    "expired": "expired",
    "missing": "not logged in",
    "unknown": "unknown",
    "registration": "registration",
    "foreign": "not an SSO token",
    "no-session": "no such sso-session",
}
_UNUSABLE = ("unusable", "corrupt", "unreadable", "not-a-file", "dangling", "too-large")


def _state(r: SessionRow) -> str:
    if r.state in _UNUSABLE:
        return "unusable"
    return _STATE.get(r.state, r.state)


def _expires(r: SessionRow, now: dt.datetime) -> str:
    if r.expires_at is None or r.state in ("registration", "foreign", "no-session"):
        return "-"
    return tc.when(r.expires_at, now)


def _refreshable(r: SessionRow) -> str:
    if r.expires_at is None or r.state in _UNUSABLE or r.state in ("registration", "foreign", "no-session"):
        return "-"
    if r.refreshable:
        reg = r.registration_expires_at
        return f"yes, until {reg.strftime('%Y-%m-%d')}" if reg is not None else "yes"
    if r.type == "legacy":
        return "no (legacy profile)"
    if r.refresh_blocker and "registration expired" in r.refresh_blocker:
        return "no (registration expired)"
    if r.refresh_blocker and "lacks" in r.refresh_blocker:
        return "no (no refresh token)"
    return "no"


def _label(r: SessionRow) -> str:
    if r.type in ("sso-session", "missing-session"):
        return f'sso-session "{r.name}"'
    if r.start_url:
        return tc.display_name(r.start_url)
    return tc.display_name(r.key + ".json")


def login_step(ctx: Context, r: SessionRow, config_path: str) -> str | None:
    """The exact command that (re)creates this row's token: `$ ...` safe to run, `✎ ...` an edit first;
    written for the run's shell, and the same `aws sso login` check prints (`--use-device-code` where a
    browser login cannot work here)."""
    shell = ctx.shell

    def step(c) -> str:
        return ("$ " if c.safe_in(shell) else "✎ ") + c.render(shell)

    if r.type == "sso-session":
        return step(ctx.login_command(sso_session=r.name or ""))
    if r.type == "legacy" and r.profiles:
        return step(ctx.login_command(profile=r.profiles[0]))
    if r.type == "missing-session":
        return (f"✎ add an [sso-session {r.name}] section (sso_start_url, sso_region) to {config_path}, then "
                f"run: {ctx.login_command(sso_session=r.name or '').render(shell)}")
    return None  # a cache file no profile reads: no login refreshes it


def to_text(ctx: Context, found: list[SessionRow], verbose: bool = False) -> str:
    cache = ctx.token_cache
    from sso_doctor.safe_text import escape_controls

    shown_dir = escape_controls(ctx.secrets.redact(ctx.show_path(cache.directory.path)))
    lines = [f"SSO logins and cached tokens in {shown_dir} "
             f"(now {_stamp(ctx.now)})"]
    if not found:
        lines.append("  (no sso-session, no SSO profile and no cached token)")
        return "\n".join(lines) + "\n"
    config_path = ctx.show_path(ctx.config.config.path)
    header = ("SESSION OR START URL", "STATE", "EXPIRES", "REFRESHABLE", "PROFILES")
    table = [(_label(r), _state(r), _expires(r, ctx.now), _refreshable(r), ", ".join(r.profiles) or "-")
             for r in found]
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(4)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells[:4], widths)) + "  " + cells[4]

    lines += ["", line(header)]
    for r, cells in zip(found, table):
        lines.append(line(cells))
        step = login_step(ctx, r, config_path)
        if step:
            lines.append(f"    {step}")
        if r.problem and (r.state in _UNUSABLE or r.state == "unknown"):
            lines.append(f"    ({r.problem})")
        elif r.type == "cache" and r.state not in ("registration", "foreign"):
            lines.append(f"    (no profile in {config_path} reads this token)")
        if verbose:
            lines.append(f"    file: {ctx.show_path(r.path)}")
            if r.region:
                lines.append(f"    region: {r.region}")
            if r.start_url and r.type in ("sso-session", "missing-session"):
                lines.append(f"    start URL: {r.start_url}")
            if r.refresh_blocker and not r.refreshable and r.type != "legacy" and "registration" not in r.refresh_blocker:
                lines.append(f"    not refreshable: {r.refresh_blocker}")
            if r.registration_expires_at is not None:  # the date only: the table already says what it means
                lines.append(f"    client registration: {tc.when(r.registration_expires_at, ctx.now)}")
    return "\n".join(lines) + "\n"


COMPACT_JSON_ABOVE = 500


def safe_rows(ctx: Context, found: list[SessionRow], *, escape: bool) -> list[SessionRow]:
    """Rows as they may be shown: every string value through the run's secret masking (a URL's password
    and query string, any registered secret) and, for a terminal, control characters escaped."""
    from dataclasses import fields, replace

    from sso_doctor.safe_text import deep, escape_controls

    seen: dict[str, str] = {}  # thousands of rows repeat the same states, verdicts and names

    def fn(value: str) -> str:
        shown = seen.get(value)
        if shown is None:
            shown = ctx.secrets.redact(value)
            shown = seen[value] = escape_controls(shown) if escape else shown
        return shown

    names = [f.name for f in fields(SessionRow)]
    return [replace(r, **{n: deep(getattr(r, n), fn) for n in names}) for r in found]


def render(ctx: Context, output_format: str, verbose: bool = False) -> str:
    """The whole output; values masked (and escaped for a terminal) before they are serialised."""
    from sso_doctor.safe_text import json_escape_c1

    found = safe_rows(ctx, rows(ctx), escape=output_format != "json")
    if output_format == "json":
        return json_escape_c1(to_json(ctx, found))
    return to_text(ctx, found, verbose)
