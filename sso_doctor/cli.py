"""The `sso-doctor` command line. Machine formats go to stdout, progress and errors to stderr.

Exit codes (ruff/ESLint convention): 0 nothing at or above --fail-on; 1 findings at or above it, or a
rule crashed; 2 a usage error or a failure before any report.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from sso_doctor import __version__, reporters, stdout

app = typer.Typer(
    name="sso-doctor",
    help="Diagnose AWS IAM Identity Center (AWS SSO) setups: config files, token cache, environment, "
    "network and access. Every finding comes with the command that fixes it.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,  # never print locals: they can hold tokens
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class Format(str, enum.Enum):
    text = "text"
    json = "json"


class FixShell(str, enum.Enum):
    """The shells fix commands are rendered for (sso_doctor.fixes.SHELLS)."""

    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"
    cmd = "cmd"


_SHELL_HELP = ("Write fix commands for this shell (bash, zsh, fish, powershell, cmd). Default: detected "
               "(Windows: the parent process, Git Bash, PSModulePath, ComSpec; elsewhere $SHELL).")


class Color(str, enum.Enum):
    auto = "auto"
    always = "always"
    never = "never"


def use_color(choice: str, env: os._Environ[str] | dict[str, str], is_tty: bool) -> bool:
    """--color always/never decide; auto: NO_COLOR (set, non-empty) turns colour off, FORCE_COLOR (set,
    not "0") turns it on, else colour only on a terminal that is not TERM=dumb (no-color.org,
    force-color.org)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force is not None and force.strip().lower() not in ("0", "false", "no"):
        return True
    return is_tty and env.get("TERM") != "dumb"


class UsageProblem(Exception):
    """A problem with what the user asked for: exit 2 with a one-line message."""


def _now_from_env() -> dt.datetime | None:
    # A fixed clock for reproducing a report (and for the test-suite's subprocess runs).
    raw = os.environ.get("SSO_DOCTOR_NOW")
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UsageProblem(f"SSO_DOCTOR_NOW={raw!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _die(message: str, code: int = 2) -> typer.Exit:
    typer.echo(_safe(f"sso-doctor: {message}"), err=True)
    return typer.Exit(code)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"sso-doctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", "-V", callback=_version_callback, is_eager=True,
                     help="Show the version and exit."),
    ] = None,
) -> None:
    """Diagnose AWS IAM Identity Center (AWS SSO) setups."""


# --format choices follow the reporters' table (sso_doctor/reporters/__init__.py).
ReportFormat = enum.Enum("ReportFormat", {name: name for name in reporters.names()}, type=str)  # type: ignore[misc]


