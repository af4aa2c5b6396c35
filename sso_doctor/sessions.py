"""`sso-doctor sessions`: one line per sso-session, legacy start URL and cached token.

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
    without sso_session) or cache (a file in the cache that no profile in the config reads)."""

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
    return json.dumps(doc, indent=2) + "\n"


_STATE_WORDS = {
    "missing": "not logged in (no token file)",
    "unknown": "unknown (the cache cannot be listed)",
    "registration": "a client registration, not a token",
    "foreign": "not an SSO token (another tool's file?)",
}


def _describe(r: SessionRow, now: dt.datetime) -> str:
    if r.state in _STATE_WORDS:
        return _STATE_WORDS[r.state]
    if r.state in ("unusable", "corrupt", "unreadable", "not-a-file", "dangling", "too-large"):
        return f"unusable: {r.problem}"
    when = tc.when(r.expires_at, now)
    verb = "expired" if r.state == "expired" else "expires"
    parts = [f"{verb} {when}"]
    if r.verdict == "refreshes":
        parts.append("botocore refreshes it on the next call")
    elif r.refreshable:
        parts.append("refreshable")
    elif r.type == "legacy":
        parts.append("not refreshable (legacy profiles never are)")
    else:
        parts.append(f"not refreshable: {r.refresh_blocker}")
    if r.verdict == "login":
        parts.append("log in again")
    reg = r.registration_expires_at
    if reg is not None:
        parts.append(f"registration {'expired' if reg <= now else 'expires'} {tc.when(reg, now)}")
    return "; ".join(parts)


def _shown(value: str | None) -> str:
    return tc.display_name(value) if value else "-"


def to_text(ctx: Context, found: list[SessionRow]) -> str:
    cache = ctx.token_cache
    from sso_doctor.safe_text import escape_controls

    shown_dir = escape_controls(ctx.secrets.redact(ctx.show_path(cache.directory.path)))
    lines = [f"SSO logins and cached tokens in {shown_dir} "
             f"(now {_stamp(ctx.now)})"]
    if not found:
        lines.append("  (no sso-session, no SSO profile and no cached token)")
    for r in found:
        if r.type == "sso-session":
            label = f'sso-session "{r.name}"'
        elif r.type == "legacy":
            label = "legacy start URL"
        else:
            label = "cache only"
        profiles = ", ".join(r.profiles) if r.profiles else "-"
        lines.append(
            f"  {label}  {tc.display_name(r.key + '.json')}  {_shown(r.start_url)}  {_shown(r.region)}  "
            f"profiles: {profiles}  "
            f"token: {_describe(r, ctx.now)}"
        )
    return "\n".join(lines) + "\n"


def safe_rows(ctx: Context, found: list[SessionRow], *, escape: bool) -> list[SessionRow]:
    """Rows as they may be shown: every string value through the run's secret masking (a URL's password
    and query string, any registered secret) and, for a terminal, control characters escaped."""
    from dataclasses import fields, replace

    from sso_doctor.safe_text import deep, escape_controls

    def fn(value: str) -> str:
        value = ctx.secrets.redact(value)
        return escape_controls(value) if escape else value

    names = [f.name for f in fields(SessionRow)]
    return [replace(r, **{n: deep(getattr(r, n), fn) for n in names}) for r in found]


def render(ctx: Context, output_format: str) -> str:
    """The whole output; values masked (and escaped for a terminal) before they are serialised."""
    from sso_doctor.safe_text import json_escape_c1

    found = safe_rows(ctx, rows(ctx), escape=output_format != "json")
    if output_format == "json":
        return json_escape_c1(to_json(ctx, found))
    return to_text(ctx, found)
