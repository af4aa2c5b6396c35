"""SSO8xx: other consumers of the same ~/.aws on this machine (SDKs, tools, IDE toolkits, helpers), offline.

Every version boundary comes from the knowledge base (sso_doctor/data/consumers.toml), each with its
public source; a consumer without a sourced boundary is never judged. Rules run nothing themselves:
`ctx.consumers` holds what the loader found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from packaging.version import InvalidVersion, Version

from sso_doctor.context import Context
from sso_doctor.loaders.aws_config import SsoSettings, resolve_sso
from sso_doctor.loaders.consumers import USER_SITE, Consumer, Found, knowledge
from sso_doctor.model import Finding, Location, Severity, SkipRule, fix, manual, rule
from sso_doctor.text import name_list, shell_quote

URL = re.compile(r"https://[^\s);]+")
# Where one environment holds several Python consumers, the one a person runs is reported.
_PY_PREFERENCE = ("awscli-v1", "botocore", "boto3")


def _v(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


NO_SSO_PROFILE = "no selected profile uses SSO credentials"


def _nothing_found(ctx: Context) -> str:
    where = ctx.show_path(ctx.consumers.cwd) if ctx.consumers.cwd else "the working directory"
    return (f"no other tool or SDK with a readable version was found (Python environments, lock files in {where}, "
            f"tools on PATH)")


def _found(ctx: Context) -> list[tuple[Found, Consumer, Version]]:
    """Consumers found here with a known entry and a readable version, one Python consumer per place."""
    candidates = [f for f in ctx.consumers.found if _v(f.version) is not None]
    if not candidates:
        raise SkipRule(_nothing_found(ctx))  # nothing to judge: the knowledge base is not even read
    kb = knowledge()
    found = [f for f in candidates if f.consumer in kb]
    places: dict[str, list[Found]] = {}
    for f in found:
        if f.consumer in _PY_PREFERENCE:
            places.setdefault(f.detail or f.path, []).append(f)
    keep = []
    for f in found:
        if f.consumer in _PY_PREFERENCE:
            here = {g.consumer for g in places[f.detail or f.path]}
            first = next(c for c in _PY_PREFERENCE if c in here)
            if f.consumer != first:
                continue
        keep.append((f, kb[f.consumer], _v(f.version)))  # type: ignore[arg-type]
    return keep


def _where(ctx: Context, f: Found) -> str:
    shown = ctx.show_path(f.path)
    if f.how == USER_SITE:
        return f"the {f.how} {ctx.show_path(f.detail)}"
    if f.how.startswith(("virtualenv", "conda", "python3", "environment of")):
        return f"the {f.how} {ctx.show_path(f.detail)}"
    return f"{shown}:{f.line}" if f.line else shown


def _loc(f: Found) -> Location:
    return Location(path=f.path, line=f.line)


class Gap(NamedTuple):
    """What a consumer version lacks: the version that brings it (None when no release is sourced) and why."""

    target: str | None
    why: str

    @property
    def upgrade_to(self) -> str:
        return f"{self.target} or later" if self.target else "a current release"


def _lacks_sso_session(c: Consumer, v: Version) -> Gap | None:
    """Why v has no [sso-session] support, or None when it has it or nothing sourced says otherwise."""
    since = _v(c.since("sso_session"))
    if since is not None and v < since:
        return Gap(str(since), f"support came in {since}")
    for fact in c.facts_of("sso_session_missing"):
        through = _v(fact.get("through"))
        if through is not None and v <= through:
            return Gap(None, f"{through} is publicly reported without it: {URL.search(fact.source).group(0)}"
                       if URL.search(fact.source) else f"{through} is publicly reported without it")
    return None


def _lacks_sso(c: Consumer, v: Version) -> str | None:
    since = _v(c.since("sso"))
    return str(since) if since is not None and v < since else None


def _sso_in_use(ctx: Context) -> list[SsoSettings]:
    """SSO settings of the selected profiles and of the source_profile chains they assume roles from: a role
    profile over an SSO profile makes every consumer load that SSO profile too."""
    out = list(ctx.selected_sso())
    seen = {s.profile.name for s in out}
    profiles, sessions = ctx.config.profiles, ctx.config.sso_sessions
    for selected in ctx.selected_profiles():
        p = selected
        for _ in range(10):  # botocore refuses longer or circular chains itself (SSO1xx say so)
            source = profiles.get(p.get("source_profile") or "")
            if source is None or source.name in seen:
                break
            seen.add(source.name)
            if source.has_sso_keys:
                out.append(resolve_sso(source, sessions))
            p = source
    return out


def _session_only(ctx: Context) -> list[SsoSettings]:
    """Profiles in use that name an sso-session and rely on it for the start URL and region."""
    return [s for s in _sso_in_use(ctx) if s.session_name and s.profile.uses_sso_credentials
            and not (s.profile.has("sso_start_url") and s.profile.has("sso_region"))]


def _hybrid(ctx: Context) -> list[SsoSettings]:
    """Profiles in use that name an sso-session and also repeat sso_start_url and sso_region."""
    return [s for s in _sso_in_use(ctx) if s.session_name and s.profile.uses_sso_credentials
            and s.profile.has("sso_start_url") and s.profile.has("sso_region")]


def _upgrade_steps(ctx: Context, f: Found, c: Consumer, target: str | None) -> tuple:
    """The upgrade in the consumer's own ecosystem: a command where it is right as printed, else an edit."""
    dist = {"botocore": "botocore", "boto3": "boto3", "awscli-v1": "awscli", "aws2-wrap": "aws2-wrap"}.get(c.id)
    shown = ctx.show_path(f.path)
    spec = f"{dist}>={target}" if dist and target else dist
    if dist and f.how.startswith("virtualenv") and ctx.platform == "win32":
        return (manual(f'{f.detail}\\Scripts\\python.exe -m pip install -U "{spec}"'),)
    if dist and f.how.startswith("virtualenv"):
        return (f"{shell_quote(f.detail + '/bin/python')} -m pip install -U {shell_quote(spec or dist)}",)
    if dist and f.how == USER_SITE:
        return (manual(f"python3 -m pip install --user -U '{spec}'"),)
    if dist and f.how.startswith(("conda", "python3", "environment of")):
        return (manual(f"{f.detail}/bin/python -m pip install -U '{spec}'"),)
    if dist and f.how == "lock file":
        return (manual(f"raise {dist} to {'>=' + target if target else 'a current release'} in {shown} "
                       f"(line {f.line}) and re-lock"),)
    if c.id == "aws-sdk-js-v3":
        return (manual(f"upgrade the project's @aws-sdk/* packages so @aws-sdk/credential-provider-sso is >= {target}, "
                       f"e.g. npm install @aws-sdk/credential-providers@^{target} (and each @aws-sdk/client-* in "
                       f"package.json), then check {shown}"),)
    if c.id == "aws-sdk-go" and target:
        return (manual(f"go get github.com/aws/aws-sdk-go@v{target} && go mod tidy   # in the module of {shown}"),)
    if c.id == "terraform-provider-aws":
        return (manual(f'raise the version constraint of required_providers aws (source "hashicorp/aws") to '
                       f"{'>= ' + target if target else 'a current release'}, then run terraform init -upgrade "
                       f"in the directory of {shown}"),)
    if c.upgrade and target:
        return (manual(c.upgrade.replace("{min}", target)),)
    return (manual(f"upgrade {c.name} to {'version ' + target + ' or later' if target else 'a current release'}"),)