@app.command()
def check(
    files: Annotated[
        Optional[list[Path]],
        typer.Argument(help="AWS config or credentials files to lint, like --config (a file whose name contains "
                       "'credentials' is taken as a credentials file). pre-commit passes the staged ones.",
                       show_default=False),
    ] = None,
    profile: Annotated[
        Optional[list[str]],
        typer.Option("--profile", "-p", help="Profile to check (repeatable). Default: AWS_DEFAULT_PROFILE, "
                     "then AWS_PROFILE, then 'default', as botocore resolves them."),
    ] = None,
    all_profiles: Annotated[bool, typer.Option("--all-profiles", help="Check every SSO profile.")] = False,
    config_file: Annotated[
        Optional[Path],
        typer.Option("--config", help="Lint this AWS config file (e.g. one kept in a repository) instead of this "
                     "machine's. Only the config-file rules run, every profile is checked, paths are shown "
                     "relative to the working directory. The 'credentials' file beside it is read if present."),
    ] = None,
    credentials_file: Annotated[
        Optional[Path], typer.Option("--credentials", help="The credentials file to lint with --config.")
    ] = None,
    offline: Annotated[
        Optional[bool],
        typer.Option("--offline/--online", help="--offline skips every check that needs the network. With "
                     "--config, --online also runs the checks of this machine (token cache, CLI, network).",
                     show_default=False),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Output format (markdown: a report to paste into a "
                                   "ticket, identifiers replaced by placeholders).")
    ] = ReportFormat.text,  # type: ignore[attr-defined]
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the report to this file instead of stdout.")
    ] = None,
    fail_on: Annotated[
        Optional[FailOn],
        typer.Option("--fail-on", help="Lowest severity that makes the exit code 1. [default: error]",
                     show_default=False),
    ] = None,
    select: Annotated[
        Optional[list[str]],
        typer.Option("--select", help="Run only these rules: id (SSO201), prefix (SSO2) or slug. Repeatable, "
                     "or comma-separated."),
    ] = None,
    extend_select: Annotated[
        Optional[list[str]], typer.Option("--extend-select", help="Add these rules to the selected ones.")
    ] = None,
    ignore: Annotated[
        Optional[list[str]], typer.Option("--ignore", help="Skip these rules (id, prefix or slug).")
    ] = None,
    severity: Annotated[
        Optional[list[str]],
        typer.Option("--severity", help="Override a rule's severity, e.g. SSO121=warning (repeatable)."),
    ] = None,
    timeout: Annotated[
        Optional[float],
        typer.Option("--timeout", min=0.1, help="Time budget in seconds for all online checks together. "
                     "[default: 5]", show_default=False),
    ] = None,
    baseline: Annotated[
        Optional[Path],
        typer.Option("--baseline", help="Ignore the findings listed in this baseline file: fail only on new ones."),
    ] = None,
    write_baseline: Annotated[
        Optional[Path],
        typer.Option("--write-baseline", help="Write the current findings to this baseline file (exit 0 unless "
                     "a check crashed)."),
    ] = None,
    show_settings: Annotated[
        bool, typer.Option("--show-settings", help="Print the merged settings and where each value came from, "
                           "then exit.")
    ] = False,
    isolated: Annotated[
        bool, typer.Option("--isolated", help="Ignore the user and project settings files.")
    ] = False,
    settings_file: Annotated[
        Optional[Path],
        typer.Option("--settings", help="Apply this settings file (.sso-doctor.toml, or a pyproject.toml's "
                     "[tool.sso-doctor]) in place of the project file. A project file found in the working "
                     "directory applies only when linting files; a check of this machine uses project settings "
                     "only when given here.", show_default=False),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show passing and skipped checks, evidence "
                                          "and tracebacks.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="One line per finding, nothing else: "
                                        "path:line:col: SSO123 message.")] = False,
    color: Annotated[
        Color, typer.Option("--color", help="Colour the text report: auto (on a terminal, unless NO_COLOR is set; "
                            "FORCE_COLOR forces it), always or never.")
    ] = Color.auto,
    redact: Annotated[
        Optional[bool],
        typer.Option("--redact/--no-redact", help="Replace account ids, start URLs, user and host names with "
                     "stable placeholders (default: on for markdown, off otherwise). Secrets are always masked."),
    ] = None,
    shell: Annotated[Optional[FixShell], typer.Option("--shell", help=_SHELL_HELP, show_default=False)] = None,
) -> None:
    """Check this machine's AWS SSO setup (or lint the given AWS config files) and print what is wrong,
    with the commands that fix it. Settings: the user file, and [tool.sso-doctor] in pyproject.toml or
    .sso-doctor.toml when linting files (--settings FILE for a check of this machine)."""
    from sso_doctor import runner
    from sso_doctor import settings as settings_mod

    fmt = output_format.value
    try:
        request = runner.CheckRequest(
            profiles=tuple(profile or ()),
            all_profiles=all_profiles,
            offline=offline,
            output_format=fmt,
            fail_on=fail_on.value if fail_on is not None else None,
            select=_split(select) or None,
            extend_select=_split(extend_select) or None,
            ignore=_split(ignore) or None,
            severity=tuple(severity or ()),
            timeout=timeout,
            verbose=verbose,
            quiet=quiet,
            redact=redact,
            now=_now_from_env(),
            config_file=str(config_file) if config_file else None,
            credentials_file=str(credentials_file) if credentials_file else None,
            files=tuple(str(f) for f in files or ()),
            baseline=str(baseline) if baseline else None,
            write_baseline=str(write_baseline) if write_baseline else None,
            isolated=isolated,
            shell=shell.value if shell is not None else None,
            settings_file=str(settings_file) if settings_file else None,
        )
        if show_settings:
            resolved = runner.resolve_settings(request)
            typer.echo(settings_mod.show_json(resolved) if fmt == "json" else settings_mod.show(resolved), nl=False)
            raise typer.Exit(0)
        from sso_doctor import progress

        with progress.shown():
            outcome = runner.check(request)
    except (UsageProblem, runner.RequestError) as e:
        raise _die(str(e)) from None

    colored = fmt == "text" and use_color(color.value, os.environ, output is None and sys.stdout.isatty())
    text = outcome.render(color=colored)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise _die(f"cannot write the report to {output}: {e.strerror or e}") from None
    else:
        stdout.write(text, fmt)
    if write_baseline is not None:
        from sso_doctor.text import plural

        typer.echo(_safe(f"sso-doctor: wrote {plural(len(outcome.report.findings), 'finding')} to the baseline "
                         f"{write_baseline}"), err=True)
    raise typer.Exit(outcome.exit_code)


