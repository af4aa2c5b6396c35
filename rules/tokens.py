"""SSO2xx: the SSO token cache and session state (offline).

Every rule here reads facts from `ctx.token_cache` (loaders/token_cache.py) and asks
`token_cache.assess()` what botocore will do with a token at `ctx.now`. Profiles that read the same
token file (all profiles of one sso-session, or legacy profiles with the very same start URL) share
one finding.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from sso_doctor.context import Context
from sso_doctor.fixes import Edit
from sso_doctor.loaders import token_cache as tc
from sso_doctor.loaders.aws_config import SsoSettings, resolve_sso
from sso_doctor.model import Finding, Fix, Location, Rule, Severity, SkipRule, fix, manual, rule
from sso_doctor.text import name_list, shell_quote


def _assessed(ctx: Context) -> list[tuple[tc.TokenGroup, tc.TokenState]]:
    """The selected SSO profiles, grouped by token file, each with botocore's verdict at ctx.now."""
    ctx.parsed_config()  # SkipRule when the config can't be parsed (SSO102)
    return list(ctx.token_assessment)


def _who(g: tc.TokenGroup) -> str:
    """'sso-session "corp" (profiles "dev" and "prod")' / 'profile "dev"'."""
    names = g.profile_names
    plural = "profile" if len(names) == 1 else "profiles"
    if g.session_name is not None:
        return f'sso-session "{g.session_name}" ({plural} {name_list(names)})'
    if len(names) == 1:
        return f'profile "{names[0]}"'
    return f"start URL {g.start_url} ({plural} {name_list(names)})"


def _token_location(ctx: Context, g: tc.TokenGroup) -> Location:
    return Location(path=str(ctx.token_cache.path_for(g.key)))