def _workarounds(ctx: Context, s: SsoSettings) -> tuple:
    """Ways to keep an old consumer working with the profile: a legacy-form twin, or credential_process."""
    p = s.profile.name
    steps = [manual(
        f"a legacy-form twin profile for the old consumer (no sso_session): [profile {p}-legacy] with "
        f"sso_start_url = {s.start_url or '<start URL>'}, sso_region = {s.region or '<region>'}, "
        f"sso_account_id = {s.get('sso_account_id') or '<account>'}, sso_role_name = {s.get('sso_role_name') or '<role>'}; "
        f"then aws sso login --profile {p}-legacy and use AWS_PROFILE={p}-legacy with that tool")]
    try:
        exe = ctx.aws_cli.active
    except Exception:  # noqa: BLE001 - a workaround is optional; the finding stands without it
        exe = None
    # `aws configure export-credentials` came with AWS CLI 2.9.0 (its CHANGELOG.rst: "feature:credentials:
    # Add aws configure export-credentials command", aws/aws-cli#7388), the release with [sso-session] too.
    if exe is not None and exe.version is not None and exe.version >= Version("2.9.0"):
        steps.append(manual(
            f"or a profile that reads credentials through the AWS CLI v2 here: [profile {p}-process] with "
            f"credential_process = aws configure export-credentials --profile {p} --format process"))
    return tuple(steps)