def _split(values: Optional[list[str]]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(out)


class Shell(str, enum.Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"
    pwsh = "pwsh"


@app.command("completion")
def completion_command(
    shell: Annotated[Shell, typer.Argument(help="The shell to complete in.")],
) -> None:
    """Print the shell completion script (typer's) for bash, zsh, fish or PowerShell.

    bash: `sso-doctor completion bash > ~/.local/share/bash-completion/completions/sso-doctor`;
    zsh: `sso-doctor completion zsh > "${fpath[1]}/_sso-doctor"`; fish: `sso-doctor completion fish >
    ~/.config/fish/completions/sso-doctor.fish`; PowerShell: `sso-doctor completion powershell >> $PROFILE`.
    (`sso-doctor --install-completion` does this for the shell you run.)"""
    from typer.completion import get_completion_script

    typer.echo(get_completion_script(prog_name="sso-doctor", complete_var="_SSO_DOCTOR_COMPLETE",
                                     shell=shell.value))


@app.command("rules")
def list_rules(
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """List every rule: id, slug, default severity, what it needs, and what it checks."""
    import json

    from sso_doctor.rules import ALL_RULES

    if output_format == Format.json:
        from sso_doctor.reporters.json_report import SCHEMA_VERSION

        rows = [
            {"id": r.id, "slug": r.slug, "severity": r.severity.label, "area": r.area,
             "needs": sorted(r.needs), "requires": list(r.requires), "summary": r.summary}
            for r in ALL_RULES
        ]
        typer.echo(json.dumps({"schema_version": SCHEMA_VERSION, "tool": {"name": "sso-doctor", "version": __version__},
                               "rules": rows}, indent=2))
        return
    table = [("ID", "SLUG", "SEVERITY", "NEEDS", "SUMMARY")]
    table += [(r.id, r.slug, r.severity.label, ",".join(sorted(r.needs)) or "-", r.summary) for r in ALL_RULES]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4])


@app.command()
def explain(
    what: Annotated[str, typer.Argument(help="A rule id (SSO201), a slug (not-logged-in), or an error message "
                                        "you saw, in quotes; `-` reads the message (or a whole terminal "
                                        "session) from stdin.")],
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    shell: Annotated[Optional[FixShell], typer.Option("--shell", help=_SHELL_HELP, show_default=False)] = None,
) -> None:
    """Show a rule's documentation, or tell which rules explain a pasted error message."""
    import re

    from sso_doctor.rules import ALL_RULES, find
    from sso_doctor.text import did_you_mean

    if what == "-":
        raw = sys.stdin.buffer.read()
        what = raw.decode("utf-8", errors="replace")
        if not what.strip():
            raise _die("nothing on stdin: paste the error message, then end with Ctrl-D.")
    r = find(what.strip()) if len(what) < 100 else None
    if r is not None:
        if output_format == Format.json:
            _echo_json({"schema_version": 1, "tool": _tool(), "kind": "rule", "rule": {
                "id": r.id, "slug": r.slug, "severity": r.severity.label, "area": r.area,
                "needs": sorted(r.needs), "summary": r.summary, "doc": r.doc}})
            return
        needs = ", ".join(sorted(r.needs)) or "nothing"
        from sso_doctor import fixes
        from sso_doctor.platform import for_run

        chosen = shell.value if shell is not None else for_run(os.environ).shell
        typer.echo(f"{r.id} {r.slug} (default severity: {r.severity.label}; needs: {needs})\n")
        if r.requires:
            from sso_doctor.requirements import describe

            typer.echo("Runs only when " + "; ".join(describe(x) for x in r.requires) + ".\n")
        typer.echo(fixes.render_doc(r.doc, chosen))
        return
    if re.fullmatch(r"(?i)sso\d{1,4}|[a-z0-9]+(-[a-z0-9]+)+", what.strip()):
        hint = did_you_mean(what, [x.id for x in ALL_RULES] + [x.slug for x in ALL_RULES])
        raise _die(f"no rule is called {what!r}.{hint} `sso-doctor rules` lists them.")
    _explain_error_text(what, output_format)


def _tool() -> dict[str, str]:
    return {"name": "sso-doctor", "version": __version__}


def _echo_json(doc: object, *, mask: bool = False) -> None:
    """JSON on stdout, control characters escaped; with `mask`, every string value masked (a pasted
    message may carry tokens and URL passwords)."""
    import json

    from sso_doctor.redact import redact_all
    from sso_doctor.safe_text import deep, json_escape_c1

    typer.echo(json_escape_c1(json.dumps(deep(doc, redact_all) if mask else doc, indent=2, ensure_ascii=False)))


def _explain_error_text(text: str, output_format: Format = Format.text) -> None:
    from sso_doctor import error_match
    from sso_doctor.rules import by_id

    rules = by_id()
    result = error_match.explain(text)
    command = error_match.redact_pasted(result.pasted.command) if result.pasted.command else None
    next_check = error_match.next_check(result, rules) if result.recognised else None
    if output_format == Format.json:
        _echo_json({
            "schema_version": 1, "tool": _tool(), "kind": "error_text",
            "recognised": result.recognised, "profile": result.pasted.profile, "command": command,
            "next": next_check, "recognition_threshold": error_match.RECOGNISED,
            "candidates": [
                {"rule": c.rule, "slug": rules[c.rule].slug if c.rule in rules else "",
                 "summary": rules[c.rule].summary if c.rule in rules else "", "confidence": c.confidence,
                 "pattern": c.pattern, "source": c.src, "cause": c.cause, "excerpt": c.excerpt}
                for c in result.candidates
            ],
        }, mask=True)
        raise typer.Exit(0 if result.recognised else 1)

    def label(rule_id: str) -> str:
        rule = rules.get(rule_id)
        return f"{rule_id} {rule.slug}: {rule.summary}" if rule else rule_id

    if not result.recognised:
        typer.echo("sso-doctor does not recognise this message as an AWS SSO problem.")
        if result.candidates:
            typer.echo("\nNearest known messages (none matched; shown for orientation only):")
            for c in result.candidates:
                typer.echo(f"    {label(c.rule)} (confidence {c.confidence:.2f})")
        typer.echo("\nRun `sso-doctor check` to look for problems anyway, or `sso-doctor rules` for what it checks.")
        raise typer.Exit(1)
    typer.echo("This message is explained by, most likely first:\n")
    for c in result.candidates:
        typer.echo(f"- {label(c.rule)} (confidence {c.confidence:.2f})")
    causes = list(dict.fromkeys(c.cause for c in result.candidates))
    typer.echo("\nWhy this message happens:")
    for cause in causes:
        typer.echo(f"    {cause}")
    if result.pasted.command:
        typer.echo(f"\nThe failing command: {_safe(command or '')}")
    typer.echo(f"\nConfirm on this machine:\n    {_safe(next_check or '')}")
    typer.echo(f"Details of a rule:\n    sso-doctor explain {result.candidates[0].rule}")


@app.command(
    "run",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False},
    options_metavar="[--online] -- CMD [ARGS]...",
)
def run_command(
    ctx: typer.Context,
    online: Annotated[bool, typer.Option("--online", help="Let the diagnosis use the network (portal, "
                                         "endpoints). Default: offline.")] = False,
) -> None:
    """Run a command (`sso-doctor run -- CMD [ARGS...]`) exactly as it is; when it fails with an AWS SSO
    error, print on stderr which rule explains it, checked for the profile it used, with the fix. Exits
    with the command's own exit code; on success it adds nothing."""
    from sso_doctor import wrap

    argv = list(ctx.args)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise _die("give the command to run after `--`, e.g. `sso-doctor run -- aws s3 ls`.")
    result = wrap.run(argv, online=online)
    if result.signal:
        # end the way the command ended, so a shell or CI runner sees the same signal
        import signal as _signal

        sys.stdout.flush()
        sys.stderr.flush()
        try:
            _signal.signal(result.signal, _signal.SIG_DFL)
            os.kill(os.getpid(), result.signal)
        except (OSError, ValueError):
            pass
    raise typer.Exit(result.code)


