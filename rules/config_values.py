"""SSO1xx, values: what the keys of the AWS config and credentials files hold (offline).

These rules judge values as botocore reads them: configparser keeps quotes and inline comments, and
botocore strips nothing, so `region = "us-east-1" # prod` is the region `"us-east-1" # prod`.

Many profiles with the same bad value give one finding that names them and points at the first line.
A value that is wrong only because of an inline comment is reported once, by SSO115 (as an error for
region, URL and account keys); SSO111/SSO112/SSO113 speak up only when the part before the comment
is wrong too.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from sso_doctor import aws_values
from sso_doctor.context import Context
from sso_doctor.fixes import Edit
from sso_doctor.loaders.aws_config import AwsConfig, Profile, Section, Value, resolve_sso
from sso_doctor.model import Finding, Location, Rule, Severity, fix, manual, rule
from sso_doctor.text import name_list

# Keys whose value is an identifier AWS must recognise exactly: an inline comment breaks them (SSO115
# error). Other keys with an inline comment get a warning.
_STRICT_KEYS = ("region", "sso_region", "sso_start_url", "sso_account_id", "endpoint_url")
# Never echo these values, not even in part.
_SECRET_KEYS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})
# How many login commands a grouped finding spells out.
_MAX_LOGIN_COMMANDS = 3


class _Site(NamedTuple):
    """One key = value in a profile or sso-session, and where it is."""

    kind: str  # "profile" or "sso-session"
    name: str
    key: str
    value: str
    path: Path
    line: int | None
    section: str
    in_config_file: bool

    @property
    def order(self) -> tuple[str, int]:
        return str(self.path), self.line or 0

    def location(self) -> Location:
        return Location(path=str(self.path), line=self.line, section=self.section, key=self.key)


def _sites(cfg: AwsConfig, keys: Iterable[str], *, sessions: bool = True,
           suspect: Callable[[str, str], bool] | None = None) -> Iterator[_Site]:
    """Every string value of `keys` in every profile (config and credentials file) and sso-session.

    With `suspect(key, value)`, only the values it flags: a big config is mostly good values, and
    building a site for each of thousands of them is most of these rules' time. Thousands of
    profiles hold a few distinct values, so each (key, value) is judged once.
    """
    keys = tuple(keys)
    config_path = cfg.config.path
    judged: dict[tuple[str, str], bool] = {}

    def flagged(key: str, value: str) -> bool:
        if suspect is None:
            return True
        verdict = judged.get((key, value))
        if verdict is None:
            verdict = judged[key, value] = suspect(key, value)
        return verdict

    for p in cfg.profiles.values():
        values = p.values
        for key in keys:
            v = values.get(key)
            if v is not None and type(v.value) is str and flagged(key, v.value):
                yield _Site("profile", p.name, key, v.value, v.path, v.line, v.section, v.path == config_path)
    if sessions:
        for s in cfg.sso_sessions.values():
            for key in keys:
                e = s.values.get(key)
                if e is not None and type(e.value) is str and flagged(key, e.value):
                    yield _Site("sso-session", s.name, key, e.value, s.path, e.line, s.section.header, True)


def _group(sites: Iterable[_Site], key: Callable[[_Site], Hashable]) -> list[list[_Site]]:
    """Sites with the same cause, each group in file order, groups in order of their first site."""
    groups: dict[Hashable, list[_Site]] = {}
    for s in sites:
        groups.setdefault(key(s), []).append(s)
    out = [sorted(g, key=lambda s: s.order) for g in groups.values()]
    return sorted(out, key=lambda g: g[0].order)


def _representative(group: list[_Site]) -> _Site:
    """The site a grouped finding is filed under (subject, location): by name, not file order, so the
    finding's fingerprint survives moving blocks around."""
    return min(group, key=lambda s: (s.kind, s.name, s.key))


def _who(sites: list[_Site]) -> str:
    """'profile "a"', 'profiles "a", "b" and 3 more', 'sso-session "s"', or both kinds."""
    parts = []
    for kind in ("profile", "sso-session"):
        names = list(dict.fromkeys(s.name for s in sites if s.kind == kind))
        if names:
            parts.append(f"{kind}{'s' if len(names) > 1 else ''} {name_list(names)}")
    return " and ".join(parts)


def _lines(ctx: Context, sites: list[_Site]) -> str:
    """'~/.aws/config:4' or '~/.aws/config lines 4, 9 and 12'."""
    by_path: dict[Path, list[int]] = {}
    for s in sites:
        if s.line is not None:
            by_path.setdefault(s.path, []).append(s.line)
    parts = []
    for path, lines in by_path.items():
        shown = ctx.show_path(path)
        nums = [str(n) for n in lines]
        parts.append(f"{shown}:{nums[0]}" if len(nums) == 1 else f"{shown} lines {name_list(nums, quote=False)}")
    return ", ".join(parts) or ", ".join(dict.fromkeys(ctx.show_path(s.path) for s in sites))


def _set_commands(ctx: Context, sites: list[_Site], key: str, new_value: str | None, placeholder: str,
                  *, certain: bool = True) -> list[Edit]:
    """One exact edit per line to change: `key = new_value` where each value is written (the profile's
    or sso-session's own section, in the config or the credentials file, the file `check --config`
    lints included). `certain` False (a guess), or no value at all (the placeholder), makes the edits
    not safe: a person checks them first."""
    new = new_value if new_value is not None else placeholder
    safe = new_value is not None and certain
    return [Edit(str(s.path), "set", s.section, key, old=None if key in _SECRET_KEYS else s.value, new=new, safe=safe)
            for s in sites]


