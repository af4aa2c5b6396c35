"""SSO6xx: access checks with the cached token (online; the token goes only to the AWS portal endpoint).

Every rule reads the same results (`ctx.online.access_results()`): for each selected SSO profile whose
cached token is usable (present, not expired — never refreshed), botocore's own `sso` client calls
ListAccounts, ListAccountRoles and GetRoleCredentials, and its `sts` client calls GetCallerIdentity
with the role credentials, which stay in memory.
"""

from __future__ import annotations

import difflib
import shlex
from collections import defaultdict
from collections.abc import Iterator

from sso_doctor.context import Context
from sso_doctor.model import Finding, Location, Rule, Severity, SkipRule, fix, manual, rule
from sso_doctor.text import name_list

NEEDS = ("config", "token_cache", "api")
THROTTLED = frozenset({"TooManyRequestsException", "Throttling", "ThrottlingException", "RequestLimitExceeded",
                       "SlowDown", "TooManyRequests"})
_CALLS = (("list_accounts", "ListAccounts"), ("list_roles", "ListAccountRoles"),
          ("role_credentials", "GetRoleCredentials"), ("caller_identity", "GetCallerIdentity"))


def _checked(ctx: Context) -> list:
    """Access results of the selected profiles that had a usable token, or SkipRule saying why none did."""
    results = ctx.online.access_results()
    usable = [a for a in results if a.usable and a.account_id and a.role_name]
    if not usable:
        states = sorted({f'profile "{a.profile}": token {a.token}' for a in results})
        raise SkipRule("no selected SSO profile has a usable cached token"
                       + (f" ({'; '.join(states[:5])})" if states else ""))
    return usable


def _unfinished(items: list, attr: str) -> str | None:
    """Why `attr` is unknown for these profiles (still running at the cut-off, or the network failed)."""
    for a in items:
        for field, api in _CALLS:
            call = getattr(a, field)
            # ReadTimeoutError: the read timeout is the budget, and a drip is cut off at the deadline
            if call.state == "pending" or (call.state == "network" and call.code == "ReadTimeoutError"):
                return f'{api} for profile "{a.profile}" did not answer within the time budget (--timeout)'
            if call.state == "network" and call.code == "ResponseTooLarge":
                return f'{api} for profile "{a.profile}" got an answer too large to read: {call.message}'
            if call.state == "network":
                return f'{api} for profile "{a.profile}" could not reach its endpoint ({call.code}; see SSO5xx)'
            if field == attr:
                break
    return None


def _conclusive(ctx: Context, attr: str) -> list:
    """Profiles for which `attr` is known; SkipRule (with the reason) when it is known for none."""
    usable = _checked(ctx)
    done = [a for a in usable if getattr(a, attr).done and getattr(a, attr).state != "network"]
    if not done:
        reached = [a for a in usable if getattr(a, attr).state == "not-run"]
        reason = _unfinished(usable, attr)
        if reason is None and reached:
            raise SkipRule("an earlier step stopped every check before this one (see the other SSO6xx findings)")
        raise SkipRule(reason or "no profile got this far")
    return done


def _answered(ctx: Context, attr: str) -> list:
    """Profiles for which `attr` succeeded. When it failed for all of them with an error no SSO6xx rule
    explains (a redirect, a 5xx, a malformed answer), the rule did not run: SkipRule says why."""
    done = _conclusive(ctx, attr)
    ok = [a for a in done if getattr(a, attr).state == "ok"]
    if done and not ok:
        a = done[0]
        call = getattr(a, attr)
        api = dict(_CALLS)[attr]
        raise SkipRule(f'{api} for profile "{a.profile}" failed: {call.code}'
                       + (f' "{call.message}"' if call.message else ""))
    return ok


def _location(ctx: Context, profile: str, key: str) -> Location:
    for sso in ctx.selected_sso():
        if sso.profile.name == profile:
            v = sso.values.get(key)
            if v is not None:
                return Location(path=str(v.path), line=v.line, section=v.section, key=key)
    return Location()


def by_closeness(name: str, candidates: list[str]) -> list[str]:
    """All candidates, the most similar to `name` first (case-insensitive); ties keep their order."""
    scored = [(-difflib.SequenceMatcher(None, name.lower(), c.lower()).ratio(), i, c) for i, c in enumerate(candidates)]
    return [c for _, _, c in sorted(scored)]


def _q(value: str) -> str:
    return shlex.quote(value)


