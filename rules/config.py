"""SSO1xx: the AWS config and credentials files, read exactly as botocore reads them (offline)."""

from __future__ import annotations

from collections.abc import Iterator

from sso_doctor.context import Context
from sso_doctor.loaders.aws_config import ParsedFile
from sso_doctor.model import Finding, Location, Rule, Severity, fix, manual, rule
from sso_doctor.text import closest, name_list, shell_quote


def _files(ctx: Context) -> tuple[ParsedFile, ParsedFile]:
    cfg = ctx.config
    return cfg.config, cfg.credentials


@rule("SSO101", "config-file-missing", Severity.WARNING, needs=("config", "env"))
def config_file_missing(ctx: Context) -> Iterator[Finding]:
    """The AWS config file does not exist.

    ## What it checks
    Whether the config file botocore reads exists: `$AWS_CONFIG_FILE` when set, else `~/.aws/config`.
    It is an error when `AWS_CONFIG_FILE` names a file that is not there (a typo in a variable you set
    on purpose), a warning otherwise.

    ## Why it matters
    SSO profiles and `[sso-session]` sections live only in the config file. Without it botocore and
    the AWS CLI silently fall back to other credential sources, or fail with
    `The config profile (NAME) could not be found`.

    ## How to fix
        aws configure sso

    or, when `AWS_CONFIG_FILE` points to the wrong place, correct or unset it:

        unset AWS_CONFIG_FILE

    ## Example
        ! SSO101 config-file-missing: The AWS config file ~/.aws/config does not exist.
    """
    config = ctx.config.config
    if config.state != "missing":
        return
    if config.env_var:
        yield config_file_missing.finding(
            f"AWS_CONFIG_FILE points to {ctx.show_path(config.path)}, which does not exist; botocore and the AWS CLI "
            "will see no profiles.",
            fix("Point AWS_CONFIG_FILE at your config file, or unset it to use ~/.aws/config.",
                manual("export AWS_CONFIG_FILE=<path to your AWS config file>"), "unset AWS_CONFIG_FILE"),
            severity=Severity.ERROR,
            location=Location(path=str(config.path), env_var="AWS_CONFIG_FILE"),
        )
    else:
        yield config_file_missing.finding(
            f"The AWS config file {ctx.show_path(config.path)} does not exist, so no SSO profile is configured.",
            fix("Create an SSO profile interactively.", "aws configure sso"),
            location=Location(path=str(config.path)),
        )


@rule("SSO102", "config-unparseable", Severity.ERROR, needs=("config",))
def config_unparseable(ctx: Context) -> Iterator[Finding]:
    """botocore cannot parse the config or credentials file.

    ## What it checks
    Parses both files with the same parser botocore uses and reports the first error with its line
    and real cause: a section or key that appears twice, text before the first `[section]`, a UTF-8
    byte-order mark (BOM), bytes that are not valid in the locale encoding, or an indented block that
    is not `key = value` lines.

    ## Why it matters
    botocore refuses the whole file with `Unable to parse config file: <path>` and hides the cause;
    every AWS CLI command and SDK call on the machine fails, whatever profile it uses.

    ## How to fix
    Edit the named line. For a BOM, re-save the file as UTF-8 without BOM, e.g.:

        sed -i '1s/^\\xEF\\xBB\\xBF//' ~/.aws/config

    ## Example
        ✗ SSO102 config-unparseable: ~/.aws/config:14: section [profile dev] appears twice.
    """
    for f in _files(ctx):
        if f.state != "unparseable" or f.problem is None:
            continue
        shown = ctx.show_path(f.path)
        where = f"{shown}:{f.problem.line}" if f.problem.line else shown
        commands = []
        if "byte-order mark" in f.problem.cause:
            commands.append(f"sed -i '1s/^\\xEF\\xBB\\xBF//' {shell_quote(str(f.path))}")
        else:
            commands.append(manual(f"edit {where}"))
        yield config_unparseable.finding(
            f"botocore cannot parse the {f.role} file ({where}): {f.problem.cause}. Every AWS CLI and SDK "
            "call fails with 'Unable to parse config file'.",
            fix(f"Edit line {f.problem.line} of {shown}." if f.problem.line else f"Repair {shown}.", *commands),
            location=Location(path=str(f.path), line=f.problem.line),
        )