# --- sessions (token cache overview) ---------------------------------------------------------------


@app.command("sessions")
def sessions_command(
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also show each cache file (its SHA-1 name), "
                                          "region, start URL and client registration.")] = False,
    shell: Annotated[Optional[FixShell], typer.Option("--shell", help=_SHELL_HELP, show_default=False)] = None,
) -> None:
    """A table of every sso-session, legacy start URL, profile pointing at a missing sso-session and cached
    SSO token: state, expiry, whether botocore can refresh it, the profiles, and the exact login command.
    Read-only; never prints a token."""
    from sso_doctor import sessions
    from sso_doctor.context import Context, RunSettings

    try:
        ctx = Context(RunSettings(extra={"shell": shell.value} if shell is not None else {}), now=_now_from_env())
    except UsageProblem as e:
        raise _die(str(e)) from None
    stdout.write(sessions.render(ctx, output_format.value, verbose=verbose), output_format.value)


# --- discover / triage (administrator commands) ----------------------------------------------------


@app.command()
def discover(
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="An administrator profile "
                       "(management or delegated-administrator account).")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Where to look for the instance "
                      "(default: the profile's region).")] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    session_name: Annotated[str, typer.Option("--session-name", help="Name for the generated [sso-session].")] = "my-sso",
    timeout: Annotated[
        Optional[float],
        typer.Option("--timeout", min=0.1, help="Time budget in seconds for all the AWS calls together, as for "
                     "`check`. [default: 30]", show_default=False),
    ] = None,
) -> None:
    """Find the Identity Center instance, its portal URL, accounts and permission sets, and print a
    ready [sso-session] block for ~/.aws/config."""
    import json

    from sso_doctor import admin, progress
    from sso_doctor.safe_text import deep, escape_controls, json_escape_c1

    ctx = _admin_context()
    try:
        with progress.shown():
            found = admin.discover(profile, region, budget=timeout or admin.DEFAULT_BUDGET, secrets=ctx.secrets)
    except admin.AdminError as e:
        raise _die(str(e)) from None
    for note in found.notes:
        typer.echo(_safe(f"sso-doctor: {note}", ctx), err=True)
    block = found.sso_session_block(session_name)
    if output_format == Format.json:
        doc = deep({
            "region": found.region,
            "instances": [{"instance_arn": i.arn, "identity_store_id": i.identity_store_id,
                           "owner_account_id": i.owner_account_id, "name": i.name, "portal_url": i.portal_url}
                          for i in found.instances],
            "accounts": [{"id": a.id, "name": a.name, "status": a.status} for a in found.accounts],
            "accounts_error": found.accounts_error,
            "permission_sets": [{"name": p.name, "arn": p.arn, "session_duration": p.session_duration}
                                for p in found.permission_sets],
            "sso_session_block": block,
        }, ctx.secrets.redact)
        typer.echo(json_escape_c1(json.dumps(doc, indent=2)))
        raise typer.Exit(0 if found.instances else 1)

    def shown(value: object) -> str:
        return escape_controls(ctx.secrets.redact(str(value)))

    if not found.instances:
        typer.echo(f"No IAM Identity Center instance in {shown(found.region)}: try the home region (--region) or a "
                   "management / delegated-administrator profile (--profile).")
        raise typer.Exit(1)
    for inst in found.instances:
        typer.echo(f"IAM Identity Center in {shown(found.region)}")
        typer.echo(f"  instance        {shown(inst.arn)}")
        typer.echo(f"  identity store  {shown(inst.identity_store_id)}")
        typer.echo(f"  owner account   {shown(inst.owner_account_id or '-')}")
        typer.echo(f"  portal URL      {shown(inst.portal_url)}")
    typer.echo(f"\nAccounts ({len(found.accounts)})")
    if found.accounts_error:
        typer.echo(f"  (could not list the organization: {shown(found.accounts_error)})")
    for a in found.accounts:
        typer.echo(f"  {shown(a.id)}  {shown(a.name)}")
    typer.echo(f"\nPermission sets ({len(found.permission_sets)})")
    for p in found.permission_sets:
        typer.echo(f"  {shown(p.name):<30} {shown(p.session_duration or '-'):<8} {shown(p.arn)}")
    typer.echo("\nAdd this to ~/.aws/config, then run `aws configure sso --profile <name>`:\n")
    typer.echo(escape_controls(ctx.secrets.redact(block or ""), keep_newlines=True))