@rule("SSO601", "token-rejected", Severity.ERROR, needs=NEEDS, requires=("parsed_config", "sso_profile", "connection"))
def token_rejected(ctx: Context) -> Iterator[Finding]:
    """The portal rejects the cached SSO token although it has not expired (revoked server-side).

    ## What it checks
    For each selected SSO profile whose cached token is present and not expired, the portal's
    `ListAccounts` is called with it (botocore's `sso` client, to the portal endpoint botocore resolves).
    This rule fires when the portal answers `UnauthorizedException` ("Session token not found or
    invalid"). The token is read with botocore's own loader; it is never refreshed or rewritten.

    ## Why it matters
    The token looks valid locally, so botocore keeps using it and every SSO command fails with
    `UnauthorizedException` until a new login. Typical causes: the user signed out of the access portal,
    an administrator revoked the session, or the session duration set in Identity Center ran out.

    ## How to fix
        aws sso logout && aws sso login --profile dev

    ## Example
        ✗ SSO601 token-rejected  ~/.aws/sso/cache/0c9f...json
          The portal rejects the cached token of sso-session "corp" (profile "dev") although it expires
          at 2026-11-26T20:00:00Z: UnauthorizedException "Session token not found or invalid".
    """
    groups: dict[str, list] = defaultdict(list)
    for a in _conclusive(ctx, "list_accounts"):
        if a.list_accounts.state == "error" and a.list_accounts.code == "UnauthorizedException":
            groups[a.session_name or a.profile].append(a)
    for key, items in groups.items():
        a = items[0]
        profiles = [x.profile for x in items]
        whose = f'sso-session "{a.session_name}"' if a.session_name else f'profile "{a.profile}"'
        word = "profile" if len(profiles) == 1 else "profiles"
        yield token_rejected.finding(
            f"The portal rejects the cached token of {whose} ({word} {name_list(profiles)}) although it "
            f'{a.token_detail}: {a.list_accounts.code} '
            f'"{a.list_accounts.message}".',
            fix("Sign out and log in again.", "aws sso logout", ctx.login_command(profile=a.profile)),
            subject=key, location=Location(path=a.cache_file) if a.cache_file else None,
            evidence={"code": a.list_accounts.code, "http_status": a.list_accounts.status},
        )


@rule("SSO602", "account-not-assigned", Severity.ERROR, needs=NEEDS,
      requires=("parsed_config", "sso_profile", "connection"))
def account_not_assigned(ctx: Context) -> Iterator[Finding]:
    """The profile's `sso_account_id` is not among the accounts the signed-in user can access.

    ## What it checks
    With the cached token, the portal's `ListAccounts` (all pages) gives the accounts this user has an
    assignment in. This rule fires when the profile's `sso_account_id` is not one of them, and lists
    the accounts the user does have (id and name), the closest to the configured id first.

    ## Why it matters
    botocore asks for role credentials in that account and gets `ForbiddenException: No access`, which
    does not say the account id is the problem (a typo, a copy from a colleague's config, or an
    assignment that was removed).

    ## How to fix
        aws configure set sso_account_id 111111111111 --profile dev

    with one of the listed account ids, or ask an administrator for an assignment in that account.

    ## Example
        ✗ SSO602 account-not-assigned  ~/.aws/config:3 [profile dev] sso_account_id
          Profile "dev" uses account 111111111112, which its user cannot access; the user has
          111111111111 (dev), 222222222222 (prod).
    """
    for a in _answered(ctx, "list_accounts"):
        if a.list_accounts.state != "ok" or a.accounts is None:
            continue
        ids = [i for i, _ in a.accounts]
        if a.account_id in ids:
            continue
        names = dict(a.accounts)
        ordered = by_closeness(a.account_id, ids)
        shown = [f"{i} ({names[i]})" if names.get(i) else i for i in ordered]
        if shown:
            have = f"the user has {name_list(shown, limit=8, quote=False)}"
            commands = [manual(f"aws configure set sso_account_id {ordered[0]} --profile {_q(a.profile)}"),
                        manual(f"or ask an administrator to assign you a permission set in account {a.account_id}")]
        else:
            have = "the user has no account assignment at all"
            commands = [manual(f"ask an administrator to assign you a permission set in account {a.account_id}")]
        yield account_not_assigned.finding(
            f'Profile "{a.profile}" uses account {a.account_id}, which its user cannot access; {have}.',
            fix("Use an account you are assigned to, or get an assignment in this one.", *commands),
            subject=a.profile, location=_location(ctx, a.profile, "sso_account_id"),
            evidence={"accounts": list(shown)},
        )


@rule("SSO603", "role-not-assigned", Severity.ERROR, needs=NEEDS,
      requires=("parsed_config", "sso_profile", "connection"))
