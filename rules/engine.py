"""SSO0xx: about the run itself."""

from __future__ import annotations

from collections.abc import Iterator

from sso_doctor.context import Context
from sso_doctor.model import Finding, Location, Rule, Severity, fix, rule


@rule("SSO001", "rule-crashed", Severity.ERROR)
def rule_crashed(ctx: Context) -> Iterator[Finding]:
    """A check of sso-doctor itself failed with an unexpected error.

    ## What it checks
    Every other rule runs in isolation. When one raises an unexpected exception, the run goes on and
    this finding names the rule and the exception type (the traceback is shown with `-v`).

    ## Why it matters
    The crashed rule said nothing about your setup, so a clean report is not a clean bill of health
    for what that rule covers. The exit code is 1.

    ## How to fix
    This is a bug in sso-doctor: report it with the output of `sso-doctor check -v` (secrets are
    masked). Meanwhile `--ignore <RULE>` lets the rest of the report be used in CI.

    ## Example
        ✗ SSO001 rule-crashed: Rule SSO105 (sso-session-not-found) crashed with KeyError
    """
    # The engine itself produces these findings; the rule exists for its id and documentation.
    return iter(())


def fresh_machine(ctx: Context) -> bool:
    """No AWS file and no variable that names a profile or a file: nothing was ever configured here.

    A variable that points at a missing file is a setup gone wrong, not a fresh machine: SSO101 says
    so (one cause, one finding).
    """
    cfg = ctx.config
    if cfg.config.exists or cfg.credentials.exists:
        return False
    return not any(ctx.env.get(v) for v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
                                             "AWS_SHARED_CREDENTIALS_FILE"))


@rule("SSO002", "nothing-to-check", Severity.INFO, needs=("config", "env"))
def nothing_to_check(ctx: Context) -> Iterator[Finding]:
    """There is no AWS configuration on this machine at all.

    ## What it checks
    Neither the AWS config file nor the credentials file exists, and no `AWS_PROFILE`,
    `AWS_DEFAULT_PROFILE`, `AWS_CONFIG_FILE` or `AWS_SHARED_CREDENTIALS_FILE` points anywhere: a fresh
    machine.

    ## Why it matters
    Nothing can log in to AWS IAM Identity Center until a profile says where the access portal is.

    ## How to fix
        aws configure sso

    It asks for the start URL and region of your access portal, lets you pick an account and role,
    and writes an `[sso-session]` and a `[profile]` to `~/.aws/config`.

    ## Example
        ℹ SSO002 nothing-to-check: No AWS config or credentials file and no AWS profile variables.
    """
    if not fresh_machine(ctx):
        return
    cfg = ctx.config
    yield nothing_to_check.finding(
        "No AWS config or credentials file exists and no AWS profile variable is set: there is nothing "
        "to check yet.",
        fix("Set up a first SSO profile interactively.", "aws configure sso"),
        location=Location(path=str(cfg.config.path)),
    )


RULES: tuple[Rule, ...] = (rule_crashed, nothing_to_check)
