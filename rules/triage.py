"""SSO7xx: administrator triage (`sso-doctor triage`): why can't this user use this permission set here?"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sso_doctor.context import Context
from sso_doctor.model import Finding, Location, Rule, Severity, SkipRule, fix, manual, rule
from sso_doctor.text import name_list, shell_quote, suggestion

if TYPE_CHECKING:  # the admin walk (and boto3 behind it) is imported only by `sso-doctor triage`
    from sso_doctor.admin import TriageFacts


def _facts(ctx: Context, step: str) -> TriageFacts:
    facts = ctx.triage
    if step not in facts.checked:
        raise SkipRule(f"the walk stopped before this step: {facts.error}" if facts.error
                       else "an earlier step found nothing to check")
    return facts


def _admin_args(facts: TriageFacts) -> str:
    args = ""
    if facts.request.admin_profile:
        args += f" --profile {shell_quote(facts.request.admin_profile)}"
    if facts.region:
        args += f" --region {shell_quote(facts.region)}"
    return args


@rule("SSO701", "no-identity-center-instance", Severity.ERROR, needs=("admin",))
def no_identity_center_instance(ctx: Context) -> Iterator[Finding]:
    """No IAM Identity Center instance is visible in that region with the admin profile.

    ## What it checks
    `sso-admin ListInstances` in the region given with `--region` (else the admin profile's region).

    ## Why it matters
    Identity Center lives in one home region and is administered from the management account or a
    delegated-administrator account. From any other region or account the list is empty and nothing
    else can be checked.

    ## How to fix
    Run triage with the instance's home region and a management or delegated-admin profile:

        sso-doctor triage --profile <management-profile> --region <home-region> ...

    The home region is shown at the top of the IAM Identity Center console (Settings).

    ## Example
        ✗ SSO701 no-identity-center-instance: No IAM Identity Center instance in eu-west-1 for profile "admin".
    """
    facts = _facts(ctx, "instance")
    if facts.instance is not None:
        return
    yield no_identity_center_instance.finding(
        f"No IAM Identity Center instance is visible in {facts.region} with "
        f"{'profile ' + repr(facts.request.admin_profile) if facts.request.admin_profile else 'the default credentials'}: "
        "wrong region, or not the management / delegated-administrator account.",
        fix("Run triage with the instance's home region and an administrator profile.",
            manual("sso-doctor triage --profile <management-profile> --region <home-region> "
                   f"--user {shell_quote(facts.request.user)} --account {shell_quote(facts.request.account)} "
                   f"--permission-set {shell_quote(facts.request.permission_set)}")),
        subject=facts.region,
    )


@rule("SSO702", "user-not-found", Severity.ERROR, needs=("admin",))
def user_not_found(ctx: Context) -> Iterator[Finding]:
    """No user of that user name or email exists in the identity store.

    ## What it checks
    Looks the user up by user name (or by email when the value contains `@`), exactly and then
    case-insensitively over every user; names the closest user names and emails when nothing matches.

    ## Why it matters
    Assignments are made to identity-store users and groups; a user the identity store does not
    know cannot have one.

    ## How to fix
    Run triage again with the right user name (see the suggestions), or check the identity source
    (an external IdP provisions users through SCIM; a user not yet provisioned is missing here).

    ## Example
        ✗ SSO702 user-not-found: No user "jdoe" in identity store d-1234567890. Did you mean "j.doe"?
    """
    facts = _facts(ctx, "user")
    if facts.user is not None:
        return
    yield user_not_found.finding(
        f'No user "{facts.request.user}" in identity store {facts.instance.identity_store_id}.'
        f"{suggestion(facts.user_suggestions)}",
        fix("Use an existing user name or email; if the user comes from an external IdP, check SCIM provisioning.",
            *(manual(f"sso-doctor triage ... --user {shell_quote(s)}") for s in facts.user_suggestions[:1])),
        subject=facts.request.user,
    )


@rule("SSO703", "permission-set-not-found", Severity.ERROR, needs=("admin",))
def permission_set_not_found(ctx: Context) -> Iterator[Finding]:
    """No permission set of that name exists in the instance.

    ## What it checks
    Lists every permission set of the instance (all pages) and compares names, exactly and then
    case-insensitively; names the closest ones when nothing matches.

    ## Why it matters
    The role a user sees in the access portal (and writes as `sso_role_name`) is the permission
    set's name; a name that exists nowhere can't be assigned.

    ## How to fix
    Use one of the suggested names, or create the permission set (`aws sso-admin
    create-permission-set`).

    ## Example
        ✗ SSO703 permission-set-not-found: No permission set "ReadOnly". Did you mean "ReadOnlyAccess"?
    """
    facts = _facts(ctx, "permission_set")
    if facts.permission_set is not None:
        return
    yield permission_set_not_found.finding(
        f'No permission set "{facts.request.permission_set}" in {facts.instance.arn}.'
        f"{suggestion(facts.permission_set_suggestions)}",
        fix("Use an existing permission set name.", f"aws sso-admin list-permission-sets --instance-arn "
            f"{facts.instance.arn}{_admin_args(facts)}"),
        subject=facts.request.permission_set,
    )


@rule("SSO704", "account-not-found", Severity.ERROR, needs=("admin",))
def account_not_found(ctx: Context) -> Iterator[Finding]:
    """The account (id or name) is not in the organization.

    ## What it checks
    Lists the organization's accounts (all pages) and matches the id or the name (case-insensitively
    for names); names the closest accounts otherwise. When the admin profile may not read the
    organization (a delegated administrator), a well-formed 12-digit id is used as given.

    ## Why it matters
    Identity Center assigns permission sets to accounts of its organization only.

    ## How to fix
    Use the account id or name from `aws organizations list-accounts`.

    ## Example
        ✗ SSO704 account-not-found: Account "prod" is not in the organization. Did you mean "111111111111 (production)"?
    """
    facts = _facts(ctx, "account")
    if facts.account is not None:
        return
    yield account_not_found.finding(
        f'Account "{facts.request.account}" is not in the organization.{suggestion(facts.account_suggestions)}',
        fix("Use an account id or name of the organization.",
            f"aws organizations list-accounts{_admin_args(facts)}"),
        subject=facts.request.account,
    )


@rule("SSO705", "no-assignment", Severity.ERROR, needs=("admin",))
def no_assignment(ctx: Context) -> Iterator[Finding]:
    """Neither the user nor any of the user's groups is assigned the permission set on the account.

    ## What it checks
    `ListAccountAssignments` for the account and permission set (all pages), against the user's id
    and the ids of every group the user belongs to.

    ## Why it matters
    Without an assignment the account or the role is missing from the user's access portal, and
    `aws sso login` followed by any call fails with `ForbiddenException: No access`.

    ## How to fix
    Assign the permission set to the user (or to one of the user's groups):

        aws sso-admin create-account-assignment --instance-arn <instance> --target-id <account> \\
            --target-type AWS_ACCOUNT --permission-set-arn <permission set> \\
            --principal-type USER --principal-id <user id>

    ## Example
        ✗ SSO705 no-assignment: "jdoe" has no assignment of "Admin" on 111111111111, directly or through a group.
    """
    facts = _facts(ctx, "assignment")
    if facts.assigned:
        return
    inst, ps, acct, user = facts.instance, facts.permission_set, facts.account, facts.user
    base = (f"aws sso-admin create-account-assignment --instance-arn {inst.arn} --target-id {acct.id} "
            f"--target-type AWS_ACCOUNT --permission-set-arn {ps.arn}")
    commands: list = [f"{base} --principal-type USER --principal-id {user.id}{_admin_args(facts)}"]
    groups = ""
    if facts.groups:
        groups = f" The user is in {name_list([g.name for g in facts.groups])}; assigning one of them works too."
        commands.append(manual(f"{base} --principal-type GROUP --principal-id <group id>{_admin_args(facts)}"))
    yield no_assignment.finding(
        f'User "{user.user_name}" has no assignment of permission set "{ps.name}" on account {acct.id} '
        f"({acct.name}), neither directly nor through a group.{groups}",
        fix("Assign the permission set to the user on the account.", *commands),
        subject=user.user_name,
        location=Location(endpoint=inst.arn),
    )


@rule("SSO706", "permission-set-not-provisioned", Severity.ERROR, needs=("admin",))
def permission_set_not_provisioned(ctx: Context) -> Iterator[Finding]:
    """The assignment exists but the permission set is not provisioned on the account, or is outdated there.

    ## What it checks
    Once an assignment has been found: `ListAccountsForProvisionedPermissionSet` (all pages) for the
    permission set, and then tells the states apart that helpdesks hear as "the permission set changed
    but I don't see it":
    - **outdated**: provisioned, but changed since (`ListAccountsForProvisionedPermissionSet` with
      `ProvisioningStatus=LATEST_PERMISSION_SET_NOT_PROVISIONED` lists the account): the role in the
      account still has the old policies;
    - **failed** or **in progress**: the assignment's creation (`ListAccountAssignmentCreationStatus`,
      `DescribeAccountAssignmentCreationStatus`) or the permission set's provisioning
      (`ListPermissionSetProvisioningStatus`, `DescribePermissionSetProvisioningStatus`) failed, with
      AWS's failure reason, or is still running (the newest 20 requests of each kind are read);
    - **never provisioned**: no request explains it.
    In AWS, `CreateAccountAssignment` provisions the permission set by itself, so an assignment
    without provisioning nearly always has a failed or running request behind it.

    ## Why it matters
    Until the permission set is provisioned, its IAM role does not exist in the account and
    `GetRoleCredentials` fails even though the portal lists the role. An outdated one works, with
    the permissions it had before the change.

    ## How to fix
    For a failed request, fix the cause AWS names first (for example an SCP or a policy the role
    cannot have). Then:
        aws sso-admin provision-permission-set --instance-arn <instance> \\
            --permission-set-arn <permission set> --target-id <account> --target-type AWS_ACCOUNT

    ## Example
        ✗ SSO706 permission-set-not-provisioned: Permission set "Admin" is assigned on account 111111111111
          (prod), but its provisioning there failed: "Received a 404 status error: Not supported policy
          arn:aws:iam::aws:policy/Nope." (request 5b0d…, 2026-11-26T09:00:00Z).
    """
    facts = _facts(ctx, "provisioning")
    if facts.provisioned is not False and facts.provisioning != "outdated":
        return
    inst, ps, acct = facts.instance, facts.permission_set, facts.account
    head = f'Permission set "{ps.name}" is assigned on account {acct.id} ({acct.name})'
    detail = facts.provisioning_detail
    summary = "Provision the permission set to the account."
    if facts.provisioning == "outdated":
        message = (f"{head} and provisioned there, but it changed after it was provisioned: the role in the account "
                   "still has the old version (AWS lists the account as LATEST_PERMISSION_SET_NOT_PROVISIONED).")
        summary = "Provision the latest version of the permission set to the account."
    elif facts.provisioning == "failed":
        message = f"{head}, but it is not provisioned there: {detail} failed."
        summary = "Fix the cause AWS names, then provision the permission set again."
    elif facts.provisioning == "in-progress":
        message = (f"{head}, but it is not provisioned there yet: {detail} is still in progress. Wait a minute and "
                   "run triage again before provisioning by hand.")
    else:
        message = (f"{head} but has never been provisioned there, and no failed or running request explains it"
                   + (f" ({detail})" if detail else "") + ".")
    yield permission_set_not_provisioned.finding(
        message,
        fix(summary,
            f"aws sso-admin provision-permission-set --instance-arn {inst.arn} --permission-set-arn {ps.arn} "
            f"--target-id {acct.id} --target-type AWS_ACCOUNT{_admin_args(facts)}"),
        subject=ps.name,
        location=Location(endpoint=inst.arn),
        evidence={"provisioning": facts.provisioning or "unknown"},
    )


RULES: tuple[Rule, ...] = (
    no_identity_center_instance,
    user_not_found,
    permission_set_not_found,
    account_not_found,
    no_assignment,
    permission_set_not_provisioned,
)