@rule("SSO801", "consumer-without-sso-session", Severity.ERROR,
      needs=("config", "consumers"), requires=("parsed_config", "profile"))
def consumer_without_sso_session(ctx: Context) -> Iterator[Finding]:
    """A tool or SDK found here predates `[sso-session]` and a selected profile relies on one.

    ## What it checks
    Every consumer found on this machine (Python environments, the working directory's lock files,
    tools on PATH) whose version is older than the first release with `[sso-session]` support, from
    the knowledge base, while a selected profile names `sso_session` and does not repeat
    `sso_start_url`/`sso_region` itself.

    ## Why it matters
    `aws sso login` and the AWS CLI v2 work, but that tool reads the profile as a legacy SSO profile,
    finds no start URL or region and fails, e.g. botocore < 1.29.10: `The profile "dev" is configured to
    use SSO but is missing required configuration: sso_start_url, sso_region`.

    ## How to fix
    Upgrade it in its own ecosystem (`pip install -U 'botocore>=1.29.10'`, raise the npm/Go/Terraform
    dependency), or give it a legacy-form twin profile, or a profile with
    `credential_process = aws configure export-credentials --profile P --format process`.

    ## Example
        ✗ SSO801 consumer-without-sso-session: botocore 1.29.9 in the virtualenv (VIRTUAL_ENV) ~/proj/.venv
          predates [sso-session] support (1.29.10)
    """
    profiles = _session_only(ctx)
    if not profiles:
        raise SkipRule("no selected profile takes its start URL and region from an sso-session")
    names = [s.profile.name for s in profiles]
    for f, c, v in _found(ctx):
        if _lacks_sso(c, v):
            continue  # SSO802: it knows no SSO at all
        gap = _lacks_sso_session(c, v)
        if gap is None:
            continue
        error = c.error_text("sso-session", names[0]).rstrip(".")
        yield consumer_without_sso_session.finding(
            f"{c.name} {v} in {_where(ctx, f)} has no [sso-session] support ({gap.why}): the "
            f"profile{'s' if len(names) > 1 else ''} {name_list(names)} use{'' if len(names) > 1 else 's'} "
            f"sso_session, so this tool fails to load {'them' if len(names) > 1 else 'it'}"
            + (f" with: {error}" if error else "") + ".",
            fix(f"Upgrade {c.name} to {gap.upgrade_to}, or give it a profile form it understands.",
                *_upgrade_steps(ctx, f, c, gap.target), *_workarounds(ctx, profiles[0])),
            subject=c.id, location=_loc(f), evidence={"consumer": c.id, "version": str(v), "found": f.how},
        )


@rule("SSO802", "consumer-without-sso", Severity.ERROR,
      needs=("config", "consumers"), requires=("parsed_config", "profile"))
def consumer_without_sso(ctx: Context) -> Iterator[Finding]:
    """A tool or SDK found here predates SSO profiles altogether.

    ## What it checks
    Consumers whose version is older than their first release with the SSO credential provider (from
    the knowledge base: botocore 1.17.0, AWS SDK for Go v1 1.37.0, ...) while a selected profile uses SSO.

    ## Why it matters
    Such a tool ignores `sso_account_id`/`sso_role_name` and finds no credentials at all
    (`Unable to locate credentials`, `NoCredentialProviders`), whatever the login state.

    ## How to fix
    Upgrade it in its own ecosystem, e.g. `pip install -U 'botocore>=1.29.10'`.

    ## Example
        ✗ SSO802 consumer-without-sso: botocore 1.16.0 in ~/proj/requirements.txt:3 predates SSO profiles (1.17.0)
    """
    profiles = [s for s in _sso_in_use(ctx) if s.profile.uses_sso_credentials]
    if not profiles:
        raise SkipRule(NO_SSO_PROFILE)
    names = [s.profile.name for s in profiles]
    for f, c, v in _found(ctx):
        minimum = _lacks_sso(c, v)
        if minimum is None:
            continue
        target = c.since("sso_session") if any(s.session_name for s in profiles) and c.since("sso_session") else minimum
        yield consumer_without_sso.finding(
            f"{c.name} {v} in {_where(ctx, f)} predates SSO profiles ({minimum}): it ignores the SSO settings of "
            f"the profile{'s' if len(names) > 1 else ''} {name_list(names)} in use and finds no credentials"
            + (f" ({c.error_text('no-sso', names[0])})" if c.error_text("no-sso", names[0]) else "") + ".",
            fix(f"Upgrade {c.name} to {target} or later.", *_upgrade_steps(ctx, f, c, target)),
            subject=c.id, location=_loc(f), evidence={"consumer": c.id, "version": str(v), "found": f.how},
        )