def _registration_evidence(state: tc.TokenState) -> dict[str, str]:
    """The client registration's date, for findings that fold SSO205 in (one cause, one finding)."""
    f = state.file
    if f is None or f.registration_expires_at is None:
        return {}
    return {"registration_expires_at": f.registration_expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _login_step(ctx: Context, g: tc.TokenGroup):
    """The run's login command for the token file of `g` (ctx.login_command: one selector rule, and
    --use-device-code on a headless box)."""
    return ctx.login_command(sso_session=g.session_name, profile=g.profile_names[0])


def _login(ctx: Context, g: tc.TokenGroup, summary: str = "Log in again.") -> Fix:
    return fix(summary, _login_step(ctx, g))


# IAM Identity Center ends a user's session 8 hours after sign-in unless the administrator set another
# duration (15 minutes to 90 days); the refresh token dies with the session. Source: "Configure the
# session duration of the AWS access portal and IAM Identity Center integrated applications",
# https://docs.aws.amazon.com/singlesignon/latest/userguide/configure-user-session.html
DEFAULT_IDC_SESSION = dt.timedelta(hours=8)


def _session_ended_likely(ctx: Context, f: tc.CacheFile | None) -> dt.timedelta | None:
    """How long ago the token file was last written, when that is longer than the default session.

    The file is written at login and at every refresh, and a refresh does not extend the Identity
    Center session: its age is a lower bound of the session's age.
    """
    if f is None or f.written_at is None or f.written_at > ctx.now:
        return None
    age = ctx.now - f.written_at
    return age if age >= DEFAULT_IDC_SESSION else None


def _refresh_caveat(ctx: Context, g: tc.TokenGroup, f: tc.CacheFile | None) -> tuple[str, bool]:
    """A sentence on whether the refresh can fail because the Identity Center session ended."""
    age = _session_ended_likely(ctx, f)
    if age is not None:
        return (f" The refresh is likely to fail, though: the token file was last written {tc._span(age.total_seconds())} "
                "ago, longer than Identity Center's default 8-hour session, and the refresh token ends with the "
                "session (unless your administrator set a longer one). Then botocore says `Token has expired and "
                "refresh failed`.", True)
    return (" The refresh fails if your Identity Center session has ended (8 hours after sign-in by default) or was "
            "revoked; then log in again.", False)


@rule("SSO201", "not-logged-in", Severity.ERROR, needs=("config", "token_cache"),
      requires=("parsed_config", "sso_profile"))
def not_logged_in(ctx: Context) -> Iterator[Finding]:
    """A selected SSO profile has no cached token: you are not logged in.

    ## What it checks
    botocore finds a profile's token only by file name in `~/.aws/sso/cache`: the SHA-1 of the
    sso-session name for profiles with `sso_session`, or the SHA-1 of the exact `sso_start_url` for
    legacy profiles. This rule computes that name with botocore's own function for every selected
    SSO profile and reports the ones with no file there (a dangling link counts as no file). When a
    token for the same portal exists under the other key style (a legacy login for an sso-session
    profile, or the reverse), under another sso-session, or under another spelling of the start URL
    (a trailing `/` or `#`), the finding says which file that is: logging in with one profile does not
    log in the other.

    ## Why it matters
    Every AWS call with the profile fails with
    `Error loading SSO Token: Token for <session or start URL> does not exist`.

    ## How to fix
        aws sso login --sso-session <session>      # sso-session profiles
        aws sso login --profile <profile>          # legacy profiles

    ## Example
        ✗ SSO201 not-logged-in: Not logged in: there is no SSO token for sso-session "corp" (profile
          "dev"); botocore looks for ~/.aws/sso/cache/<sha1>.json.
    """
    cache = ctx.token_cache
    cfg = ctx.parsed_config()
    index = None
    for g, state in _assessed(ctx):
        if state.state != "missing":
            continue
        path = ctx.show_path(cache.path_for(g.key))
        message = f"Not logged in: there is no SSO token for {_who(g)}; botocore looks for {path}."
        index = index or tc.AlternativeIndex(cache, cfg.sso_sessions)
        others = tc.alternatives(g, cache, cfg.sso_sessions, index, limit=3)
        if others:
            shown = "; ".join(f"{ctx.show_path(a.file.path)} ({a.description})" for a in others[:3])
            message += (f" A token for the same portal exists under a key this profile does not read: {shown}. "
                        "Logging in with one profile style does not log in the other.")
        yield not_logged_in.finding(
            message,
            _login(ctx, g, "Log in to create the token."),
            subject=g.subject,
            location=Location(path=str(cache.path_for(g.key))),
            evidence={"cache key": g.key, "key source": "sso-session name" if g.session_name else "start URL"},
        )


def _expired_message(ctx: Context, g: tc.TokenGroup, state: tc.TokenState) -> str:
    assert state.expires_at is not None
    return f"The SSO token for {_who(g)} expired at {tc.when(state.expires_at, ctx.now)}"


@rule("SSO202", "token-expired", Severity.ERROR, needs=("config", "token_cache"),
      requires=("parsed_config", "sso_profile"))
def token_expired(ctx: Context) -> Iterator[Finding]:
    """The cached SSO token has expired and botocore cannot refresh it.

    ## What it checks
    For every selected SSO profile whose token file is usable: `expiresAt` (parsed as botocore parses
    it, `Z` or the old `UTC` suffix) is in the past, and botocore's refresh cannot happen. The finding
    says why: the profile is a legacy one (`sso_start_url` without `sso_session`: never refreshed),
    the token lacks `refreshToken`, `clientId`, `clientSecret` or `registrationExpiresAt`, or the
    client registration (`registrationExpiresAt`) has expired too.

    ## Why it matters
    Legacy profiles fail with `The SSO session associated with this profile has expired or is
    otherwise invalid`; sso-session profiles with `Error when retrieving token from sso: Token has
    expired and refresh failed`. When a valid token for the same portal sits under the other key
    style (a legacy login for an sso-session profile, or the reverse), the finding names it: "I just
    logged in" is then true, but with a command that wrote a key this profile does not read.

    ## How to fix
        aws sso login --sso-session <session>      # sso-session profiles
        aws sso login --profile <profile>          # legacy profiles

    ## Example
        ✗ SSO202 token-expired: The SSO token for profile "dev" expired at 2026-11-26T10:00:00Z
          (2h 00m ago), and botocore cannot refresh it: the profile sets sso_start_url without
          sso_session, and botocore refreshes only sso-session tokens.
    """
    cache = ctx.token_cache
    for g, state in _assessed(ctx):
        if state.state != "expired" or state.verdict != "login":
            continue
        yield token_expired.finding(
            f"{_expired_message(ctx, g, state)}, and botocore cannot refresh it: {state.refresh_blocker}."
            + _valid_elsewhere(ctx, g, cache),
            _login(ctx, g),
            subject=g.subject,
            location=_token_location(ctx, g),
            evidence=_registration_evidence(state),
        )


def _valid_elsewhere(ctx: Context, g: tc.TokenGroup, cache: tc.TokenCache) -> str:
    """' A valid token … exists under …' when another key holds a live token for the same portal."""
    live = [a for a in tc.alternatives(g, cache, ctx.parsed_config().sso_sessions)
            if a.file.expires_at is not None and a.file.expires_at > ctx.now]
    if not live:
        return ""
    a = live[0]
    return (f" A token for the same portal that is valid until {tc.when(a.file.expires_at, ctx.now)} exists in "
            f"{ctx.show_path(a.file.path)}, under {a.description}, but botocore does not read that key for this "
            f"profile: only `{_login_step(ctx, g).text}` writes the key it reads.")


@rule("SSO203", "token-expired-refreshable", Severity.INFO, needs=("config", "token_cache"),
      requires=("parsed_config", "sso_profile"))
def token_expired_refreshable(ctx: Context) -> Iterator[Finding]:
    """The cached SSO token has expired, but botocore will refresh it on the next call.

    ## What it checks
    For every selected sso-session profile: `expiresAt` is in the past, and the token carries what
    botocore's SSOTokenProvider needs to refresh it: `refreshToken`, `clientId`, `clientSecret` and a
    `registrationExpiresAt` still in the future.

    ## Why it matters
    Usually nothing is broken: the next AWS call exchanges the refresh token for a new access token
    (an OIDC CreateToken call to `oidc.<region>.amazonaws.com`). But the refresh token lives only as
    long as the user's IAM Identity Center session: 8 hours after sign-in by default (administrators
    set 15 minutes to 90 days, "Configure the session duration", IAM Identity Center User Guide), or
    until an administrator revokes it. The token file is rewritten at login and at each refresh, and
    a refresh does not extend the session, so the file's age is a lower bound of the session's age:
    when it is older than 8 hours, the finding says the refresh will most likely fail and gives the
    login command. Tools that read the cache file directly see an expired token until a refresh.

    ## How to fix
    Nothing to do while the session lasts; sso-doctor never refreshes the token itself. When the
    refresh fails (`Token has expired and refresh failed`):
        aws sso login --sso-session <session>

    ## Example
        i SSO203 token-expired-refreshable: The SSO token for sso-session "corp" (profile "dev")
          expired at 2026-11-26T11:00:00Z (1h 00m ago); botocore will refresh it on the next call.
    """
    for g, state in _assessed(ctx):
        if state.state != "expired" or state.verdict != "refreshes":
            continue
        assert state.file is not None
        caveat, likely = _refresh_caveat(ctx, g, state.file)
        yield token_expired_refreshable.finding(
            f"{_expired_message(ctx, g, state)}; botocore will try to refresh it on the next call, as its client "
            f"registration is valid until {tc.when(state.file.registration_expires_at, ctx.now)}.{caveat}",
            _login(ctx, g, "Log in again now: the refresh will most likely fail.") if likely
            else fix("Nothing to do unless the next AWS call fails to refresh the token; then log in again."),
            subject=g.subject,
            location=_token_location(ctx, g),
        )


@rule("SSO204", "token-expiring-soon", Severity.WARNING, needs=("config", "token_cache"),
      requires=("parsed_config", "sso_profile"))
def token_expiring_soon(ctx: Context) -> Iterator[Finding]:
    """The cached SSO token expires within botocore's 15 minute refresh window.

    ## What it checks
    For every selected SSO profile: the token has not expired yet, but less than 15 minutes are left
    (botocore's refresh window). A warning when botocore cannot refresh it (a legacy profile, missing
    refresh fields, an expired client registration: the finding says which); information when it
    will refresh it on the next call.

    ## Why it matters
    A token that cannot be refreshed stops working in a few minutes, in the middle of a deployment
    or a long script.

    ## How to fix
        aws sso login --sso-session <session>      # sso-session profiles
        aws sso login --profile <profile>          # legacy profiles

    ## Example
        ! SSO204 token-expiring-soon: The SSO token for profile "dev" expires at 2026-11-26T12:10:00Z
          (in 10 min), and botocore cannot refresh it: the profile sets sso_start_url without
          sso_session, and botocore refreshes only sso-session tokens.
    """
    for g, state in _assessed(ctx):
        if state.state != "expiring":
            continue
        when = tc.when(state.expires_at, ctx.now)
        if state.verdict == "refreshes":
            caveat, likely = _refresh_caveat(ctx, g, state.file)
            yield token_expiring_soon.finding(
                f"The SSO token for {_who(g)} expires at {when}; botocore will try to refresh it on the next call."
                f"{caveat}",
                _login(ctx, g, "Log in again now: the refresh will most likely fail." if likely
                       else "Nothing to do unless the refresh fails; then log in again."),
                subject=g.subject,
                location=_token_location(ctx, g),
                severity=Severity.INFO,
            )
        else:
            yield token_expiring_soon.finding(
                f"The SSO token for {_who(g)} expires at {when}, and botocore cannot refresh it: "
                f"{state.refresh_blocker}.",
                _login(ctx, g, "Log in again now to get a fresh token."),
                subject=g.subject,
                location=_token_location(ctx, g),
                evidence=_registration_evidence(state),
            )


@rule("SSO205", "registration-expired", Severity.WARNING, needs=("config", "token_cache"),
      requires=("parsed_config", "sso_profile"))
def registration_expired(ctx: Context) -> Iterator[Finding]:
    """The client registration behind an sso-session's token has expired or expires within 7 days.

    ## What it checks
    For every selected sso-session profile whose token file is a token: `registrationExpiresAt` (the
    lifetime of the OIDC client the AWS CLI registered at login, usually 90 days) is in the past or
    less than 7 days away. Legacy tokens are never refreshed, so their registration does not matter.

    ## Why it matters
    botocore refreshes a token only while its registration is valid. After that, every token expiry
    (typically after 1 to 12 hours) ends in
    `Error when retrieving token from sso: Token has expired and refresh failed`.

    ## How to fix
        aws sso login --sso-session <session>

    A new login registers a new client and resets the date.

    ## Example
        ! SSO205 registration-expired: The client registration of sso-session "corp" (profile "dev")
          expires at 2026-11-29T12:00:00Z (in 3 days); after that its token cannot be refreshed.
    """
    found: list[Finding] = []
    folded = []
    for g, state in _assessed(ctx):
        f = state.file
        if g.legacy or f is None or f.kind != "token" or f.registration_expires_at is None:
            continue
        left = f.registration_expires_at - ctx.now
        if left > tc.REGISTRATION_WARNING:
            continue
        if state.verdict == "login" and state.state in ("expired", "expiring"):
            # One cause, one finding: the token is already unusable (SSO202) or about to be (SSO204), and
            # the login that finding prints registers a new client too. The registration date goes there.
            folded.append(g)
            continue
        at = tc.when(f.registration_expires_at, ctx.now)
        if left.total_seconds() <= 0:
            message = (f"The client registration of {_who(g)} expired at {at}; botocore can no longer refresh its "
                       "token, so it stops working when the token expires.")
        else:
            message = (f"The client registration of {_who(g)} expires at {at}; after that its token cannot be "
                       "refreshed.")
        assert g.session_name is not None
        found.append(registration_expired.finding(
            message,
            fix("Log in again to register a new client.", _login_step(ctx, g)),
            subject=g.subject,
            location=_token_location(ctx, g),
        ))
    if folded and not found:
        raise SkipRule(f"the expired client registration of {name_list([g.subject for g in folded])} is reported "
                       "with the token it keeps from refreshing (see SSO202/SSO204)")
    yield from found


@rule("SSO206", "token-cache-corrupt", Severity.ERROR, needs=("config", "token_cache"),
      requires=("parsed_config", "sso_profile"))
def token_cache_corrupt(ctx: Context) -> Iterator[Finding]:
    """The token file a selected profile reads is unusable.

    ## What it checks
    The file botocore reads for each selected SSO profile (see SSO201 for its name) must be a
    readable regular file holding a JSON object with `accessToken` and an `expiresAt` that botocore's
    date parser understands and that carries a time zone. Truncated or binary files, a JSON array, a
    client-registration file, a directory with the token's name, a file too large to be a token, or
    one you may not read are reported with the cause. So is an sso-session token inside the refresh
    window whose `registrationExpiresAt` cannot be parsed: botocore fails when it tries the refresh.
    A file owned by another user is reported by SSO208 instead.

    ## Why it matters
    botocore turns a file it cannot parse into a bare `KeyError` and a file without the two fields
    into `Token for <start URL> is invalid`; a directory makes every new login fail to save.

    ## How to fix
        rm ~/.aws/sso/cache/<file>.json
        aws sso login --profile <profile>

    ## Example
        ✗ SSO206 token-cache-corrupt: The SSO token file of sso-session "corp" (profile "dev"),
          ~/.aws/sso/cache/<sha1>.json, is unusable: it is not valid JSON (Unterminated string at
          line 1, column 17).
    """
    cache = ctx.token_cache
    for g, state in _assessed(ctx):
        if state.state != "unusable" or state.file is None:
            continue
        f = state.file
        if f.kind == "unreadable" and f.uid is not None and f.uid != cache.uid:
            continue  # owned by someone else: SSO208 says so, with the chown that fixes it
        path = _in_cache(ctx, f.path)
        remove = manual(f"rm -r {path}") if f.kind == "not-a-file" else f"rm {path}"
        yield token_cache_corrupt.finding(
            f"The SSO token file of {_who(g)}, {ctx.show_path(f.path)}, is unusable: {state.problem}.",
            fix("Remove the broken file and log in again.", remove, _login_step(ctx, g)),
            subject=g.subject,
            location=Location(path=str(f.path)),
        )


def _in_cache(ctx: Context, path) -> str:
    """A cache path for a command: `~/.aws/sso/cache/<name>` (botocore's `~`), quoted. On Windows,
    `"$HOME/.aws/…"`, which each shell renders as its own name for the profile folder."""
    shown = ctx.show_path(path)
    if shown.startswith("~/"):
        return "~/" + shell_quote(shown[2:])
    if shown.startswith("%USERPROFILE%\\"):
        rest = shown[len("%USERPROFILE%\\"):].replace("\\", "/")
        if re.fullmatch(r"[A-Za-z0-9_.@+=:,/-]+", rest):
            return f'"$HOME/{rest}"'
    return shell_quote(str(path))


def _mode(mode: int | None) -> str:
    return f"{mode:04o}" if mode is not None else "?"


def _private_cache_commands(ctx: Context, directory, exposed) -> list[str]:
    """chmod the directory, then the exposed files: by name when there are a few with printable names,
    else with `find`, which (unlike a `*.json` glob that matches nothing) also works on an empty cache."""
    out = [f"chmod 700 {_in_cache(ctx, directory)}"]
    if not exposed:
        return out
    if len(exposed) <= 5 and all(str(f.path).isprintable() for f in exposed):
        out.append(f"chmod 600 {' '.join(_in_cache(ctx, f.path) for f in exposed)}")
    else:
        out.append(f"find {_in_cache(ctx, directory)} -type f -name '*.json' -exec chmod 600 {{}} +")
    return out


@rule("SSO207", "token-cache-permissions", Severity.WARNING, needs=("token_cache",))
def token_cache_permissions(ctx: Context) -> Iterator[Finding]:
    """Other users on this machine can read the token cache, or change it.

    ## What it checks
    The whole `~/.aws/sso/cache`: whether the directory is writable by group or others, and whether
    any token or client-registration file in it is readable or writable by group or others. A
    directory others may only list (mode 0755, what botocore and the AWS CLI create under the usual
    umask 022) is not reported: the files it lists are created with mode 0600.

    ## Why it matters
    Each token file holds a bearer access token, and for sso-session logins a refresh token and
    client secret: whoever reads it can act as you in every account you can reach, until the
    session ends. Whoever can write the directory can swap your tokens for theirs.

    ## How to fix
        chmod 700 ~/.aws/sso/cache && chmod 600 ~/.aws/sso/cache/<each file named in the finding>

    ## Example
        ! SSO207 token-cache-permissions: 2 token files in ~/.aws/sso/cache are readable or writable
          by other users: 1a2b….json (0644) and 3c4d….json (0664).

    On Windows this check is skipped: NTFS access control lists decide who reads a file, and the
    POSIX mode Python reports there says nothing about them (every writable file shows as 0666).
    """
    if ctx.platform in ("win32", "cygwin"):
        raise SkipRule("POSIX permission bits do not apply on Windows: NTFS access control lists decide who can "
                       "read the token cache, and they are not checked")
    cache = ctx.token_cache
    d = cache.directory
    if d.state != "ok":
        return
    problems = []
    if d.mode is not None and d.mode & 0o022:
        problems.append(f"the directory itself (mode {_mode(d.mode)}) is writable by other users")
    exposed = [f for f in cache.files.values() if f.holds_secrets and f.mode is not None and f.mode & 0o066]
    if exposed:
        listed = name_list([f"{f.shown_name} ({_mode(f.mode)})" for f in exposed], quote=False)
        count = f"{len(exposed)} token file{'' if len(exposed) == 1 else 's'}"
        problems.append(f"{count} can be read or written by other users: {listed}")
    if not problems:
        return
    shown = ctx.show_path(d.path)
    yield token_cache_permissions.finding(
        f"In {shown}, " + "; and ".join(problems) + ". These files hold bearer tokens and refresh tokens.",
        fix("Make the cache private to you.", " && ".join(_private_cache_commands(ctx, d.path, exposed))),
        location=Location(path=str(d.path)),
    )


@rule("SSO208", "token-cache-ownership", Severity.ERROR, needs=("token_cache",))
def token_cache_ownership(ctx: Context) -> Iterator[Finding]:
    """The token cache, or files in it, belong to another user or cannot be written.

    ## What it checks
    The whole `~/.aws/sso` and `~/.aws/sso/cache`: whether either directory, or any `*.json` file in
    the cache, is owned by a user other than the one running sso-doctor (typically root, after
    `sudo aws sso login` or a container that mounted your home), and whether the cache directory is
    writable (a read-only mount) and can be listed.

    ## Why it matters
    A token file you cannot read fails like a missing one; a directory you cannot write makes
    `aws sso login` and botocore's token refresh fail to save the new token, so you stay logged out.

    ## How to fix
        sudo chown -R "$USER" ~/.aws

    For a read-only mount, mount the directory writable or log in on the host.

    ## Example
        ✗ SSO208 token-cache-ownership: In ~/.aws/sso/cache, 1 file is owned by another user (uid 0):
          1a2b….json.
    """
    cache = ctx.token_cache
    me = cache.uid
    problems = []
    for d in (cache.parent, cache.directory):
        if d.exists and d.uid is not None and d.uid != me:
            problems.append(f"{ctx.show_path(d.path)} is owned by another user (uid {d.uid})")
    d = cache.directory
    if d.state == "unreadable":
        problems.append(f"{ctx.show_path(d.path)} cannot be listed ({d.problem})")
    elif d.state == "not-a-directory":
        problems.append(f"{ctx.show_path(d.path)} is not a directory")
    elif d.state == "ok" and d.writable is False:
        problems.append(f"{ctx.show_path(d.path)} is not writable, so new and refreshed tokens cannot be saved")
    foreign = [f for f in cache.files.values() if f.uid is not None and f.uid != me]
    if foreign:
        uids = ", ".join(str(u) for u in sorted({f.uid for f in foreign if f.uid is not None}))
        listed = name_list([f.shown_name for f in foreign], quote=False)
        count = f"{len(foreign)} file{'' if len(foreign) == 1 else 's'}"
        problems.append(f"{count} in {ctx.show_path(d.path)} {'is' if len(foreign) == 1 else 'are'} owned by another "
                        f"user (uid {uids}): {listed}")
    if not problems:
        return
    commands: list = ['sudo chown -R "$USER" ~/.aws']
    if d.state == "not-a-directory":
        commands = [manual(f"mv {shell_quote(str(d.path))} {shell_quote(str(d.path))}.broken")]
    yield token_cache_ownership.finding(
        "The SSO token cache is not yours to use: " + "; ".join(problems) + ".",
        fix("Take back ownership of your AWS files.", *commands),
        location=Location(path=str(d.path)),
    )


@rule("SSO209", "token-config-mismatch", Severity.WARNING, needs=("config", "token_cache"),
      requires=("parsed_config", "sso_profile"))
def token_config_mismatch(ctx: Context) -> Iterator[Finding]:
    """The cached token was issued for another start URL or region than the config now names.

    ## What it checks
    For every selected SSO profile with a token: the token's `startUrl` must name the same portal as
    the profile's (or its sso-session's) `sso_start_url`, and its `region` must equal `sso_region`.
    Spelling differences of the same portal (a trailing `/` or `#`) are not reported here; SSO210
    covers those.

    ## Why it matters
    The token was written before the config changed. botocore does not compare them: it sends the
    token to the portal in the configured region, which answers `UnauthorizedException: Session
    token not found or invalid`, and a refresh fails with `InvalidGrantException`.

    ## How to fix
        aws sso login --sso-session <session>      # sso-session profiles
        aws sso login --profile <profile>          # legacy profiles

    ## Example
        ! SSO209 token-config-mismatch: The SSO token for sso-session "corp" (profile "dev") was issued
          for region us-east-1, but the config now says sso_region = eu-west-1.
    """
    for g, state in _assessed(ctx):
        f = state.file
        if f is None or f.kind != "token":
            continue
        differences: list[str] = []
        where: SsoSettings | None = None
        key = None
        if f.start_url and g.start_url and tc.portal_identity(f.start_url) != tc.portal_identity(g.start_url):
            differences.append(f"start URL {f.start_url}, but the config now says sso_start_url = {g.start_url}")
            where, key = g.profiles[0], "sso_start_url"
        if f.region:
            off = [s for s in g.profiles if s.region and s.region != f.region]
            if off:
                regions = sorted({s.region for s in off if s.region})
                whom = "" if len(off) == len(g.profiles) else f" for {name_list([s.profile.name for s in off])}"
                differences.append(f"region {f.region}, but the config now says sso_region = "
                                   f"{' / '.join(regions)}{whom}")
                if where is None:
                    where, key = off[0], "sso_region"
        if not differences or where is None or key is None:
            continue
        value = where.values.get(key)
        yield token_config_mismatch.finding(
            f"The SSO token for {_who(g)} was issued for " + "; and for ".join(differences)
            + ". The config changed after the login.",
            _login(ctx, g, "Log in again with the current settings."),
            subject=g.subject,
            location=Location(path=str(value.path) if value else None, line=value.line if value else None,
                              section=value.section if value else None, key=key),
        )


@rule("SSO210", "start-url-variants", Severity.WARNING, needs=("config",), requires=("parsed_config",))
def start_url_variants(ctx: Context) -> Iterator[Finding]:
    """Legacy profiles spell the same access portal differently, so each spelling needs its own login.

    ## What it checks
    All legacy SSO profiles in the config (`sso_start_url` without `sso_session`), selected or not:
    start URLs that differ only by a trailing `/`, a `#` or `/#/`, or the case of the host name are
    the same portal, but botocore hashes the exact string into the cache file name.

    ## Why it matters
    `aws sso login` for one profile writes a token the other profiles never read: users log in again
    and again and still see `Token for ... does not exist` on the other profiles.

    ## How to fix
    Use one spelling everywhere (edit the other profiles' `sso_start_url`), or better, move the
    profiles to one `[sso-session]`, which also enables token refresh:

        aws configure sso-session

    ## Example
        ! SSO210 start-url-variants: Legacy profiles spell the portal https://d-1234567890.awsapps.com/start
          in 2 ways: "https://d-1234567890.awsapps.com/start" ("dev") and
          "https://d-1234567890.awsapps.com/start/" ("prod"); each spelling has its own token file.
    """
    cfg = ctx.parsed_config()
    by_portal: dict[str, dict[str, list[SsoSettings]]] = {}
    for p in cfg.sso_profiles:
        s = resolve_sso(p, cfg.sso_sessions)
        if not s.legacy or not s.start_url:
            continue
        by_portal.setdefault(tc.portal_identity(s.start_url), {}).setdefault(s.start_url, []).append(s)
    for portal, spellings in by_portal.items():
        if len(spellings) < 2:
            continue
        parts = [f'"{url}" ({name_list([s.profile.name for s in users])})' for url, users in spellings.items()]
        first_url = next(iter(spellings))
        odd = next(s for url, users in spellings.items() if url != first_url for s in users)
        value = odd.values.get("sso_start_url")
        yield start_url_variants.finding(
            f"Legacy profiles spell the portal {portal} in {len(spellings)} ways: {', '.join(parts)}; each spelling "
            "has its own token file, so logging in with one profile does not log in the others.",
            # which spelling to keep is the user's choice (the first one seen is offered): not safe
            fix("Use one spelling, or move the profiles to one [sso-session].",
                *(Edit(str(v.path), "set", v.section, "sso_start_url", old=url, new=first_url, safe=False)
                  for url, users in spellings.items() if url != first_url for s in users
                  if (v := s.values.get("sso_start_url")) is not None),
                manual("aws configure sso-session")),
            subject=portal,
            location=Location(path=str(value.path) if value else None, line=value.line if value else None,
                              section=value.section if value else None, key="sso_start_url"),
        )


@rule("SSO211", "stale-role-credentials", Severity.INFO, needs=("config", "token_cache"),
      requires=("parsed_config", "sso_profile"))
def stale_role_credentials(ctx: Context) -> Iterator[Finding]:
    """The AWS CLI still has cached role credentials although the SSO token has expired.

    ## What it checks
    For every selected SSO profile whose token has expired and cannot be refreshed: whether
    `~/.aws/cli/cache` holds role credentials the AWS CLI v2 wrote for it (`"ProviderType": "sso"`,
    the file named as botocore's SSOCredentialFetcher names it) with more than the 15 minutes left
    that the CLI requires before it reuses them.

    ## Why it matters
    `aws` commands keep working until those credentials expire, while boto3, Terraform and other
    SDKs, which do not read that cache, already fail. "It works in the CLI" hides the expired login.

    ## How to fix
        aws sso login --profile <profile>

    ## Example
        i SSO211 stale-role-credentials: The SSO token for profile "dev" has expired, but
          ~/.aws/cli/cache still holds role credentials for "dev" until 2026-11-26T12:45:00Z.
    """
    cache = ctx.token_cache
    for g, state in _assessed(ctx):
        if state.state != "expired" or state.verdict != "login":
            continue
        uses = tc.usable_role_credentials(g, cache, ctx.now)
        if not uses:
            continue
        until = max(u.credentials.expires_at for u in uses if u.credentials.expires_at)
        names = [u.profile for u in uses]
        yield stale_role_credentials.finding(
            f"The SSO token for {_who(g)} has expired, but {ctx.show_path(cache.cli_directory.path)} still holds role "
            f"credentials for {name_list(names)} until {tc.when(until, ctx.now)}: the AWS CLI keeps working while "
            "boto3, Terraform and other SDKs already fail.",
            fix("Log in again so every tool works.", ctx.login_command(profile=names[0])),
            subject=g.subject,
            location=Location(path=str(uses[0].credentials.path)),
        )


RULES: tuple[Rule, ...] = (
    not_logged_in,
    token_expired,
    token_expired_refreshable,
    token_expiring_soon,
    registration_expired,
    token_cache_corrupt,
    token_cache_permissions,
    token_cache_ownership,
    token_config_mismatch,
    start_url_variants,
    stale_role_credentials,
)