@rule("SSO120", "unreadable-config", Severity.ERROR, needs=("config",))
def unreadable_config(ctx: Context) -> Iterator[Finding]:
    """The config or credentials file exists but cannot be read.

    ## What it checks
    Whether each file that exists is a readable regular file: not a directory, not a symbolic link
    loop or a dangling link, and readable by you (a file created by `sudo aws configure` is often
    owned by root with mode 0600).

    ## Why it matters
    botocore does not report this: it treats such a file as absent or empty, so profiles you can see
    in an editor as root simply "could not be found".

    ## How to fix
        sudo chown "$USER" ~/.aws/config ~/.aws/credentials
        chmod 600 ~/.aws/config ~/.aws/credentials

    A directory or broken link in place of the file has to be moved away and the file recreated.

    ## Example
        ✗ SSO120 unreadable-config: ~/.aws/config cannot be read: permission denied.
    """
    for f in _files(ctx):
        if f.state != "unreadable":
            continue
        path = shell_quote(str(f.path))
        reason = f.unreadable_reason or "unknown reason"
        if reason == "permission denied":
            commands = (f'sudo chown "$USER" {path}', f"chmod 600 {path}")
        else:
            commands = (manual(f"mv {path} {path}.broken && aws configure sso"),)
        yield unreadable_config.finding(
            f"The {f.role} file {ctx.show_path(f.path)} exists but cannot be read ({reason}); botocore silently "
            "ignores it, so none of its profiles exist for the AWS CLI or SDKs.",
            fix("Make the file a regular file you can read.", *commands),
            location=Location(path=str(f.path), env_var=f.env_var),
        )


@rule("SSO104", "profile-not-found", Severity.ERROR, needs=("config", "env"))
def profile_not_found(ctx: Context) -> Iterator[Finding]:
    """A selected profile does not exist in the config or credentials file.

    ## What it checks
    The profiles this run is about (`--profile`, else `AWS_DEFAULT_PROFILE`, then `AWS_PROFILE`, as
    botocore resolves them, else `default`) must exist in one of the two files. The finding names the
    closest existing profile names.

    ## Why it matters
    botocore raises `ProfileNotFound: The config profile (NAME) could not be found` before any
    request, for every command.

    ## How to fix
        aws configure list-profiles
        export AWS_PROFILE=<one of them>

    ## Example
        ✗ SSO104 profile-not-found: Profile "prod-admn" (from AWS_PROFILE) does not exist. Did you mean "prod-admin"?
    """
    cfg = ctx.parsed_config()
    source = ctx.selection_source
    for name in ctx.selected_names:
        if name in cfg.profiles:
            continue
        if name == "default" and source == "default":
            # Nothing selected a profile: a missing [default] only matters if the user relies on it,
            # which SSO002/SSO101 cover for empty machines.
            continue
        hints = closest(name, cfg.profiles)
        message = (f'Profile "{name}" (from {source}) does not exist in {ctx.show_path(cfg.config.path)} or '
                   f"{ctx.show_path(cfg.credentials.path)}.")
        if hints:
            message += f" Did you mean {name_list(hints)}?"
        commands: list = ["aws configure list-profiles"]
        if hints:
            commands.append(f"export AWS_PROFILE={shell_quote(hints[0])}")
        yield profile_not_found.finding(
            message,
            fix("Select a profile that exists.", *commands),
            subject=name,
            location=Location(env_var=source if source.startswith("AWS_") else None,
                              path=str(cfg.config.path)),
        )


RULES: tuple[Rule, ...] = (
    config_file_missing,
    config_unparseable,
    profile_not_found,
    unreadable_config,
)