@rule("SSO803", "consumer-missing-sso-module", Severity.ERROR,
      needs=("config", "consumers"), requires=("parsed_config", "profile"))
def consumer_missing_sso_module(ctx: Context) -> Iterator[Finding]:
    """A project here uses an AWS SDK that needs separate SSO modules, and lacks them.

    ## What it checks
    The working directory's Java build files (`software.amazon.awssdk` artifacts in pom.xml or
    build.gradle[.kts]) and .NET projects (`AWSSDK.*` in *.csproj / packages.lock.json): the AWS SDK
    for Java 2.x loads SSO profiles only with the `sso` module (and `ssooidc` for sso-session
    profiles); the AWS SDK for .NET needs `AWSSDK.SSO` and `AWSSDK.SSOOIDC`.

    ## Why it matters
    The code compiles and runs, and fails at the first call: `To use Sso related properties in the
    'dev' profile, the 'sso' service module must be on the class path.`

    ## How to fix
    Add the module: `software.amazon.awssdk:sso` / `ssooidc`, or `dotnet add package AWSSDK.SSO`.

    ## Example
        ✗ SSO803 consumer-missing-sso-module: the Java project ~/proj/pom.xml:12 lacks software.amazon.awssdk:ssooidc
    """
    sso = [s for s in _sso_in_use(ctx) if s.profile.uses_sso_credentials]
    if not sso:
        raise SkipRule(NO_SSO_PROFILE)
    uses_session = any(s.session_name for s in sso)
    projects = [f for f in ctx.consumers.found if f.consumer in ("aws-sdk-java-v2", "aws-sdk-net")]
    if not projects:
        raise SkipRule(f"no Java or .NET AWS SDK project in {ctx.show_path(ctx.consumers.cwd) or 'the working directory'}")
    kb = knowledge()
    for f in projects:
        c = kb.get(f.consumer)
        if c is None:
            continue
        present = {m.lower() for m in f.modules}
        if f.consumer == "aws-sdk-java-v2" and "aws-sdk-java" in present:
            continue  # the bundle artifact carries every service module
        for fact in c.facts_of("module"):
            module = str(fact.get("name"))
            if fact.get("for") == "sso-session" and not uses_session:
                continue
            if module.lower() in present:
                continue
            profile = sso[0].profile.name
            if f.consumer == "aws-sdk-java-v2":
                what = f"software.amazon.awssdk:{module}"
                text = str(fact.get("text") or "").replace("{profile}", profile)
                steps = (manual(f"add the dependency software.amazon.awssdk:{module} to {f.path} (Maven: "
                                f"<dependency><groupId>software.amazon.awssdk</groupId><artifactId>{module}"
                                f"</artifactId></dependency>; Gradle: implementation(\"software.amazon.awssdk:{module}\"))"),)
            else:
                what = module
                text = ""
                steps = ((f"dotnet add {shell_quote(f.path)} package {module}",) if f.path.lower().endswith(".csproj")
                         else (manual(f"dotnet add <project>.csproj package {module}"),))
            yield consumer_missing_sso_module.finding(
                f"The {'Java' if f.consumer == 'aws-sdk-java-v2' else '.NET'} project {_where(ctx, f)} uses "
                f"{c.name} without {what}, which SSO profiles such as \"{profile}\" need"
                + (f"; it fails with: {text.rstrip('.')}" if text else "") + ".",
                fix(f"Add {what} to the project.", *steps),
                subject=f"{c.id}:{module}", location=_loc(f), evidence={"consumer": c.id, "missing": module},
            )


