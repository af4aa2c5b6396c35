"""Administrator walks over IAM Identity Center: `discover` and `triage`.

Read-only: only List*/Describe*/Get* calls. Every list is paginated; throttling is absorbed by
botocore's adaptive retry mode (bounded attempts with backoff), never by a retry loop of ours.
boto3 is imported here only, so the offline `check` path never pays for it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sso_doctor.redact import Secrets
from sso_doctor.text import closest, shell_quote

# Bounded retries with backoff for TooManyRequests/Throttling; short connect, patient read.
RETRY_CONFIG = {"retries": {"mode": "adaptive", "max_attempts": 6}, "connect_timeout": 5, "read_timeout": 15}
# `--timeout` of discover and triage: the time budget for all their calls together, as for `check`.
DEFAULT_BUDGET = 30.0


class AdminError(Exception):
    """A call failed in a way the walk cannot go around (no credentials, access denied, endpoint down)."""


@dataclass(frozen=True)
class Instance:
    arn: str
    identity_store_id: str
    owner_account_id: str | None
    name: str | None = None

    @property
    def portal_url(self) -> str:
        # The default access portal URL; an alias or the ssoins- URL may also be in use.
        return f"https://{self.identity_store_id}.awsapps.com/start"


@dataclass(frozen=True)
class PermissionSet:
    arn: str
    name: str
    session_duration: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    status: str | None = None


@dataclass(frozen=True)
class User:
    id: str
    user_name: str
    display_name: str | None
    emails: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    id: str
    name: str


class ReadOnlySsoToken:
    """Stands in for botocore's SSOTokenProvider on the admin session: the cached token as `check` reads
    it (botocore's read-only SSOTokenLoader, via probes.portal.cached_token), never refreshed, never
    written. A token botocore would refresh now (inside its 15-minute window) is used as it is while it
    lasts and reported; an expired one stops the walk with the login command."""

    METHOD = "sso"

    def __init__(self, session: Any, profile_name: str, secrets: Secrets, notes: list[str]) -> None:
        self._session = session
        self._profile_name = profile_name
        self._secrets = secrets
        self._notes = notes

    def load_token(self, **kwargs: Any) -> Any:
        import datetime as dt

        from botocore.tokens import FrozenAuthToken

        from sso_doctor.loaders.token_cache import refresh_window_seconds
        from sso_doctor.probes import portal

        config = self._session.full_config
        profile = config.get("profiles", {}).get(self._profile_name, {})
        name = profile.get("sso_session")
        session = config.get("sso_sessions", {}).get(name, {}) if name else {}
        url = session.get("sso_start_url") or profile.get("sso_start_url") or ""
        login = f"aws sso login --sso-session {shell_quote(name)}" if name else (
            f"aws sso login --profile {shell_quote(self._profile_name)}")
        now = dt.datetime.now(dt.timezone.utc)
        token = portal.cached_token(sso_cache_dir(), url, name, now, self._secrets)
        if token.access is None:
            raise AdminError(f"the admin profile's SSO token is {token.state} ({token.detail}): run `{login}`. "
                             "sso-doctor never refreshes a token.")
        assert token.expires is not None
        left = (token.expires - now).total_seconds()
        if left < refresh_window_seconds():
            self._notes.append(
                f"the admin profile's SSO token expires in {max(1, int(left // 60))} min: botocore would refresh it "
                f"now and rewrite the cache; sso-doctor never does, and used it as it is. Run `{login}`.")
        return _Frozen(FrozenAuthToken(token.access, expiration=token.expires))


class _Frozen:
    def __init__(self, token: Any) -> None:
        self._token = token

    def get_frozen_token(self) -> Any:
        return self._token


def sso_cache_dir() -> Path:
    """~/.aws/sso/cache of the HOME of this run (botocore fixes its default when it is imported)."""
    return Path(os.path.expanduser("~")) / ".aws" / "sso" / "cache"


def read_only_credentials(session: Any, secrets: Secrets, notes: list[str]) -> None:
    """Make a botocore session's credential chain read-only, as `check` is: SSO tokens are never
    refreshed (no OIDC CreateToken, no cache rewrite, no chmod), `aws login` credentials never renewed.
    Everything else (static keys, assume-role, web identity, credential_process) is botocore's own."""
    from botocore.credentials import AssumeRoleProvider, LoginProvider, SSOProvider
    from botocore.utils import JSONFileCache

    def guard(provider: Any) -> Any:
        if isinstance(provider, SSOProvider):
            provider._token_provider = ReadOnlySsoToken(session, provider._profile_name, secrets, notes)
            provider._token_cache = JSONFileCache(str(sso_cache_dir()))  # read by SSOTokenLoader only
        elif isinstance(provider, LoginProvider):
            load = provider.load

            def load_without_renewal() -> Any:
                creds = load()
                if creds is not None and hasattr(creds, "_refresh_using"):
                    def refuse() -> Any:
                        raise AdminError("the admin profile's `aws login` credentials have expired: run "
                                         "`aws login`. sso-doctor never renews them.")
                    creds._refresh_using = refuse
                return creds

            provider.load = load_without_renewal
        elif isinstance(provider, AssumeRoleProvider) and provider._profile_provider_builder is not None:
            builder = provider._profile_provider_builder
            providers = builder.providers

            def read_only_providers(*args: Any, **kwargs: Any) -> list[Any]:
                return [guard(p) for p in providers(*args, **kwargs)]

            builder.providers = read_only_providers
        return provider

    resolver = session.get_component("credential_provider")
    for provider in resolver.providers:
        guard(provider)


def credential_error(e: BaseException, profile: str | None) -> str:
    """What to say when the admin profile's credentials cannot be had; helper output is never shown."""
    import botocore.exceptions

    who = f'the admin profile "{profile}"' if profile else "the default admin credentials"
    if isinstance(e, botocore.exceptions.CredentialRetrievalError):
        provider = getattr(e, "kwargs", {}).get("provider", "")
        if provider == "custom-process":
            return (f"the credential_process of {who} failed; its error output is not shown because it may "
                    "hold secrets. Run the command yourself to see why.")
        return f"the credentials of {who} could not be retrieved ({provider or type(e).__name__})."
    return f"{who} has no usable credentials ({type(e).__name__})."


def _clients(profile: str | None, region: str | None, env: Mapping[str, str] | None = None,
             budget: float | None = None, secrets: Secrets | None = None, notes: list[str] | None = None) -> Any:
    """The admin session, its credential chain made read-only (as `check`), and the client config."""
    import boto3
    import botocore.config
    import botocore.exceptions

    secrets = secrets if secrets is not None else Secrets()
    try:
        session = boto3.Session(profile_name=profile, region_name=region or None)
    except botocore.exceptions.BotoCoreError as e:  # ProfileNotFound and any other config error
        raise AdminError(secrets.redact(str(e))) from None
    if not session.region_name:
        raise AdminError(
            "no region: pass --region with the Identity Center home region, or set `region` in the admin profile"
        )
    read_only_credentials(session._session, secrets, notes if notes is not None else [])
    try:
        creds = session.get_credentials()
    except AdminError:
        raise
    except (botocore.exceptions.CredentialRetrievalError, botocore.exceptions.NoCredentialsError) as e:
        raise AdminError(credential_error(e, profile)) from None
    except botocore.exceptions.BotoCoreError as e:
        raise AdminError(secrets.redact(f"{credential_error(e, profile)} {e}")) from None
    if creds is None:
        raise AdminError(f"{credential_error(botocore.exceptions.NoCredentialsError(), profile)} Log in or "
                         "configure the profile, or pass --profile.")
    settings = dict(RETRY_CONFIG)
    if budget is not None:  # no single wait may outlast the whole budget
        settings["connect_timeout"] = min(settings["connect_timeout"], max(0.1, budget))
        settings["read_timeout"] = min(settings["read_timeout"], max(0.1, budget))
    config = botocore.config.Config(**settings)
    from sso_doctor.probes.bounded import BoundedSession

    # every answer read with a cap, like check's (a page of sso-admin or organizations is a few KiB),
    # and no body read for longer than a read timeout allows (a drip restarts the timeout per byte)
    return BoundedSession(session, per_request=2 * settings["read_timeout"]), config


class OutOfTime(AdminError):
    """The walk did not finish within the --timeout budget."""


def within(budget: float, work: Any, live: dict[str, Any]) -> Any:
    """Run `work()` on a daemon thread for at most `budget` seconds, showing progress on a terminal.

    `live["step"]` says what the work is doing; on time-out OutOfTime names it (a hung proxy or endpoint
    must not keep a command silent for minutes: botocore alone waits 60 s per attempt, with retries)."""
    import threading
    import time

    from sso_doctor import progress

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = e

    deadline = time.monotonic() + budget
    t = threading.Thread(target=run, name="sso-doctor-admin", daemon=True)
    t.start()
    while t.is_alive() and time.monotonic() < deadline:
        progress.note(str(live.get("step") or "starting"), deadline, budget)
        t.join(min(0.1, max(0.0, deadline - time.monotonic())))
    if t.is_alive():
        raise OutOfTime(f"no answer within the {budget:g} s time budget (--timeout) while "
                        f"{live.get('step') or 'starting'}: check the network, the proxy and the endpoint")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _client(session: Any, service: str, config: Any) -> Any:
    import botocore.exceptions

    try:
        return session.client(service, config=config)
    except botocore.exceptions.BotoCoreError as e:
        raise admin_error(e) from None
    except ValueError as e:  # an endpoint URL botocore cannot use
        from sso_doctor.redact import redact_all

        raise AdminError(redact_all(f"cannot make the {service} client: {e}")) from None


def _pages(client: Any, op: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator(op)
    for page in paginator.paginate(**kwargs):
        yield from page.get(key, [])


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an AWS call, turning botocore's errors into AdminError with the AWS message."""
    import botocore.exceptions

    try:
        return fn(*args, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise admin_error(e) from None


def admin_error(e: Exception) -> AdminError:
    """botocore's error as an AdminError, masked (every secret registered in this process, every URL
    password); a credential helper's output is never included."""
    import botocore.exceptions

    from sso_doctor.redact import redact_all as mask

    if isinstance(e, botocore.exceptions.ClientError):
        err = e.response.get("Error", {})
        return AdminError(mask(f"{err.get('Code', 'Error')}: {err.get('Message', '')}".strip()))
    if isinstance(e, botocore.exceptions.CredentialRetrievalError):
        return AdminError(credential_error(e, None))
    if isinstance(e, (botocore.exceptions.NoCredentialsError, botocore.exceptions.TokenRetrievalError,
                      botocore.exceptions.SSOTokenLoadError, botocore.exceptions.UnauthorizedSSOTokenError)):
        return AdminError(mask(f"the admin profile has no usable credentials: {e}"))
    return AdminError(mask(str(e)))


# --- discover ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    region: str
    instances: tuple[Instance, ...]
    accounts: tuple[Account, ...]
    accounts_error: str | None
    permission_sets: tuple[PermissionSet, ...]
    notes: tuple[str, ...] = ()  # e.g. a token botocore would have refreshed (sso-doctor never does)

    def sso_session_block(self, name: str = "my-sso") -> str | None:
        if not self.instances:
            return None
        inst = self.instances[0]
        return (
            f"[sso-session {name}]\n"
            f"sso_start_url = {inst.portal_url}\n"
            f"sso_region = {self.region}\n"
            "sso_registration_scopes = sso:account:access\n"
        )


def discover(profile: str | None, region: str | None, budget: float | None = None,
             secrets: Secrets | None = None) -> Discovery:
    """The instance, accounts and permission sets, with credentials built read-only (as `check`); with
    `budget`, all within that many seconds."""
    if budget is not None:
        live: dict[str, Any] = {}
        return within(budget, lambda: _discover(profile, region, budget, live, secrets), live)
    return _discover(profile, region, None, {}, secrets)


def _discover(profile: str | None, region: str | None, budget: float | None, live: dict[str, Any],
              secrets: Secrets | None = None) -> Discovery:
    live["step"] = "reading the admin profile"
    notes: list[str] = []
    session, config = _clients(profile, region, budget=budget, secrets=secrets, notes=notes)
    region = session.region_name
    admin = _client(session, "sso-admin", config)
    live["step"] = f"listing IAM Identity Center instances (sso-admin, {region})"
    instances = tuple(
        Instance(i["InstanceArn"], i["IdentityStoreId"], i.get("OwnerAccountId"), i.get("Name"))
        for i in _call(lambda: list(_pages(admin, "list_instances", "Instances")))
    )
    accounts: tuple[Account, ...] = ()
    accounts_error = None
    live["step"] = "listing the organization's accounts (organizations)"
    try:
        org = _client(session, "organizations", config)
        accounts = tuple(
            Account(a["Id"], a.get("Name", ""), a.get("Status"))
            for a in _call(lambda: list(_pages(org, "list_accounts", "Accounts")))
        )
    except AdminError as e:
        accounts_error = str(e)
    permission_sets: list[PermissionSet] = []
    live["step"] = "listing permission sets (sso-admin)"
    for inst in instances:
        permission_sets.extend(_permission_sets(admin, inst))
    return Discovery(region, instances, accounts, accounts_error, tuple(permission_sets), tuple(notes))


def _permission_sets(admin: Any, inst: Instance) -> list[PermissionSet]:
    out = []
    for arn in _call(lambda: list(_pages(admin, "list_permission_sets", "PermissionSets", InstanceArn=inst.arn))):
        ps = _call(admin.describe_permission_set, InstanceArn=inst.arn, PermissionSetArn=arn)["PermissionSet"]
        out.append(PermissionSet(arn, ps.get("Name", ""), ps.get("SessionDuration"), ps.get("Description")))
    return out


# --- triage -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageRequest:
    admin_profile: str | None
    region: str | None
    user: str
    account: str
    permission_set: str


@dataclass(frozen=True)
class TriageFacts:
    """What the walk learned; rules SSO701-SSO706 turn it into findings. `stopped` says where it ended."""

    request: TriageRequest
    region: str | None = None
    instance: Instance | None = None
    user: User | None = None
    user_suggestions: tuple[str, ...] = ()
    groups: tuple[Group, ...] = ()
    permission_set: PermissionSet | None = None
    permission_set_suggestions: tuple[str, ...] = ()
    account: Account | None = None
    account_suggestions: tuple[str, ...] = ()
    account_note: str | None = None
    direct_assignment: bool = False
    group_assignments: tuple[Group, ...] = ()
    provisioned: bool | None = None
    # provisioned, outdated (changed since it was provisioned), failed, in-progress, never; None: not checked
    provisioning: str | None = None
    provisioning_detail: str | None = None  # AWS's FailureReason and the request, or why we could not tell
    error: str | None = None
    checked: frozenset[str] = field(default_factory=frozenset)
    notes: tuple[str, ...] = ()  # e.g. a token botocore would have refreshed (sso-doctor never does)

    @property
    def assigned(self) -> bool:
        return self.direct_assignment or bool(self.group_assignments)

    @property
    def verdict(self) -> str:
        """assigned, not-assigned, not-provisioned, or incomplete (the walk could not finish)."""
        if self.error or not (self.instance and self.user and self.permission_set and self.account):
            return "incomplete"
        if not self.assigned:
            return "not-assigned"
        if self.provisioned is False or self.provisioning == "outdated":
            return "not-provisioned"
        return "assigned"


_ACCOUNT_ID = re.compile(r"^\d{12}$")


def triage(request: TriageRequest, budget: float | None = None, secrets: Secrets | None = None) -> TriageFacts:
    """Walk instance -> user -> groups -> permission set -> account -> assignments -> provisioning,
    with credentials built read-only (as `check`).

    With `budget`, the walk gets that many seconds in all; when they run out, the facts learned so far
    come back with an error naming the step that did not answer."""
    facts: dict[str, Any] = {"request": request, "_notes": [], "_secrets": secrets}
    checked: set[str] = set()
    if budget is None:
        return _triage(request, None, facts, checked)
    live: dict[str, Any] = facts.setdefault("_live", {})  # type: ignore[assignment]
    try:
        return within(budget, lambda: _triage(request, budget, facts, checked), live)
    except OutOfTime as e:
        known = {k: v for k, v in dict(facts).items() if not k.startswith("_")}
        return TriageFacts(**known, error=str(e), checked=frozenset(checked), notes=tuple(facts["_notes"]))


def _triage(request: TriageRequest, budget: float | None, facts: dict[str, Any], checked: set[str]) -> TriageFacts:
    live: dict[str, Any] = facts.get("_live", {})

    def done(**kw: Any) -> TriageFacts:
        facts.update(kw)
        return TriageFacts(**{k: v for k, v in facts.items() if not k.startswith("_")}, checked=frozenset(checked),
                           notes=tuple(facts.get("_notes", ())))

    def step(text: str) -> None:
        live["step"] = text

    step("reading the admin profile")
    try:
        session, config = _clients(request.admin_profile, request.region, budget=budget,
                                   secrets=facts.get("_secrets"), notes=facts.setdefault("_notes", []))
    except AdminError as e:
        return done(error=str(e))
    facts["region"] = session.region_name
    try:
        admin = _client(session, "sso-admin", config)
        store = _client(session, "identitystore", config)
        step(f"finding the IAM Identity Center instance (sso-admin, {session.region_name})")
        instances = _call(lambda: list(_pages(admin, "list_instances", "Instances")))
        checked.add("instance")
        if not instances:
            return done()
        i = instances[0]
        inst = Instance(i["InstanceArn"], i["IdentityStoreId"], i.get("OwnerAccountId"), i.get("Name"))
        facts["instance"] = inst

        step(f'finding the user "{request.user}" (identitystore)')
        user, suggestions = _find_user(store, inst.identity_store_id, request.user)
        checked.add("user")
        facts.update(user=user, user_suggestions=tuple(suggestions))

        step(f'finding the permission set "{request.permission_set}" (sso-admin)')
        sets = _permission_sets(admin, inst)
        checked.add("permission_set")
        wanted = [p for p in sets if p.name == request.permission_set] or [
            p for p in sets if p.name.lower() == request.permission_set.lower()]
        facts["permission_set"] = wanted[0] if wanted else None
        if not wanted:
            facts["permission_set_suggestions"] = tuple(closest(request.permission_set, [p.name for p in sets]))

        step(f'finding the account "{request.account}" (organizations)')
        account, account_suggestions, note = _find_account(session, config, request.account)
        checked.add("account")
        facts.update(account=account, account_suggestions=tuple(account_suggestions), account_note=note)

        if user is None or facts["permission_set"] is None or account is None:
            return done()
        step("listing the user's groups (identitystore)")
        groups = _user_groups(store, inst.identity_store_id, user.id)
        facts["groups"] = tuple(groups)
        ps: PermissionSet = facts["permission_set"]
        step("listing the account's assignments (sso-admin)")
        assignments = _call(lambda: list(_pages(
            admin, "list_account_assignments", "AccountAssignments",
            InstanceArn=inst.arn, AccountId=account.id, PermissionSetArn=ps.arn)))
        checked.add("assignment")
        group_ids = {g.id: g for g in groups}
        direct = any(a["PrincipalType"] == "USER" and a["PrincipalId"] == user.id for a in assignments)
        via = tuple(group_ids[a["PrincipalId"]] for a in assignments
                    if a["PrincipalType"] == "GROUP" and a["PrincipalId"] in group_ids)
        facts.update(direct_assignment=direct, group_assignments=via)
        if direct or via:
            step("checking the permission set's provisioning (sso-admin)")
            provisioned_to = _call(lambda: list(_pages(
                admin, "list_accounts_for_provisioned_permission_set", "AccountIds",
                InstanceArn=inst.arn, PermissionSetArn=ps.arn)))
            checked.add("provisioning")
            facts["provisioned"] = account.id in provisioned_to
            state, detail = _provisioning_state(admin, inst, ps, account, facts["provisioned"],
                                                {user.id, *(g.id for g in via)})
            facts.update(provisioning=state, provisioning_detail=detail)
        return done()
    except AdminError as e:
        return done(error=str(e))


# How many failed / in-progress requests are described (one Describe call each) when looking for the
# one that concerns this account and permission set: newest first, so a bounded walk finds recent ones.
MAX_STATUS_DESCRIBES = 20


def _provisioning_state(admin: Any, inst: Instance, ps: PermissionSet, account: Account, provisioned: bool,
                        principals: set[str]) -> tuple[str, str | None]:
    """Tell apart what helpdesks hear as "the permission set changed but I don't see it".

    - outdated: provisioned, but changed since (ListAccountsForProvisionedPermissionSet with
      ProvisioningStatus=LATEST_PERMISSION_SET_NOT_PROVISIONED lists the account);
    - failed / in-progress: the assignment's creation or the permission set's provisioning failed
      or is still running (List/Describe…CreationStatus, List/Describe…ProvisioningStatus);
    - never: not provisioned, and no request explains it.
    In AWS, CreateAccountAssignment provisions the permission set by itself, so an assignment without
    provisioning almost always has a failed or running request behind it. Calls an admin role may not
    be allowed to make (or that a test double lacks) leave the state at what is known, with the reason.
    """
    if provisioned:
        try:
            stale = _call(lambda: list(_pages(
                admin, "list_accounts_for_provisioned_permission_set", "AccountIds", InstanceArn=inst.arn,
                PermissionSetArn=ps.arn, ProvisioningStatus="LATEST_PERMISSION_SET_NOT_PROVISIONED")))
        except AdminError as e:
            return "provisioned", f"could not ask whether it is the latest version ({e})"
        return ("outdated", None) if account.id in stale else ("provisioned", None)
    notes: list[str] = []
    for status in ("FAILED", "IN_PROGRESS"):
        for found in (_creation_request(admin, inst, ps, account, principals, status, notes),
                      _provisioning_request(admin, inst, ps, account, status, notes)):
            if found:
                return ("failed" if status == "FAILED" else "in-progress"), found
    return "never", ("; ".join(dict.fromkeys(notes)) or None)


def _newest(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: str(i.get("CreatedDate") or ""), reverse=True)[:MAX_STATUS_DESCRIBES]


def _request_text(d: dict[str, Any]) -> str:
    reason = d.get("FailureReason")
    when = d.get("CreatedDate")
    when = when.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(when, "strftime") else (str(when) if when else "")
    return (f'"{reason}" ' if reason else "") + f"(request {d.get('RequestId', '?')}" + (f", {when})" if when else ")")


class _RequestKind(NamedTuple):
    """One kind of request whose status explains a missing provisioning: its List/Describe calls."""

    what: str  # for the message: "the account assignment's creation"
    noun: str  # for a note: "assignment creation"
    list_op: str
    list_key: str
    describe_op: str
    describe_key: str
    id_param: str


_CREATION = _RequestKind("the account assignment's creation", "assignment creation", "list_account_assignment_creation_status",
                         "AccountAssignmentsCreationStatus", "describe_account_assignment_creation_status",
                         "AccountAssignmentCreationStatus", "AccountAssignmentCreationRequestId")
_PROVISIONING = _RequestKind("the permission set's provisioning", "provisioning", "list_permission_set_provisioning_status",
                             "PermissionSetsProvisioningStatus", "describe_permission_set_provisioning_status",
                             "PermissionSetProvisioningStatus", "ProvisionPermissionSetRequestId")


def _creation_request(admin: Any, inst: Instance, ps: PermissionSet, account: Account, principals: set[str],
                      status: str, notes: list[str]) -> str | None:
    def concerns(d: dict[str, Any]) -> bool:
        return (d.get("TargetId") == account.id and d.get("PermissionSetArn") == ps.arn
                and (not principals or d.get("PrincipalId") in principals))

    return _request(admin, inst, _CREATION, status, concerns, notes)


def _provisioning_request(admin: Any, inst: Instance, ps: PermissionSet, account: Account, status: str,
                          notes: list[str]) -> str | None:
    def concerns(d: dict[str, Any]) -> bool:
        return d.get("AccountId") == account.id and d.get("PermissionSetArn") == ps.arn

    return _request(admin, inst, _PROVISIONING, status, concerns, notes)


def _request(admin: Any, inst: Instance, kind: _RequestKind, status: str, concerns: Any,
             notes: list[str]) -> str | None:
    """The newest request of this kind and status that `concerns` this account and permission set."""
    try:
        items = _call(lambda: list(_pages(admin, kind.list_op, kind.list_key, InstanceArn=inst.arn,
                                          Filter={"Status": status})))
        describe = getattr(admin, kind.describe_op)
        for item in _newest(items):
            d = _call(lambda i=item: describe(InstanceArn=inst.arn, **{kind.id_param: i["RequestId"]}))[
                kind.describe_key]
            if concerns(d):
                return f"{kind.what}: " + _request_text(d)
    except (AdminError, KeyError) as e:
        notes.append(f"could not read {kind.noun} requests ({e})")
    return None


def _user_from(raw: dict[str, Any]) -> User:
    return User(
        raw["UserId"], raw.get("UserName", ""), raw.get("DisplayName"),
        tuple(e.get("Value", "") for e in raw.get("Emails", []) or [] if e.get("Value")),
    )


def _find_user(store: Any, store_id: str, wanted: str) -> tuple[User | None, list[str]]:
    import botocore.exceptions

    path = "emails.value" if "@" in wanted else "userName"
    try:
        uid = store.get_user_id(IdentityStoreId=store_id, AlternateIdentifier={
            "UniqueAttribute": {"AttributePath": path, "AttributeValue": wanted}})["UserId"]
        return _user_from(_call(store.describe_user, IdentityStoreId=store_id, UserId=uid)), []
    except botocore.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise admin_error(e) from None
    except botocore.exceptions.BotoCoreError as e:
        raise admin_error(e) from None
    # Not found exactly: scan every user (paginated) for a case-insensitive match, then close matches.
    users = [_user_from(u) for u in _call(lambda: list(_pages(store, "list_users", "Users", IdentityStoreId=store_id)))]
    low = wanted.lower()
    for u in users:
        if u.user_name.lower() == low or low in (e.lower() for e in u.emails):
            return u, []
    names = [u.user_name for u in users] + [e for u in users for e in u.emails]
    return None, closest(wanted, names)


def _user_groups(store: Any, store_id: str, user_id: str) -> list[Group]:
    memberships = _call(lambda: list(_pages(
        store, "list_group_memberships_for_member", "GroupMemberships",
        IdentityStoreId=store_id, MemberId={"UserId": user_id})))
    wanted = {m["GroupId"] for m in memberships}
    if not wanted:
        return []
    names = {g["GroupId"]: g.get("DisplayName", g["GroupId"]) for g in _call(
        lambda: list(_pages(store, "list_groups", "Groups", IdentityStoreId=store_id)))}
    return [Group(gid, names.get(gid, gid)) for gid in sorted(wanted)]


def _find_account(session: Any, config: Any, wanted: str) -> tuple[Account | None, list[str], str | None]:
    org = _client(session, "organizations", config)
    try:
        accounts = [Account(a["Id"], a.get("Name", ""), a.get("Status"))
                    for a in _call(lambda: list(_pages(org, "list_accounts", "Accounts")))]
    except AdminError as e:
        # A delegated administrator may not read the organization: trust a well-formed id.
        if _ACCOUNT_ID.match(wanted):
            return Account(wanted, wanted), [], f"the organization could not be listed ({e}); account id used as given"
        raise
    for a in accounts:
        if a.id == wanted or a.name == wanted:
            return a, [], None
    for a in accounts:
        if a.name.lower() == wanted.lower():
            return a, [], None
    labels = {f"{a.id} ({a.name})": a for a in accounts}
    hits = closest(wanted, [a.name for a in accounts] + [a.id for a in accounts])
    shown = []
    for h in hits:
        for label, a in labels.items():
            if h in (a.id, a.name) and label not in shown:
                shown.append(label)
    return None, shown, None