def role_not_assigned(ctx: Context) -> Iterator[Finding]:
    """The profile's `sso_role_name` is not a role the user has in that account.

    ## What it checks
    With the cached token, the portal's `ListAccountRoles` (all pages) for the profile's account gives
    the permission sets this user can use there. This rule fires when `sso_role_name` is not one of
    them (the comparison is exact: role names are case-sensitive), and lists the roles the user does
    have there, the closest to the configured name first.

    ## Why it matters
    botocore fails with `ForbiddenException: No access` — the most common SSO ticket — without saying
    that the role name is wrong (a typo, `ReadOnly` vs `ReadOnlyAccess`, a permission set that was
    renamed or not assigned to this user).

    ## How to fix
        aws configure set sso_role_name ReadOnlyAccess --profile dev

    with the listed role you meant, or request the permission set from an administrator.

    ## Example
        ✗ SSO603 role-not-assigned  ~/.aws/config:4 [profile dev] sso_role_name
          Profile "dev" asks for role "ReadOnly" in account 111111111111 (dev), which its user does not
          have there; the user has "ReadOnlyAccess", "PowerUser" and "Billing".
    """
    for a in _answered(ctx, "list_roles"):
        if a.list_roles.state != "ok" or a.roles is None or a.role_name in a.roles:
            continue
        ordered = by_closeness(a.role_name, list(a.roles))
        acct = a.account_id + (f" ({dict(a.accounts or ()).get(a.account_id)})"
                               if dict(a.accounts or ()).get(a.account_id) else "")
        if ordered:
            have = f"the user has {name_list(ordered, limit=8)}"
            f = fix(f'Use the role you meant (closest: "{ordered[0]}"), or request the permission set.',
                    f"aws configure set sso_role_name {_q(ordered[0])} --profile {_q(a.profile)}",
                    manual(f'or ask an administrator to assign you "{a.role_name}" in account {a.account_id}'))
        else:
            have = "the user has no role there"
            f = fix("Request the permission set.",
                    manual(f'ask an administrator to assign you "{a.role_name}" in account {a.account_id}'))
        yield role_not_assigned.finding(
            f'Profile "{a.profile}" asks for role "{a.role_name}" in account {acct}, which its user does not '
            f"have there; {have}.",
            f, subject=a.profile, location=_location(ctx, a.profile, "sso_role_name"),
            evidence={"roles": list(ordered)},
        )


@rule("SSO604", "role-credentials-denied", Severity.ERROR, needs=NEEDS,
      requires=("parsed_config", "sso_profile", "connection"))
def role_credentials_denied(ctx: Context) -> Iterator[Finding]:
    """The portal refuses role credentials for a role it lists for the user.

    ## What it checks
    When the profile's account and role are both listed for the user (SSO602 and SSO603 pass), the
    portal's `GetRoleCredentials` is called exactly as botocore's SSO credential provider calls it. This
    rule fires when that fails — typically `ForbiddenException` "No access" — for any reason other than
    rate limiting (SSO606) or the network (SSO5xx). The credentials, when they come, stay in memory.

    ## Why it matters
    The configuration is right and the assignment exists, yet nothing can get credentials: the
    permission set is not (or no longer) provisioned in the account, or the portal session is stale.

    ## How to fix
        aws sso logout && aws sso login --profile dev

    If it persists, an administrator re-provisions the permission set:
    `aws sso-admin provision-permission-set --instance-arn <arn> --permission-set-arn <arn>
    --target-id <account> --target-type AWS_ACCOUNT`.

    ## Example
        ✗ SSO604 role-credentials-denied  ~/.aws/config:4 [profile dev] sso_role_name
          The portal lists role "Admin" in account 111111111111 for profile "dev" but refuses its
          credentials: ForbiddenException "No access".
    """
    for a in _conclusive(ctx, "role_credentials"):
        call = a.role_credentials
        if call.state != "error" or call.code in THROTTLED:
            continue
        yield role_credentials_denied.finding(
            f'The portal lists role "{a.role_name}" in account {a.account_id} for profile "{a.profile}" but '
            f'refuses its credentials: {call.code} "{call.message}".',
            fix("Sign out of the access portal and log in again; if it persists, an administrator "
                "re-provisions the permission set.",
                "aws sso logout", ctx.login_command(profile=a.profile),
                manual("admin: aws sso-admin provision-permission-set --instance-arn <instance arn> "
                       f"--permission-set-arn <arn of {a.role_name}> --target-id {a.account_id} "
                       "--target-type AWS_ACCOUNT")),
            subject=a.profile, location=_location(ctx, a.profile, "sso_role_name"),
            evidence={"code": call.code, "http_status": call.status},
        )


@rule("SSO605", "caller-identity-mismatch", Severity.ERROR, needs=NEEDS,
      requires=("parsed_config", "sso_profile", "connection"))