def _bug_applies(ctx: Context, when: str | None) -> bool:
    """Whether this run's selection meets the condition under which a documented bug shows."""
    if not when:
        return True
    if when == "sso-session":
        return any(s.session_name for s in _sso_in_use(ctx))
    if when == "profile-from-env":
        return ctx.selection_source in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
    if when == "source-profile-to-sso-session":
        profiles = ctx.config.profiles
        for p in ctx.selected_profiles():
            source = profiles.get(p.get("source_profile") or "")
            if source is not None and source.sso_session:
                return True
        return False
    return False  # a condition this version of sso-doctor does not know: never guess


@rule("SSO804", "consumer-known-sso-bug", Severity.WARNING,
      needs=("config", "consumers"), requires=("parsed_config", "profile"))
def consumer_known_sso_bug(ctx: Context) -> Iterator[Finding]:
    """A tool or SDK found here is in a version range with a documented SSO bug.

    ## What it checks
    Each consumer's version against the knowledge base's bug ranges (from the first affected
    version up to, not including, the fixed one), each with its changelog line or issue, while a
    selected profile uses SSO.

    ## Why it matters
    These bugs break SSO in ways that look like a configuration problem: the wrong profile's token,
    a crash while resolving the profile, a failed token refresh.

    ## How to fix
    Move to the fixed version in that ecosystem (`pip install -U 'botocore>=1.29.75'`, `go get ...`).

    ## Example
        ! SSO804 consumer-known-sso-bug: AWS SDK for Go v1 1.44.300 in ~/proj/go.mod:5 has a known SSO bug
    """
    sso = [s for s in _sso_in_use(ctx) if s.profile.uses_sso_credentials]
    if not sso:
        raise SkipRule(NO_SSO_PROFILE)
    for f, c, v in _found(ctx):
        for fact in c.facts_of("bug"):
            start, end = _v(fact.get("from")), _v(fact.get("to"))
            if start is None or end is None or not (start <= v < end) or not _bug_applies(ctx, fact.get("when")):
                continue
            yield consumer_known_sso_bug.finding(
                f"{c.name} {v} in {_where(ctx, f)} has a documented SSO bug fixed in {end}: {fact.get('text')} "
                f"(source: {fact.source}).",
                fix(f"Upgrade {c.name} to {end} or later.", *_upgrade_steps(ctx, f, c, str(end))),
                subject=f"{c.id}:{start}-{end}", location=_loc(f),
                evidence={"consumer": c.id, "version": str(v), "fixed_in": str(end)},
            )


@rule("SSO805", "credential-helper-broken", Severity.ERROR,
      needs=("config", "consumers"), requires=("parsed_config", "profile"))