def _shown(value: str, limit: int = 80) -> str:
    """A value in quotes for a message; single quotes when it holds double quotes itself."""
    text = value if len(value) <= limit else value[: limit - 3] + "..."
    return f"'{text}'" if '"' in text else f'"{text}"'


def _either(names: list[str]) -> str:
    """'"a"', '"a" or "b"'."""
    quoted = [f'"{n}"' for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _comment_only(value: str, is_valid: Callable[[str], bool]) -> bool:
    """True when the value is wrong only because of an inline comment (SSO115 reports it, alone)."""
    head = aws_values.strip_inline_comment(value)
    return head != value and bool(head) and is_valid(head)


# --- SSO111 -------------------------------------------------------------------------------------------


@rule("SSO111", "invalid-start-url", Severity.ERROR, needs=("config",), requires=("parsed_config",))
def invalid_start_url(ctx: Context) -> Iterator[Finding]:
    """A start URL is not the AWS access portal URL.

    ## What it checks
    Every `sso_start_url`, in every profile and `[sso-session]`, as botocore reads it (quotes and
    spaces included). It is an error when the value is empty, is wrapped in quotes, contains
    whitespace, is not an absolute `https://` URL, has no host, or is the sign-in page of an identity
    provider (Okta, Microsoft Entra ID / Azure AD, Google, OneLogin, Ping, JumpCloud, Auth0, Duo,
    CyberArk, AD FS, Shibboleth) or an AWS page that is not the portal (console sign-in, the OIDC or
    portal API endpoints, the device-code page). It is a warning when the URL carries a `#` fragment
    or a trailing `/`, or when its host is not one AWS serves portals from (`*.awsapps.com`,
    `*.awsapps.cn`, `*.app.aws`, `*.portal.amazonaws.com(.cn)`, `*.portal.amazonaws.eu`,
    `identitycenter.amazonaws.com(.cn|.eu)`, `identitycenter.us-gov.amazonaws.com`): a company
    "vanity" URL that redirects to the portal.

    A value that is wrong only because of an inline comment (`... # prod`) is left to SSO115.

    ## Why it matters
    The start URL identifies your IAM Identity Center instance: the AWS CLI sends it to the OIDC
    service when you log in, and botocore hashes the exact string to name the token cache file of a
    profile without `sso_session`. An identity-provider URL is where you type your password, not
    what the CLI needs: login fails. A trailing `/` or `#/` is a different string from the URL other
    profiles (and your cached token) use, so the CLI keeps asking you to log in again. Vanity URLs
    work only with AWS CLI 2.35.13 and newer, which follow the redirect; other tools take them as is.

    ## How to fix
    Copy the AWS access portal URL exactly as the IAM Identity Center console shows it (Dashboard,
    "AWS access portal URL"): `https://d-xxxxxxxxxx.awsapps.com/start` or
    `https://ssoins-xxxxxxxxxxxxxxxx.portal.<region>.app.aws`, in the line the finding names:

        [profile dev]
        sso_start_url = https://d-1234567890.awsapps.com/start

    For an `[sso-session]`, edit the `sso_start_url` line the finding names.

    ## Example
        ✗ SSO111 invalid-start-url: sso_start_url "https://acme.okta.com/app/amazon_aws/exk1/sso/saml" in sso-session "acme" (~/.aws/config) is not a usable AWS access portal URL: it is the sign-in page of your identity provider (Okta), not the AWS access portal URL of your IAM Identity Center instance.
    """
    cfg = ctx.parsed_config()
    def suspect(_key: str, value: str) -> bool:
        if _comment_only(value, lambda v: aws_values.judge_start_url(v).ok):
            return False
        return not aws_values.judge_start_url(aws_values.strip_inline_comment(value) or value).ok

    bad = list(_sites(cfg, ("sso_start_url",), suspect=suspect))
    for group in _group(bad, lambda s: s.value):
        first = _representative(group)
        verdict = aws_values.judge_start_url(aws_values.strip_inline_comment(first.value) or first.value)
        reasons = "; ".join(verdict.errors + verdict.warnings)
        summary = ("is not a usable AWS access portal URL" if verdict.errors
                   else "is not written the way the IAM Identity Center console shows the portal URL")
        message = f"sso_start_url {_shown(first.value)} in {_who(group)} ({ctx.show_path(first.path)}) {summary}: {reasons}."
        if verdict.suggestion:
            message += f' Use "{verdict.suggestion}".'
        yield invalid_start_url.finding(
            message,
            fix("Use the AWS access portal URL exactly as the IAM Identity Center console shows it "
                f"({aws_values.START_URL_SHAPES}).",
                *_set_commands(ctx, group, "sso_start_url", verdict.suggestion,
                               "https://<your-subdomain>.awsapps.com/start",
                               certain=not any("whitespace" in e for e in verdict.errors))),
            severity=Severity.ERROR if verdict.errors else Severity.WARNING,
            subject=first.name,
            location=first.location(),
            evidence={"value": first.value, "profiles": len(group)},
        )


# --- SSO112 -------------------------------------------------------------------------------------------


def _region_ok(key: str) -> Callable[[str], bool]:
    allow_pseudo = key == "region"
    return lambda v: aws_values.judge_region(v, allow_pseudo).status == "valid"


@rule("SSO112", "invalid-region", Severity.ERROR, needs=("config",), requires=("parsed_config",))
def invalid_region(ctx: Context) -> Iterator[Finding]:
    """A region value is not a region botocore knows.

    ## What it checks
    Every `sso_region` (profiles and `[sso-session]` sections) and every profile's `region`, exactly as
    written, against the partition data of the installed botocore (`partitions.json`, the data botocore
    builds endpoints from). Typos (`us-eats-1`), quotes (`"us-east-1"`), upper case (`US-EAST-1`),
    availability zones (`us-east-1a`) and empty values are errors, with the region you probably meant.

    Two cases need judgement:
    * a name that has the shape of a region of a partition (botocore's `regionRegex`, with a real
      compass word such as `east` or `southeast`) but that this botocore does not list, like
      `ap-southeast-8`: a warning, because it may be a region newer than your botocore, or a typo;
    * the pseudo-regions botocore lists for global endpoints (`aws-global`, `aws-cn-global`, ...): fine
      as a profile's `region` (botocore uses them for STS and IAM), an error as `sso_region`, because
      IAM Identity Center lives in one real region.

    A value that is valid once its inline comment is removed (`us-east-1 # prod`) is left to SSO115.

    ## Why it matters
    botocore does not check region names against its data: it builds `oidc.us-eats-1.amazonaws.com`
    and the login fails with a DNS error; quotes and comments make it raise `Provided region_name
    '"us-east-1"' doesn't match a supported format`, and an upper-case region is sent as is.

    ## How to fix
    Write the region in the line the finding names (the finding's edit; a "did you mean" region is
    marked as a guess to check):

        [profile dev]
        region = us-east-1
        sso_region = us-east-1

    In an `[sso-session]`, edit the `sso_region` line the finding names. For a new region, upgrade the
    AWS CLI / botocore (`pip install -U botocore`).

    ## Example
        ✗ SSO112 invalid-region: region "us-eats-1" in profile "dev" (~/.aws/config) is not an AWS region: it is not a region in botocore's partition data. Did you mean "us-east-1"?
    """
    cfg = ctx.parsed_config()
    def suspect(key: str, value: str) -> bool:
        ok = _region_ok(key)
        return not (ok(value) or _comment_only(value, ok))

    judged = [*_sites(cfg, ("sso_region",), suspect=suspect),
              *_sites(cfg, ("region",), sessions=False, suspect=suspect)]
    for group in _group(judged, lambda s: (s.key, s.value)):
        first = _representative(group)
        verdict = aws_values.judge_region(first.value, first.key == "region")
        severity = Severity.WARNING if verdict.status == "unlisted" else Severity.ERROR
        message = (f"{first.key} {_shown(first.value)} in {_who(group)} ({ctx.show_path(first.path)}) is not an "
                   f"AWS region: {verdict.reason}.")
        if verdict.status == "unlisted":
            message = (f"{first.key} {_shown(first.value)} in {_who(group)} ({ctx.show_path(first.path)}) is not a "
                       f"region this botocore knows: {verdict.reason}; a region newer than your botocore, or a typo.")
        if verdict.suggestions:
            message += f" Did you mean {_either(list(verdict.suggestions))}?"
        suggestion = verdict.suggestions[0] if len(verdict.suggestions) == 1 and severity == Severity.ERROR else None
        # quotes, case and spaces removed is what was written; a typo's closest region is a guess
        certain = suggestion is not None and suggestion == aws_values.normalise_region(first.value)
        commands: list = _set_commands(ctx, group, first.key, suggestion, "<region, e.g. us-east-1>",
                                       certain=certain)
        if verdict.status == "unlisted":
            commands.append(manual("pip install -U botocore   # or upgrade the AWS CLI, if the region is new"))
        yield invalid_region.finding(
            message,
            fix(f"Set {first.key} to a valid region name (lower case, no quotes or comments).", *commands),
            severity=severity,
            subject=first.name,
            location=first.location(),
            evidence={"value": first.value, "profiles": len(group)},
        )


# --- SSO113 -------------------------------------------------------------------------------------------


@rule("SSO113", "invalid-account-id", Severity.ERROR, needs=("config",), requires=("parsed_config",))
def invalid_account_id(ctx: Context) -> Iterator[Finding]:
    """An `sso_account_id` is not a 12-digit AWS account id.

    ## What it checks
    Every `sso_account_id`, exactly as written, must be exactly 12 digits. Dashes (`1234-5678-9012`, as
    the console displays ids), quotes, spaces, scientific notation, and ids that lost their leading
    zeros (11 digits instead of `012345678901`, typical after a spreadsheet or a YAML/JSON number)
    are errors; the finding gives the 12-digit id when it can be recovered. A value that is valid
    once its inline comment is removed is left to SSO115.

    ## Why it matters
    botocore sends the value unchanged to `GetRoleCredentials`; the portal answers that you have no
    access to that account (`ForbiddenException: No access`), which looks like a permissions problem.

    ## How to fix
    Write the 12 digits in the line the finding names (restored leading zeros are marked as a guess to
    check; removed dashes, spaces or quotes are exact):

        [profile dev]
        sso_account_id = 012345678901

    The AWS access portal shows the 12-digit id under each account name.

    ## Example
        ✗ SSO113 invalid-account-id: sso_account_id "12345678901" in profile "dev" (~/.aws/config) is not a 12-digit account id: it has 11 digits, not 12 (leading zeros lost?). Did you mean "012345678901"?
    """
    cfg = ctx.parsed_config()
    ok = lambda v: aws_values.judge_account_id(v).ok  # noqa: E731
    bad = list(_sites(cfg, ("sso_account_id",), suspect=lambda _k, v: not ok(v) and not _comment_only(v, ok)))
    for group in _group(bad, lambda s: s.value):
        first = _representative(group)
        verdict = aws_values.judge_account_id(aws_values.strip_inline_comment(first.value) or first.value)
        message = (f"sso_account_id {_shown(first.value)} in {_who(group)} ({ctx.show_path(first.path)}) is not a "
                   f"12-digit account id: {verdict.reason}.")
        if verdict.suggestion:
            message += f' Did you mean "{verdict.suggestion}"?'
        yield invalid_account_id.finding(
            message,
            fix("Set sso_account_id to the 12-digit account id, digits only.",
                # dashes, quotes or spaces removed leave the id as written; restored zeros are a guess
                *_set_commands(ctx, group, "sso_account_id", verdict.suggestion, "<12-digit account id>",
                               certain=verdict.suggestion is not None
                               and verdict.suggestion == "".join(c for c in first.value if c.isdigit()))),
            subject=first.name,
            location=first.location(),
            evidence={"value": first.value, "profiles": len(group)},
        )


# --- SSO114 -------------------------------------------------------------------------------------------


class _SsoPair(NamedTuple):
    """A start URL and the sso_region it is used with, wherever each of them is written."""

    start: _Site
    region: _Site
    users: tuple[str, ...]  # SSO profiles that end up with this pair


def _sso_pairs(cfg: AwsConfig) -> list[_SsoPair]:
    """Each (start URL, sso_region) combination in the config: every sso-session's own, and every SSO
    profile's after botocore copies its sso-session's keys onto it. Deduplicated by where the two
    values are written."""
    config_path = cfg.config.path
    owners = {s.section.header: ("sso-session", s.name) for s in cfg.sso_sessions.values()}
    pairs: dict[tuple, tuple[_Site, _Site]] = {}
    users: dict[tuple, list[str]] = {}

    def site(v: Value, profile: str) -> _Site:
        kind, name = owners.get(v.section, ("profile", profile)) if v.path == config_path else ("profile", profile)
        return _Site(kind, name, v.key, v.value, v.path, v.line, v.section, v.path == config_path)

    candidates: list[tuple[Mapping[str, Value], str | None]] = [
        (s.values, None)
        for s in cfg.sso_sessions.values()
    ]
    candidates += [(resolve_sso(p, cfg.sso_sessions).values, p.name) for p in cfg.profiles.values() if p.has_sso_keys]
    for values, profile in candidates:
        start, region = values.get("sso_start_url"), values.get("sso_region")
        if start is None or region is None or not isinstance(start.value, str) or not isinstance(region.value, str):
            continue
        k = (start.path, start.line, region.path, region.line)
        if k not in pairs:
            pairs[k] = (site(start, profile or ""), site(region, profile or ""))
            users[k] = []
        if profile is not None:
            users[k].append(profile)
    return [_SsoPair(a, b, tuple(users[k])) for k, (a, b) in pairs.items()]


@rule("SSO114", "start-url-region-mismatch", Severity.ERROR, needs=("config",), requires=("parsed_config",))
def start_url_region_mismatch(ctx: Context) -> Iterator[Finding]:
    """The start URL names a region or partition that contradicts `sso_region`.

    ## What it checks
    For every `[sso-session]` and every SSO profile (after botocore copies the sso-session's keys
    onto it), compares the start URL with `sso_region`:
    * `https://ssoins-….portal.<region>.app.aws` names its region exactly;
    * `*.awsapps.cn` and `identitycenter.amazonaws.com.cn` are AWS China (`cn-north-1`, `cn-northwest-1`);
    * `start.us-gov-home.awsapps.com` and `identitycenter.us-gov.amazonaws.com` are AWS GovCloud (US);
    * `*.portal.amazonaws.eu` and `identitycenter.amazonaws.eu` are the AWS European Sovereign Cloud.
    An `https://d-xxxxxxxxxx.awsapps.com/start` URL does not say its region, so it is never flagged.
    Only valid regions are compared (an invalid `sso_region` is SSO112's finding).

    ## Why it matters
    The CLI talks to the OIDC and portal endpoints of `sso_region`. An Identity Center instance exists
    in one region only, so the other region does not know your start URL: login fails (`InvalidRequest`
    or `invalid_grant`), and a partition mismatch cannot even reach the right cloud.

    ## How to fix
    Write the region the start URL names in the `sso_region` line the finding names:

        [sso-session acme]
        sso_region = eu-west-1

    In an `[sso-session]`, edit its `sso_region` line to the region the finding names.

    ## Example
        ✗ SSO114 start-url-region-mismatch: sso-session "acme" uses start URL "https://ssoins-7223a7e1e5dd8e8b.portal.eu-west-1.app.aws" with sso_region "us-east-1", but the host ssoins-7223a7e1e5dd8e8b.portal.eu-west-1.app.aws names the region eu-west-1.
    """
    cfg = ctx.parsed_config()
    mismatches: list[tuple[_SsoPair, aws_values.StartUrlHome, str]] = []
    for pair in _sso_pairs(cfg):
        home = aws_values.start_url_home(aws_values.strip_inline_comment(pair.start.value))
        if home is None:
            continue
        region = aws_values.strip_inline_comment(pair.region.value)
        if aws_values.judge_region(region).status != "valid":
            continue
        part = aws_values.partition_of(region)
        if home.region is not None:
            if region != home.region:
                mismatches.append((pair, home, home.region))
        elif part is None or part.id != home.partition:
            target = aws_values.partition_by_id(home.partition)
            mismatches.append((pair, home, " or ".join(sorted(target.regions)) if target else home.partition))
    groups: dict[tuple, list[tuple[_SsoPair, aws_values.StartUrlHome, str]]] = {}
    for m in mismatches:
        groups.setdefault((m[0].start.value, m[0].region.value), []).append(m)
    for items in sorted(groups.values(), key=lambda g: min(i[0].region.order for i in g)):
        items.sort(key=lambda i: i[0].region.order)
        pair, home, wanted = items[0]
        region_sites = [i[0].region for i in items]
        users = list(dict.fromkeys(u for i in items for u in i[0].users))
        who = _who(region_sites)
        used_by = f" (used by profile{'s' if len(users) > 1 else ''} {name_list(users)})" if users and any(
            s.kind == "sso-session" for s in region_sites) else ""
        one = home.region
        message = (f"{who}{used_by} uses start URL {_shown(pair.start.value)} with sso_region "
                   f"{_shown(pair.region.value)}, but {home.reason}: set sso_region to "
                   f"{one if one else 'a region of ' + home.partition + ' (' + wanted + ')'}.")
        yield start_url_region_mismatch.finding(
            message,
            fix(f"Set sso_region to {one or 'the ' + home.partition + ' region your instance lives in'}.",
                *_set_commands(ctx, region_sites, "sso_region", one, f"<{home.partition} region: {wanted}>")),
            subject=pair.region.name,
            location=pair.region.location(),
            evidence={"sso_start_url": pair.start.value, "sso_region": pair.region.value},
        )


# --- SSO115 -------------------------------------------------------------------------------------------


@rule("SSO115", "inline-comment-in-value", Severity.WARNING, needs=("config",), requires=("parsed_config",))
def inline_comment_in_value(ctx: Context) -> Iterator[Finding]:
    """A value carries an inline comment, which botocore keeps as part of the value.

    ## What it checks
    Every value of every profile, `[sso-session]` and `[services]` section in the config file and of
    every profile in the credentials file (nested `key =` blocks included; sections botocore drops are
    SSO103's), for ` #` or ` ;`
    (whitespace before `#` or `;`). It is an error for `region`, `sso_region`, `sso_start_url`,
    `sso_account_id` and `endpoint_url`, whose values must be exact; a warning for other keys.

    When such a value is valid once the comment is removed (`region = us-east-1 # prod`), this rule is
    the only one to report it. When the part before the comment is wrong too, SSO111/SSO112/SSO113
    report that as well. Identical values in many profiles give one finding.

    ## Why it matters
    botocore reads the files with configparser without inline-comment support:
    `region = us-east-1 # prod` is the region `us-east-1 # prod`, and botocore raises `Provided
    region_name 'us-east-1 # prod' doesn't match a supported format`; a start URL or account id with a
    comment is sent to AWS as is. Only lines that *start* with `#` or `;` are comments. Values of
    secret keys (`aws_secret_access_key`, session tokens) are never shown in the finding.

    ## How to fix
    Move the comment to its own line above the key:

        # prod
        region = us-east-1

    The finding's edit rewrites each such line without the comment (the comment text is dropped).

    ## Example
        ✗ SSO115 inline-comment-in-value: region "us-east-1 # prod" in profiles "dev", "prod" and 3 more (~/.aws/config) ends with an inline comment that botocore keeps as part of the value.
    """
    cfg = ctx.parsed_config()
    hits: list[_Site] = []
    config_path = cfg.config.path
    # The sections botocore uses, from the merged view (no second shlex pass over every header).
    sections: list[tuple[Path, Section, str, str]] = []
    for p in cfg.profiles.values():
        if p.config_section is not None:
            sections.append((cfg.config.path, p.config_section, "profile", p.name))
        if p.credentials_section is not None:
            sections.append((cfg.credentials.path, p.credentials_section, "profile", p.name))
    sections += [(s.path, s.section, "sso-session", s.name) for s in cfg.sso_sessions.values()]
    sections += [(cfg.config.path, sec, "services", name) for name, sec in cfg.services.items()]
    has_comment = aws_values.has_inline_comment
    for path, section, kind, name in sections:
        for key, entry in section.entries.items():
            v = entry.value
            if type(v) is str:  # the common case, tested without a call: 15,000 values in a big config
                if not ("#" in v or ";" in v) or not has_comment(v):
                    continue
                value = v
            else:  # a nested block: the first of its values with a comment
                found = next((x for x in v.values() if has_comment(x)), None)
                if found is None:
                    continue
                value = found
            hits.append(_Site(kind, name, key, value, path, entry.line, section.header, path == config_path))
    for group in _group(hits, lambda s: (s.key, s.value)):
        first = _representative(group)
        strict = first.key in _STRICT_KEYS
        secret = first.key in _SECRET_KEYS
        head = aws_values.strip_inline_comment(first.value)
        shown = "" if secret else f" {_shown(first.value)}"
        who = _who([s for s in group if s.kind != "services"]) or (
            f"[services {first.name}]" if first.kind == "services" else first.name)
        message = (f"{first.key}{shown} in {who} ({ctx.show_path(first.path)}) ends with an inline comment that "
                   "botocore keeps as part of the value")
        message += (f"; AWS receives {_shown(first.value)} instead of {_shown(head)}." if strict and not secret
                    else ".")
        nested = [g for g in group if g.kind == "services" or _is_nested(cfg, g)]
        if head and not nested and not secret:
            # the value without its comment is what the line meant; the comment itself is dropped
            # (never for a secret: an edit would carry its value)
            commands = _set_commands(ctx, group, first.key, head, "<value without the comment>")
        else:
            commands = [manual(f"edit {_lines(ctx, group)}: move the comment to its own line above {first.key}")]
        yield inline_comment_in_value.finding(
            message,
            fix("Move the comment to its own line; only lines that start with # or ; are comments.", *commands),
            severity=Severity.ERROR if strict else Severity.WARNING,
            subject=first.name,
            location=first.location(),
            evidence={} if secret else {"value": first.value, "profiles": len(group)},
        )


def _is_nested(cfg: AwsConfig, site: _Site) -> bool:
    """True when the site's key holds an indented block (its value is one line of it)."""
    for f in (cfg.config, cfg.credentials):
        if f.path == site.path and f.ok:
            sec = f.section(site.section)
            entry = sec.entries.get(site.key) if sec is not None else None
            return entry is not None and not isinstance(entry.value, str)
    return False


# --- SSO119 -------------------------------------------------------------------------------------------

# botocore client name -> the `[services X]` key botocore looks up (the snake-cased service id).
_SSO_CLIENTS = {"sso": "sso", "sso-oidc": "sso_oidc", "sts": "sts"}
_WHAT = {"sso": "the SSO portal API", "sso-oidc": "the SSO OIDC (login and token refresh) API", "sts": "STS"}


def _env_var(client: str) -> str:
    return "AWS_ENDPOINT_URL_" + _SSO_CLIENTS[client].upper()


def ignores_configured_endpoints(profile: Profile, env: Mapping[str, str]) -> bool:
    """botocore's `ignore_configured_endpoint_urls`: the environment variable when present (even
    empty), else the profile key; 'true' in any case means true."""
    from botocore.utils import ensure_boolean

    if "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" in env:
        return ensure_boolean(env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"])
    raw = profile.values.get("ignore_configured_endpoint_urls")
    return ensure_boolean(raw.value) if raw is not None else False


def _services_entry(cfg: AwsConfig, scoped: Mapping[str, object], service_key: str):
    """(section, entry) of `service_key` in the [services X] section the profile names, if nested."""
    name = scoped.get("services")
    section = cfg.services.get(name) if isinstance(name, str) else None
    entry = section.entries.get(service_key) if section is not None else None
    if entry is None or not isinstance(entry.value, Mapping):
        return None
    return section, entry


class _Override(NamedTuple):
    source: str  # "env-service", "env-global", "services", "services-missing", "endpoint_url"
    client: str
    url: str | None
    profile: str
    path: Path | None = None
    line: int | None = None
    section: str | None = None
    key: str | None = None
    env_var: str | None = None


def endpoint_overrides(cfg: AwsConfig, env: Mapping[str, str]) -> list[_Override]:
    """For every SSO profile and each of sso, sso-oidc and sts: the configured endpoint botocore would
    use, and where it comes from. The URL is botocore's own answer (ConfiguredEndpointProvider); the
    source is found in botocore's lookup order (service env var, AWS_ENDPOINT_URL, the profile's
    [services] section, the profile's endpoint_url)."""
    # Without any source of a configured endpoint there is nothing for botocore to resolve; skipping
    # it keeps botocore.configprovider (and urllib3 behind it, ~0.1 s) off the default offline path.
    if not any(k.startswith("AWS_ENDPOINT_URL") and v for k, v in env.items()) and not any(
            p.has("endpoint_url") or p.has("services") for p in cfg.profiles.values()):
        return []
    from botocore.configprovider import ConfiguredEndpointProvider
    from botocore.exceptions import InvalidConfigError

    full = None
    out: list[_Override] = []
    for p in cfg.profiles.values():
        if not p.has_sso_keys or ignores_configured_endpoints(p, env):
            continue
        scoped = {k: v.value for k, v in p.values.items()}
        has_env = any(env.get(_env_var(c)) for c in _SSO_CLIENTS) or env.get("AWS_ENDPOINT_URL")
        if not has_env and "services" not in scoped and "endpoint_url" not in scoped:
            continue  # the common case, kept cheap for configs with thousands of profiles
        if full is None:
            full = cfg.profile_map()
        for client, service_key in _SSO_CLIENTS.items():
            provider = ConfiguredEndpointProvider(full, scoped, client, environ=env)
            try:
                url = provider.provide()
            except InvalidConfigError:
                v = p.values["services"]
                out.append(_Override("services-missing", client, None, p.name, v.path, v.line, v.section,
                                     "services"))
                break  # the same error for every client: report it once per profile
            if not url:
                continue
            if env.get(_env_var(client)):
                out.append(_Override("env-service", client, url, p.name, env_var=_env_var(client)))
            elif env.get("AWS_ENDPOINT_URL"):
                out.append(_Override("env-global", client, url, p.name, env_var="AWS_ENDPOINT_URL"))
            elif (entry := _services_entry(cfg, scoped, service_key)) is not None and \
                    entry[1].value.get("endpoint_url") == url:
                section, e = entry
                out.append(_Override("services", client, url, p.name, cfg.config.path, e.line, section.header,
                                     service_key))
            else:
                v = p.values.get("endpoint_url")
                out.append(_Override("endpoint_url", client, url, p.name, v.path if v else None,
                                     v.line if v else None, v.section if v else None, "endpoint_url"))
    return out


@rule("SSO119", "endpoint-override", Severity.WARNING, needs=("config", "env"), requires=("parsed_config",))
def endpoint_override(ctx: Context) -> Iterator[Finding]:
    """An endpoint override redirects the SSO portal, OIDC or STS calls.

    ## What it checks
    For every profile with SSO keys, asks botocore's own `ConfiguredEndpointProvider` which endpoint the
    `sso`, `sso-oidc` and `sts` clients of that profile would use, and reports where an override
    comes from, in botocore's order: `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL_SSO_OIDC` /
    `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then the profile's `services = X` reference (keys
    `sso`, `sso_oidc` and `sts` with an `endpoint_url` in `[services X]`; botocore ignores `sso-oidc`
    spelled with a dash), then the profile's own `endpoint_url`. Nothing is reported for a profile
    when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`, or when that variable is absent and the
    profile sets `ignore_configured_endpoint_urls = true` (botocore's rule: the variable, when set,
    decides). A `services = X` reference without a `[services X]` section is an error: botocore
    raises `InvalidConfigError` for every client of that profile, the SSO login included.

    ## Why it matters
    botocore's SSO credential provider and token refresh use these overrides too, so the login and
    every credential request go to that URL instead of AWS: typically a LocalStack or moto emulator
    left over from testing, which answers with errors or fake credentials.

    ## How to fix
        unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SSO AWS_ENDPOINT_URL_SSO_OIDC AWS_ENDPOINT_URL_STS

    and remove the `endpoint_url` / `services` line from the profile, or set
    `export AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` for a shell that must reach real AWS.

    ## Example
        ! SSO119 endpoint-override: AWS_ENDPOINT_URL=http://localhost:4566 sends the SSO portal API, the SSO OIDC (login and token refresh) API and STS calls of profile "dev" to http://localhost:4566 instead of AWS.
    """
    cfg = ctx.parsed_config()
    overrides = endpoint_overrides(cfg, ctx.env)
    groups: dict[tuple, list[_Override]] = {}
    for o in overrides:
        # one finding per variable, per [services] block, per endpoint_url value (naming every profile)
        where = o.env_var if o.source.startswith("env") else o.section if o.source == "services" else None
        if o.source == "services-missing":
            where = cfg.profiles[o.profile].get("services")
        groups.setdefault((o.source, where, o.url), []).append(o)
    for (source, _where, url), items in groups.items():
        profiles = list(dict.fromkeys(o.profile for o in items))
        clients = [_WHAT[c] for c in _SSO_CLIENTS if any(o.client == c for o in items)]
        first = min(items, key=lambda o: o.profile)
        who = f"profile{'s' if len(profiles) > 1 else ''} {name_list(profiles)}"
        calls = name_list(clients, quote=False)
        if source == "services-missing":
            name = cfg.profiles[first.profile].get("services") or ""
            yield endpoint_override.finding(
                f"{who} {'set' if len(profiles) > 1 else 'sets'} services = {name} but {ctx.show_path(cfg.config.path)} has no [services {name}] "
                "section: botocore raises InvalidConfigError for every client of "
                f"{'these profiles' if len(profiles) > 1 else 'this profile'}, the SSO login included.",
                fix("Remove the services line, or add the [services] section it names.",
                    *(Edit(str(o.path), "delete", o.section, "services", old=name) for o in
                      {(o.path, o.section): o for o in items if o.path and o.section}.values())),
                severity=Severity.ERROR,
                subject=first.profile,
                location=Location(path=str(first.path), line=first.line, section=first.section, key="services"),
            )
            continue
        if source.startswith("env"):
            message = (f"{first.env_var}={url} sends {calls} calls of {who} to {url} instead of AWS "
                       "(a local emulator left over?).")
            commands: list = [f"unset {first.env_var}"]
            location = Location(env_var=first.env_var)
        elif source == "services":
            message = (f"[services {first.section.split(None, 1)[-1] if first.section else ''}] in "
                       f"{ctx.show_path(first.path)} sends {calls} calls of {who} to {url} instead of AWS.")
            # the block that redirects the SSO clients goes; the services line may serve other clients
            commands = [Edit(str(o.path), "delete", o.section, o.key) for o in
                        {(o.section, o.key): o for o in items if o.path and o.section and o.key}.values()]
            location = Location(path=str(first.path), line=first.line, section=first.section, key=first.key)
        else:
            message = (f"endpoint_url = {url} in {who} ({ctx.show_path(first.path)}) sends {calls} calls to "
                       f"{url} instead of AWS.")
            sites = {(str(o.path), o.section): o for o in items if o.path and o.section}
            commands = [Edit(path, "delete", section, "endpoint_url", old=url) for (path, section) in sorted(
                sites, key=lambda k: (k[0], sites[k].line or 0))]
            location = Location(path=str(first.path), line=first.line, section=first.section, key="endpoint_url")
        commands.append(manual("export AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true   # to keep the override but "
                               "ignore it in this shell"))
        yield endpoint_override.finding(
            message,
            fix("Remove the endpoint override so SSO login and credentials go to AWS.", *commands),
            subject=first.profile,
            location=location,
            evidence={"endpoint": url or "", "profiles": len(profiles)},
        )


# --- SSO121 -------------------------------------------------------------------------------------------


@rule("SSO121", "missing-region", Severity.INFO, needs=("config", "env"), requires=("parsed_config", "sso_profile"))
def missing_region(ctx: Context) -> Iterator[Finding]:
    """A selected SSO profile has no default region.

    ## What it checks
    Each selected profile with SSO keys must have a `region` key (in the config or credentials file),
    unless `AWS_DEFAULT_REGION` or `AWS_REGION` is set in the
    environment. botocore reads only `AWS_DEFAULT_REGION`; the AWS CLI v2 reads `AWS_REGION` first. We
    accept either, so the rule stays quiet whenever some tool has a region; SSO309 reports an
    `AWS_REGION` that boto3 ignores. An empty `region =` counts as set here and is SSO112's finding.

    ## Why it matters
    `sso_region` is only where IAM Identity Center lives; it is not the region your commands use.
    Without `region`, login and credentials work, but regional calls fail with `You must specify a
    region` (CLI) or `NoRegionError` (SDKs).

    ## How to fix
    Add the region your commands should use to the profile (the finding offers the Identity Center
    region as a guess to check):

        [profile dev]
        region = eu-west-1

    ## Example
        ℹ SSO121 missing-region: Profile "dev" has no region and none is set in the environment; regional commands will fail with "You must specify a region".
    """
    cfg = ctx.parsed_config()
    if ctx.env.get("AWS_DEFAULT_REGION") or ctx.env.get("AWS_REGION"):
        return
    missing = [p for p in ctx.selected_profiles() if p.has_sso_keys and not p.has("region")]
    if not missing:
        return
    names = [p.name for p in missing]
    first = min(missing, key=lambda p: p.name)
    section = first.config_section or first.credentials_section
    path = cfg.config.path if first.config_section else cfg.credentials.path
    # The region commands should use is the user's call: the Identity Center region is a guess, not a rule
    commands: list = []
    for p in missing:
        sec = p.config_section or p.credentials_section
        if sec is None:
            continue
        where = cfg.config.path if p.config_section is not None else cfg.credentials.path
        guess = resolve_sso(p, cfg.sso_sessions).region
        commands.append(Edit(str(where), "set", sec.header, "region", new=guess or "<region>", safe=False))
    yield missing_region.finding(
        f"{'Profile' if len(names) == 1 else 'Profiles'} {name_list(names)} "
        f"{'has' if len(names) == 1 else 'have'} no region and neither AWS_DEFAULT_REGION nor AWS_REGION is set; "
        f"regional commands will fail with \"You must specify a region\".",
        fix("Give the profile a default region.", *commands),
        subject=first.name,
        location=Location(path=str(path), line=section.line if section else None,
                          section=section.header if section else None),
    )


# --- SSO122 -------------------------------------------------------------------------------------------

_ACCOUNT_SCOPE = "sso:account:access"


def registration_scopes(raw: str) -> list[str]:
    """The AWS CLI's parse_sso_registration_scopes: comma-separated, blanks dropped."""
    return [s.strip() for s in raw.split(",") if s.strip()]


@rule("SSO122", "missing-registration-scopes", Severity.INFO, needs=("config",), requires=("parsed_config",))
def missing_registration_scopes(ctx: Context) -> Iterator[Finding]:
    """An `[sso-session]` does not ask for the `sso:account:access` scope.

    ## What it checks
    Every `[sso-session]` should have `sso_registration_scopes` whose comma-separated list (split
    as the AWS CLI splits it) contains `sso:account:access`. Sessions with no such key and sessions
    whose list lacks the scope are reported, one finding per cause.

    ## Why it matters
    `aws sso login` registers its OIDC client with exactly the scopes listed here, none when the key is
    absent. `sso:account:access` is the scope for the AWS access portal (listing accounts and roles,
    getting role credentials); `aws configure sso` writes it by default. Without it the session relies
    on Identity Center's defaults instead of an explicit grant, and a list that names other scopes only
    can leave the token unable to get role credentials.

    ## How to fix
    Add the line to the `[sso-session]` section, then log in again:

        sso_registration_scopes = sso:account:access
        aws sso login --sso-session acme

    ## Example
        ℹ SSO122 missing-registration-scopes: sso-session "acme" (~/.aws/config) has no sso_registration_scopes; add sso_registration_scopes = sso:account:access.
    """
    cfg = ctx.parsed_config()
    absent: list[_Site] = []
    lacking: list[_Site] = []
    for s in cfg.sso_sessions.values():
        raw = s.values.get("sso_registration_scopes")
        if raw is None or not isinstance(raw.value, str):
            absent.append(_Site("sso-session", s.name, "sso_registration_scopes", "", s.path, s.section.line,
                                s.section.header, True))
        elif _ACCOUNT_SCOPE not in registration_scopes(raw.value):
            lacking.append(_Site("sso-session", s.name, "sso_registration_scopes", raw.value, s.path, raw.line,
                                 s.section.header, True))
    for group, problem in ((absent, "has no sso_registration_scopes"),
                           (lacking, f"has sso_registration_scopes without {_ACCOUNT_SCOPE}")):
        if not group:
            continue
        group.sort(key=lambda s: s.order)
        first = _representative(group)
        # the scope added to what each session lists: exact
        commands: list = [Edit(str(s.path), "set", s.section, "sso_registration_scopes",
                               old=s.value or None,
                               new=f"{s.value}, {_ACCOUNT_SCOPE}" if s.value else _ACCOUNT_SCOPE)
                          for s in group]
        commands += [ctx.login_command(sso_session=s.name) for s in group[:_MAX_LOGIN_COMMANDS]]
        yield missing_registration_scopes.finding(
            f"{_who(group)} ({ctx.show_path(first.path)}) {problem}; add {_ACCOUNT_SCOPE} so the login token is "
            "explicitly granted access to your accounts.",
            fix(f"Add {_ACCOUNT_SCOPE} to sso_registration_scopes and log in again.", *commands),
            subject=first.name,
            location=Location(path=str(first.path), line=first.line, section=first.section,
                              key="sso_registration_scopes" if first.value else None),
        )


RULES: tuple[Rule, ...] = (
    invalid_start_url,
    invalid_region,
    invalid_account_id,
    start_url_region_mismatch,
    inline_comment_in_value,
    endpoint_override,
    missing_region,
    missing_registration_scopes,
)

__all__ = ["RULES", "endpoint_overrides", "ignores_configured_endpoints", "registration_scopes"]