def caller_identity_mismatch(ctx: Context) -> Iterator[Finding]:
    """STS GetCallerIdentity with the role credentials fails, or names another account.

    ## What it checks
    With the role credentials from GetRoleCredentials, STS `GetCallerIdentity` is called through the
    STS endpoint botocore resolves for the profile (its `region`, `AWS_ENDPOINT_URL_STS`, ...). This
    rule fires when the call fails (other than rate limiting or the network), or when the account it
    returns is not the profile's `sso_account_id`.

    ## Why it matters
    This is the first call every tool makes; failing here means the credentials are useless where the
    tools will use them (an opt-in region that is not enabled, a wrong STS endpoint override), and a
    different account means the profile is not pointing where its name says.

    ## How to fix
    For a failure in a disabled opt-in region, set a region that is enabled
    (`aws configure set region us-east-1 --profile dev`) or enable it; for an endpoint override,
    `unset AWS_ENDPOINT_URL_STS`; for another account, correct `sso_account_id`.

    ## Example
        ✗ SSO605 caller-identity-mismatch  ~/.aws/config:3 [profile dev] sso_account_id
          GetCallerIdentity with the role credentials of profile "dev" returns account 123456789012
          (arn:aws:sts::123456789012:assumed-role/Admin/jane), not 111111111111.
    """
    for a in _conclusive(ctx, "caller_identity"):
        call = a.caller_identity
        if call.state == "error" and call.code not in THROTTLED:
            yield caller_identity_mismatch.finding(
                f'GetCallerIdentity with the role credentials of profile "{a.profile}" fails: {call.code} '
                f'"{call.message}".',
                fix("Use an STS region and endpoint where these credentials are valid.",
                    f"aws configure set region us-east-1 --profile {_q(a.profile)}",
                    manual("or enable the profile's opt-in region, or unset AWS_ENDPOINT_URL_STS")),
                subject=a.profile, location=_location(ctx, a.profile, "region"),
                evidence={"code": call.code},
            )
        elif call.state == "ok" and a.caller_account and a.caller_account != a.account_id:
            yield caller_identity_mismatch.finding(
                f'GetCallerIdentity with the role credentials of profile "{a.profile}" returns account '
                f"{a.caller_account} ({a.caller_arn}), not {a.account_id}.",
                fix("Make the profile and its STS endpoint agree.",
                    manual(f"aws configure set sso_account_id {a.caller_account} --profile {_q(a.profile)}"),
                    manual("or unset an AWS_ENDPOINT_URL_STS / endpoint_url override that points elsewhere")),
                subject=a.profile, location=_location(ctx, a.profile, "sso_account_id"),
                evidence={"returned_account": a.caller_account, "arn": a.caller_arn},
            )


@rule("SSO606", "rate-limited", Severity.WARNING, needs=NEEDS, requires=("parsed_config", "sso_profile", "connection"))
def rate_limited(ctx: Context) -> Iterator[Finding]:
    """The portal or STS throttles this user (TooManyRequestsException).

    ## What it checks
    Any of the access calls (ListAccounts, ListAccountRoles, GetRoleCredentials, GetCallerIdentity)
    answered with a throttling error (`TooManyRequestsException`, `Throttling`). sso-doctor makes each
    call once, with no retries.

    ## Why it matters
    The portal's limits are per user; scripts that loop over many profiles, or many parallel jobs,
    exhaust them and then every login-backed command fails for a while — with an error that looks
    like an access problem.

    ## How to fix
        sleep 60 && sso-doctor check

    and reduce parallel SSO calls (reuse credentials, e.g. `aws configure export-credentials`).

    ## Example
        ! SSO606 rate-limited
          The portal throttles profile "dev": ListAccounts answered TooManyRequestsException "Rate
          exceeded".
    """
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for a in _checked(ctx):
        for field, api in _CALLS:
            call = getattr(a, field)
            if call.state == "error" and call.code in THROTTLED:
                groups[(api, call.code)].append((a, call))
                break
    if not groups and _unfinished(_checked(ctx), "caller_identity") and not any(
            getattr(a, f).done for a in _checked(ctx) for f, _ in _CALLS):
        raise SkipRule(_unfinished(_checked(ctx), "caller_identity") or "")
    for (api, code), items in groups.items():
        profiles = [a.profile for a, _ in items]
        where = "STS" if api == "GetCallerIdentity" else "The portal"
        word = "profile" if len(profiles) == 1 else "profiles"
        yield rate_limited.finding(
            f'{where} throttles {word} {name_list(profiles)}: {api} answered {code} "{items[0][1].message}".',
            fix("Wait a minute, then check again; run fewer SSO calls in parallel.", "sleep 60 && sso-doctor check"),
            subject=profiles[0], evidence={"api": api, "code": code},
        )


RULES: tuple[Rule, ...] = (token_rejected, account_not_assigned, role_not_assigned, role_credentials_denied,
                           caller_identity_mismatch, rate_limited)