def credential_helper_broken(ctx: Context) -> Iterator[Finding]:
    """The `credential_process` program of a selected profile is missing, not executable, or too old.

    ## What it checks
    The program named first in each selected profile's `credential_process` (split like botocore
    does, without a shell: no `~` or `$VAR` expansion): found on PATH or at its path, executable,
    and for known helpers (aws2-wrap) new enough for sso-session profiles.

    ## Why it matters
    botocore starts that program for every credential lookup; a missing one fails with
    `[Errno 2] No such file or directory`, a non-executable one with `[Errno 13] Permission denied`.

    ## How to fix
    Install the helper, fix the path (absolute, no `~`), `chmod +x` it, or upgrade it.

    ## Example
        ✗ SSO805 credential-helper-broken: profile "ci" runs aws2-wrap, which is not on PATH
    """
    session_profiles = {s.profile.name for s in _sso_in_use(ctx) if s.session_name}
    if not ctx.consumers.helpers:
        raise SkipRule("no selected profile uses credential_process")
    for h in ctx.consumers.helpers:
        section = h.section or ("default" if h.profile == "default" else f"profile {h.profile}")
        loc = Location(path=h.config_path, line=h.line, section=section, key="credential_process")
        if h.state == "missing":
            tilde = " (botocore does not expand ~ or $VARS: use an absolute path)" if h.program.startswith(("~", "$")) else ""
            yield credential_helper_broken.finding(
                f"Profile \"{h.profile}\" runs {h.program!r} through credential_process, which is "
                f"{'not at that path' if '/' in h.program else 'not on PATH'}{tilde}; every credential lookup "
                f"fails with: [Errno 2] No such file or directory: {h.program!r}.",
                fix("Install the helper or point credential_process at its absolute path.",
                    manual(f"install {h.program} or set credential_process in [{section}] to its absolute path")),
                subject=h.profile, location=loc, evidence={"program": h.program},
            )
        elif h.state == "not-executable":
            yield credential_helper_broken.finding(
                f"Profile \"{h.profile}\" runs {ctx.show_path(h.resolved)} through credential_process, but it is not "
                f"executable; every credential lookup fails with: [Errno 13] Permission denied: {h.resolved!r}.",
                fix("Make the helper executable.", f"chmod +x {shell_quote(h.resolved or h.program)}"),
                subject=h.profile, location=loc, evidence={"program": h.program},
            )
        elif h.state == "unparseable":
            yield credential_helper_broken.finding(
                f"Profile \"{h.profile}\" has a credential_process value botocore cannot split into a command "
                f"(an unbalanced quote or an empty value).",
                fix("Fix the quoting of credential_process.", manual(f"edit credential_process in [{section}]")),
                subject=h.profile, location=loc,
            )
        elif h.consumer and h.version and session_profiles:
            c = knowledge().get(h.consumer)
            v = _v(h.version)
            if c is None or v is None:
                continue
            gap = _lacks_sso_session(c, v)
            if gap is None:
                continue
            yield credential_helper_broken.finding(
                f"Profile \"{h.profile}\" runs {c.name} {v} through credential_process; it has no [sso-session] "
                f"support ({gap.why}) and the profiles in use {name_list(sorted(session_profiles))} use sso_session"
                + (f" (it fails with: {c.error_text('sso-session', h.profile)})"
                   if c.error_text("sso-session", h.profile) else "") + ".",
                fix(f"Upgrade {c.name} to {gap.upgrade_to}.",
                    manual(c.upgrade.replace("{min}", gap.target) if c.upgrade and gap.target
                           else f"upgrade {c.name}")),
                subject=h.profile, location=loc, evidence={"program": h.program, "version": str(v)},
            )


@rule("SSO806", "consumer-legacy-cache-key", Severity.WARNING,
      needs=("config", "consumers"), requires=("parsed_config", "profile"))
def consumer_legacy_cache_key(ctx: Context) -> Iterator[Finding]:
    """A consumer here reads a hybrid profile as a legacy one and looks for the token under its start URL.

    ## What it checks
    Selected profiles that name an sso-session and also repeat `sso_start_url`/`sso_region` (a common
    workaround for old tools), while a consumer found here predates `[sso-session]` support.

    ## Why it matters
    That consumer loads the profile as a legacy SSO profile and reads
    `~/.aws/sso/cache/<sha1(start URL)>.json`. `aws sso login --sso-session S` (and `--profile` of
    this profile) writes `<sha1(S)>.json` instead, so the old tool keeps saying the SSO session has
    expired or is invalid right after a successful login.

    ## How to fix
    Upgrade the consumer; or log in once through a legacy-form profile (no sso_session) so the
    start-URL key exists too.

    ## Example
        ! SSO806 consumer-legacy-cache-key: botocore 1.29.9 reads profile "dev" with the start-URL cache key
    """
    profiles = _hybrid(ctx)
    if not profiles:
        raise SkipRule("no selected profile names an sso-session and repeats sso_start_url and sso_region")
    names = [s.profile.name for s in profiles]
    for f, c, v in _found(ctx):
        if _lacks_sso(c, v):
            continue
        gap = _lacks_sso_session(c, v)
        if gap is None:
            continue
        yield consumer_legacy_cache_key.finding(
            f"{c.name} {v} in {_where(ctx, f)} has no [sso-session] support ({gap.why}) and reads the hybrid "
            f"profile{'s' if len(names) > 1 else ''} {name_list(names)} as legacy SSO: it looks for the token under "
            f"the start-URL cache key, which `aws sso login` with the sso-session does not write.",
            fix(f"Upgrade {c.name} to {gap.upgrade_to}, or log in through a legacy-form profile too.",
                *_upgrade_steps(ctx, f, c, gap.target), *_workarounds(ctx, profiles[0])),
            subject=c.id, location=_loc(f), evidence={"consumer": c.id, "version": str(v)},
        )


RULES = (
    consumer_without_sso_session,
    consumer_without_sso,
    consumer_missing_sso_module,
    consumer_known_sso_bug,
    credential_helper_broken,
    consumer_legacy_cache_key,
)

__all__ = ["RULES", "SkipRule"]