def _admin_context():
    """This machine's facts for an admin command: only to register its secrets (environment, config
    files, token cache), so no message of the walk can echo one."""
    from sso_doctor.context import Context

    ctx = Context(now=_now_from_env())
    _ = (ctx.environment, ctx.config, ctx.token_cache)
    return ctx


def _safe(text: str, ctx=None, *, keep_newlines: bool = False) -> str:
    """Text for the terminal: secrets masked, control characters escaped (newlines too, unless the text
    is several lines by construction, such as a traceback)."""
    from sso_doctor.redact import redact_all
    from sso_doctor.safe_text import escape_controls

    text = ctx.secrets.redact(text) if ctx is not None else text
    return escape_controls(redact_all(text), keep_newlines=keep_newlines)


@app.command()
def triage(
    user: Annotated[str, typer.Option("--user", help="The user's user name or email.")],
    account: Annotated[str, typer.Option("--account", help="The account id or name.")],
    permission_set: Annotated[str, typer.Option("--permission-set", help="The permission set name.")],
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="An administrator profile "
                       "(management or delegated-administrator account).")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="The Identity Center home region "
                      "(default: the profile's region).")] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show passing checks too.")] = False,
    timeout: Annotated[
        Optional[float],
        typer.Option("--timeout", min=0.1, help="Time budget in seconds for all the AWS calls of the walk together, "
                     "as for `check`. [default: 30]", show_default=False),
    ] = None,
) -> None:
    """Find out why a user can't use a permission set on an account, and print the command that fixes it."""
    import json

    from sso_doctor import admin, progress, runner

    request = admin.TriageRequest(profile, region, user, account, permission_set)
    with progress.shown():
        outcome = runner.check(runner.CheckRequest(
            output_format=output_format.value, verbose=verbose, extra={"triage": request}, now=_now_from_env(),
            # a project's select/ignore is about `check`; triage always runs its own rules
            isolated=True, select=("SSO7",), timeout=timeout or admin.DEFAULT_BUDGET))
    facts = outcome.context.triage
    mask = outcome.redact
    if facts.error and not facts.checked:
        raise _die(mask(facts.error))
    for note in facts.notes:
        typer.echo(_safe(f"sso-doctor: {mask(note)}"), err=True)
    text = outcome.render(color=False)
    verdict = mask(_verdict_text(facts))
    if output_format == Format.json:
        from sso_doctor.safe_text import json_escape_c1

        doc = json.loads(text)
        doc["verdict"] = {"status": facts.verdict, "text": verdict,
                          "error": mask(facts.error) if facts.error else None}
        text = json_escape_c1(json.dumps(doc, indent=2)) + "\n"
    else:
        text += f"\nVerdict: {_safe(verdict)}\n"
    stdout.write(text, output_format.value)
    if facts.error:
        typer.echo(_safe(f"sso-doctor: the walk stopped early: {mask(facts.error)}"), err=True)
    raise typer.Exit(outcome.exit_code if not facts.error else 2)


def _verdict_text(facts) -> str:
    r = facts.request
    if facts.verdict == "assigned":
        how = "directly" if facts.direct_assignment else "through group " + ", ".join(
            g.name for g in facts.group_assignments)
        return f'assigned: "{r.user}" can use "{r.permission_set}" on {facts.account.id} ({how}).'
    if facts.verdict == "not-assigned":
        return f'not assigned: "{r.user}" has no assignment of "{r.permission_set}" on {facts.account.id}; see SSO705.'
    if facts.verdict == "not-provisioned":
        if facts.provisioning == "outdated":
            return (f'outdated: the assignment exists, but "{r.permission_set}" changed after it was provisioned to '
                    f"{facts.account.id}; see SSO706.")
        return f'not provisioned: the assignment exists but "{r.permission_set}" is not provisioned; see SSO706.'
    return "incomplete: fix the findings above and run triage again."


def main() -> None:
    """Console-script entry point: typer's own exit codes, and no traceback for unexpected errors."""
    stdout.protect(sys.stdout)  # a cp1252 or ASCII stdout gets ASCII marks, never a UnicodeEncodeError
    stdout.protect(sys.stderr)
    try:
        app(prog_name="sso-doctor")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("sso-doctor: interrupted\n")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last line of defence against a traceback for users
        sys.stderr.write(f"sso-doctor: internal error ({type(e).__name__}); run with -v and report it\n")
        if "-v" in sys.argv or "--verbose" in sys.argv:
            sys.stderr.write(_safe("".join(traceback.format_exception(type(e), e, e.__traceback__)),
                                   keep_newlines=True))
        sys.exit(2)
