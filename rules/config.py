"""SSO1xx: the AWS config and credentials files, read exactly as botocore reads them (offline)."""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from sso_doctor import fixes
from sso_doctor.context import Context
from sso_doctor.fixes import Edit
from sso_doctor.loaders.aws_config import AwsConfig, ParsedFile, Profile, Section, Value
from sso_doctor.model import Command, Finding, Location, Rule, Severity, SkipRule, fix, manual, rule
from sso_doctor.text import closest, name_list, shell_quote, suggestion


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
        from sso_doctor.rules.engine import fresh_machine

        if fresh_machine(ctx):
            # one cause, one finding: on a machine with no AWS setup at all SSO002 says it, with this fix
            raise SkipRule("nothing is configured on this machine yet (see SSO002)")
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

        tail -c +4 ~/.aws/config > ~/.aws/config.nobom && mv ~/.aws/config.nobom ~/.aws/config

    A file saved by Notepad as "Unicode" is UTF-16: convert it (`iconv -f UTF-16 -t UTF-8`), or on
    Windows save it again from Notepad with Encoding "UTF-8" (not "UTF-8 with BOM").

    ## Example
        ✗ SSO102 config-unparseable: ~/.aws/config:14: section [profile dev] appears twice.
    """
    for f in _files(ctx):
        if f.state != "unparseable" or f.problem is None:
            continue
        shown = ctx.show_path(f.path)
        if f.problem.refused:  # botocore would read it: say what was not checked, not that it is broken
            yield config_unparseable.finding(
                f"sso-doctor did not read the {f.role} file ({shown}): {f.problem.cause}. Nothing in it was "
                "checked; botocore reads the whole file again for every session it creates.",
                fix(f"Check what wrote {shown} (a generator or a merge that repeats itself) and shrink it.",
                    manual(f"edit {shown}")),
                location=Location(path=str(f.path)),
                severity=Severity.WARNING,
            )
            continue
        where = f"{shown}:{f.problem.line}" if f.problem.line else shown
        commands: list = []
        q = shell_quote(str(f.path))
        if "UTF-16" in f.problem.cause:
            if ctx.platform in ("win32", "cygwin"):
                commands.append(manual(f'open {shown} in Notepad, then File > Save As with Encoding "UTF-8" '
                                       '(not "UTF-8 with BOM")'))
            else:
                commands.append(fixes.sh(f"iconv -f UTF-16 -t UTF-8 {q} > {q}.utf8 && mv {q}.utf8 {q}"))
        elif "byte-order mark" in f.problem.cause:
            if ctx.platform in ("win32", "cygwin"):
                commands.append(manual(f'open {shown} in Notepad, then File > Save As with Encoding "UTF-8" '
                                       '(not "UTF-8 with BOM")'))
            else:
                # tail drops the 3 BOM bytes with GNU and BSD (macOS) tools alike; `sed -i` differs between them
                commands.append(fixes.sh(f"tail -c +4 {q} > {q}.nobom && mv {q}.nobom {q}"))
        else:
            commands.append(manual(f"edit {where}"))
        yield config_unparseable.finding(
            f"botocore cannot parse the {f.role} file ({where}): {f.problem.cause}. Every AWS CLI and SDK "
            "call fails with 'Unable to parse config file'.",
            fix(f"Save {shown} as UTF-8 without a byte-order mark." if "UTF-16" in f.problem.cause
                or "byte-order mark" in f.problem.cause
                else f"Edit line {f.problem.line} of {shown}." if f.problem.line else f"Repair {shown}.", *commands),
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


@rule("SSO104", "profile-not-found", Severity.ERROR, needs=("config", "env"), requires=("parsed_config",))
def profile_not_found(ctx: Context) -> Iterator[Finding]:
    """A selected profile does not exist in the config or credentials file.

    ## What it checks
    The profiles this run is about (`--profile`, else `AWS_DEFAULT_PROFILE`, then `AWS_PROFILE`, as
    botocore resolves them, else `default`) must exist in one of the two files. The finding names the
    closest existing profile names, and a section that looks meant for the profile but that botocore
    ignores (`[dev]` or `[Profile dev]` in the config file, see SSO103).

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
        message += suggestion(hints)
        message += _ignored_hint(ctx, ignored_sections(cfg), "profile", name)
        commands: list = ["aws configure list-profiles"]
        if hints and source != "--profile":
            # "did you mean" is a guess (✎), and it goes in the variable that chose the profile:
            # AWS_DEFAULT_PROFILE outranks AWS_PROFILE, so exporting AWS_PROFILE would change nothing
            var = source if source in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") else "AWS_PROFILE"
            commands.append(fixes.setenv(var, hints[0], safe=False))
        yield profile_not_found.finding(
            message,
            fix("Select a profile that exists.", *commands),
            subject=name,
            location=Location(env_var=source if source.startswith("AWS_") else None,
                              path=str(cfg.config.path)),
        )


@rule("SSO123", "no-profile-selected", Severity.WARNING, needs=("config", "env"), requires=("parsed_config",))
def no_profile_selected(ctx: Context) -> Iterator[Finding]:
    """Nothing selects a profile and there is no `default` profile, while SSO profiles exist.

    ## What it checks
    No `--profile`, no `AWS_PROFILE` and no `AWS_DEFAULT_PROFILE`, so botocore and the AWS CLI fall
    back to the profile `default`; neither the config file nor the credentials file has one; and the
    config file does hold SSO profiles. The finding lists them.

    ## Why it matters
    `aws sso login` and every AWS command run without `--profile` fail with
    `The config profile (default) could not be found`, although the SSO setup itself may be fine.
    Users who just ran `aws configure sso` (which names the profile after the role and account)
    meet this first.

    ## How to fix
    Select one of the SSO profiles for this shell, or pass it to each command:
        export AWS_PROFILE=<profile>
        aws sso login --profile <profile>

    ## Example
        ! SSO123 no-profile-selected: No profile is selected and there is no [default] profile, so
          `aws sso login` and AWS commands without --profile fail with "The config profile (default)
          could not be found". SSO profiles here: "dev" and "prod".
    """
    cfg = ctx.parsed_config()
    if ctx.selection_source != "default" or "default" in cfg.profiles:
        return
    sso = [p.name for p in cfg.sso_profiles if p.uses_sso_credentials]
    if not sso:
        return
    first = sso[0]
    only = len(sso) == 1
    yield no_profile_selected.finding(
        "No profile is selected (no --profile, AWS_PROFILE or AWS_DEFAULT_PROFILE) and there is no [default] "
        f"profile in {ctx.show_path(cfg.config.path)}, so `aws sso login` and AWS commands without --profile fail "
        f'with "The config profile (default) could not be found". SSO profiles here: {name_list(sso)}.',
        fix("Select an SSO profile for this shell (or pass --profile to each command), then log in with it.",
            fixes.setenv("AWS_PROFILE", first, safe=only,
                         comment=None if only else f"or another of: {name_list(sso[1:], quote=False)}"),
            dataclasses.replace(ctx.login_command(profile=first), safe=only)),
        subject="default",
        location=Location(path=str(cfg.config.path)),
        evidence={"sso profiles": ", ".join(sso[:20])},
    )


# --- shared helpers for the file-level SSO rules ---------------------------------------------------

# The two keys that make botocore's SSO credential provider take a profile, in the order botocore
# lists them when they are missing (SSOProvider._PROFILE_REQUIRED_CONFIG_VARS).
_ROLE_KEYS = ("sso_role_name", "sso_account_id")
# Values that are never shown in a message, whatever rule looks at them.
_SECRET_KEYS = frozenset({"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token"})
# Sections of the config file that are not profiles and that the AWS CLI itself reads
# (awscli: `session.full_config.get("plugins")` loads CLI plugins, `.get("preview")` enables preview
# services; `aws configure set preview.cloudsearch true` writes the latter).
_AWS_CLI_SECTIONS = frozenset({"plugins", "preview"})


def _group(items: Iterable[tuple[object, Profile]]) -> dict[object, list[Profile]]:
    """Profiles grouped by a key, keys and profiles in first-seen (file) order."""
    out: dict[object, list[Profile]] = {}
    for key, p in items:
        out.setdefault(key, []).append(p)
    return out


def _profiles_evidence(profiles: Sequence[Profile], **extra: str) -> dict[str, str]:
    """Evidence naming every profile a finding covers (the message names only the first few)."""
    return {"profiles": [p.name for p in profiles], **extra}


def _subject_phrase(profiles: Sequence[Profile]) -> str:
    names = [p.name for p in profiles]
    return f"Profile {name_list(names)}" if len(names) == 1 else f"Profiles {name_list(names)}"


def _profile_home(cfg: AwsConfig, p: Profile) -> tuple[Path, Section | None]:
    """The file and section a profile is defined in (the config file's, else the credentials file's)."""
    if p.config_section is not None:
        return cfg.config.path, p.config_section
    return cfg.credentials.path, p.credentials_section


def _profile_location(cfg: AwsConfig, p: Profile) -> Location:
    """A profile's section header: where missing keys have to be added."""
    path, section = _profile_home(cfg, p)
    return Location(path=str(path), line=section.line if section else None,
                    section=section.header if section else None)


def _value_location(v: Value) -> Location:
    return Location(path=str(v.path), line=v.line, section=v.section, key=v.key)


def _section_location(path: Path, s: Section) -> Location:
    return Location(path=str(path), line=s.line, section=s.header)


def _shown(key: str, value: object) -> str:
    """A config value for a message: never a credential, nested blocks summarised."""
    if key in _SECRET_KEYS:
        return "****"
    if isinstance(value, dict):
        return "(an indented block)"
    return str(value)


def _at(ctx: Context, path: Path | str, line: int | None) -> str:
    return f"{ctx.show_path(path)}:{line}" if line else ctx.show_path(path)


def _old(key: str, value: object) -> str | None:
    """An edit's record of the value it replaces: never a credential, never a nested block."""
    return value if isinstance(value, str) and key not in _SECRET_KEYS and key != "credential_process" else None


def _set(v: Value, new: str, *, safe: bool = True) -> Edit:
    """Change the value of an existing key where it is written."""
    return Edit(str(v.path), "set", v.section, v.key, old=_old(v.key, v.value), new=new, safe=safe)


def _add(path: Path | str, section: str, key: str, new: str, *, safe: bool = True) -> Edit:
    """Add a key to a section (the key is not in it)."""
    return Edit(str(path), "set", section, key, new=new, safe=safe)


def _delete(v: Value, *, safe: bool = True) -> Edit:
    return Edit(str(v.path), "delete", v.section, v.key, old=_old(v.key, v.value), safe=safe)


def _is_placeholder(value: str | None) -> bool:
    return bool(value) and value.startswith("<") and value.endswith(">")


def _explicitly_selected(ctx: Context) -> frozenset[str]:
    """Profiles the user chose (--profile, AWS_DEFAULT_PROFILE, AWS_PROFILE or the implicit default),
    not the blanket --all-profiles selection."""
    return frozenset() if ctx.settings.all_profiles else frozenset(ctx.selected_names)


def _sso_session_name(p: Profile) -> str | None:
    """The profile's sso_session reference, or None for legacy profiles (and unusable nested values)."""
    return p.sso_session


# --- section names botocore drops or misreads (SSO103, and hints for SSO104/SSO105) -------------------


class IgnoredSection(NamedTuple):
    """A section of the config or credentials file that does not become what it looks like."""

    path: Path
    section: Section
    problem: str  # a key of _SECTION_PROBLEMS
    kind: str  # what it was meant to be: profile, sso-session, services
    name: str | None  # the name it was meant to have, when we can tell
    suggestion: str | None  # the header to rename it to, e.g. 'profile dev'
    other: Section | None = None  # for "shadowed": the section that replaces it


_SECTION_PROBLEMS = {
    "no-prefix": "in the config file every profile but [default] needs the `profile ` prefix",
    "case": "section names are case-sensitive",
    "spelling": "the section prefix is misspelled",
    "padding": "botocore does not ignore spaces inside the brackets",
    "glued": "the prefix and the name must be separated by a space",
    "spaces": "a name with spaces must be quoted, otherwise botocore drops the section",
    "comment": "botocore does not strip comments from section headers",
    "quote": "an unbalanced quote makes botocore drop the section",
    "no-name": "the section has no name",
    "shadowed": "a later section maps to the same name and replaces it whole",
    "creds-profile": "credentials-file sections take the bare profile name; with the prefix they make a profile "
                     "literally named \"profile NAME\"",
    "creds-sso-session": "[sso-session] sections are read only from the config file",
}


def _header_for(prefix: str, name: str) -> str:
    """The section header botocore maps to (prefix, name), quoting the name only when it has to."""
    try:
        if shlex.split(f"{prefix} {name}") == [prefix, name]:
            return f"{prefix} {name}"
    except ValueError:
        pass
    if '"' not in name and "\\" not in name:
        return f'{prefix} "{name}"'
    return f"{prefix} {shlex.quote(name)}"


def _maps(header: str) -> bool:
    try:
        return len(shlex.split(header)) == 2
    except ValueError:
        return False


def _dropped_name(prefix: str, rest: str) -> tuple[str, str | None]:
    """Why `[<prefix><rest>]` is dropped by build_profile_map, and the name it was probably meant to have."""
    try:
        words = shlex.split(rest)
    except ValueError:
        name = " ".join(rest.replace('"', " ").replace("'", " ").split())
        return "quote", name or None
    problem = "spaces"
    if words and not rest[:1].isspace():  # [profilefoo], [profile-dev]
        first = words[0].lstrip("-_:.")
        words = ([first] if first else []) + words[1:]
        problem = "glued"
    for i, w in enumerate(words):
        if w.startswith(("#", ";")):
            words, problem = words[:i], "comment"
            break
    if not words:
        return "no-name", None
    return problem, " ".join(words)


_PREFIX_SPELLINGS = (
    ("sso-session", ("sso-session", "sso_session", "ssosession", "sso session")),
    ("profile", ("profile",)),
    ("services", ("services",)),
)


def _diagnose_config_header(header: str) -> tuple[str, str, str | None, str | None] | None:
    """(problem, meant kind, meant name, suggested header) for a config-file section botocore drops or
    misreads; None when botocore reads it as what it looks like."""
    if header == "default" or header in _AWS_CLI_SECTIONS:
        return None
    if header.startswith(("profile", "sso-session", "services")) and _maps(header):
        return None
    stripped = header.strip()
    if stripped != header:  # [ default ], [ profile dev]: botocore's startswith() test fails
        inner = _diagnose_config_header(stripped)
        if inner is not None or not stripped:
            return inner
        if stripped in _AWS_CLI_SECTIONS:
            return "padding", stripped, None, stripped
        kind = next((k for k in ("sso-session", "services") if stripped.startswith(k)), "profile")
        name = "default" if stripped == "default" else shlex.split(stripped)[1]
        return "padding", kind, name, stripped
    low = header.lower()
    if low == "default":
        return "case", "profile", "default", "default"
    for kind, spellings in _PREFIX_SPELLINGS:
        for spelling in spellings:
            if not low.startswith(spelling):
                continue
            rest = header[len(spelling):]
            if header.startswith(kind) and spelling == kind:  # the right prefix, yet dropped
                problem, name = _dropped_name(kind, rest)
            else:
                problem = "case" if header[: len(spelling)].lower() == kind else "spelling"
                candidate = kind + rest
                name = shlex.split(candidate)[1] if _maps(candidate) else _dropped_name(kind, rest)[1]
            return problem, kind, name, (_header_for(kind, name) if name else None)
    return "no-prefix", "profile", header, _header_for("profile", header)


def _kept_sections(cfg: AwsConfig) -> dict[int, Section]:
    """The config-file sections botocore's build_profile_map kept, by id (the last one of each name)."""
    kept: list[Section] = [p.config_section for p in cfg.profiles.values() if p.config_section is not None]
    kept += [s.section for s in cfg.sso_sessions.values()]
    kept += list(cfg.services.values())
    return {id(s): s for s in kept}


def _replacement(cfg: AwsConfig, family: str, name: str) -> Section | None:
    """The section botocore kept for a profile, sso-session or services name."""
    if family == "profile":
        return cfg.profiles[name].config_section if name in cfg.profiles else None
    if family == "sso-session":
        return cfg.sso_sessions[name].section if name in cfg.sso_sessions else None
    return cfg.services.get(name)


def ignored_sections(cfg: AwsConfig) -> list[IgnoredSection]:
    """Every section botocore drops or reads as something else, in file order (config, then credentials)."""
    out: list[IgnoredSection] = []
    config, creds = cfg.config, cfg.credentials
    if config.ok:
        kept = _kept_sections(cfg)
        for s in config.sections:
            if id(s) in kept:
                continue  # the common case: no shlex needed
            name = s.mapped_name
            if name is not None and s.kind in ("profile", "default", "sso-session", "services"):
                family = "profile" if s.kind in ("profile", "default") else s.kind
                winner = _replacement(cfg, family, name)
                # [default] vs [profile default] is SSO116's business.
                if winner is not None and not (family == "profile" and name == "default"):
                    out.append(IgnoredSection(config.path, s, "shadowed", family, name, None, winner))
                continue
            diagnosis = _diagnose_config_header(s.header)
            if diagnosis is None:
                continue
            problem, kind, meant, suggestion = diagnosis
            out.append(IgnoredSection(config.path, s, problem, kind, meant, suggestion))
    if creds.ok:
        for s in creds.sections:
            for prefix, problem in (("profile", "creds-profile"), ("sso-session", "creds-sso-session")):
                if not s.header.startswith(prefix + " "):
                    continue
                meant = s.header[len(prefix) + 1:].strip().strip("\"'") or None
                if problem == "creds-profile":
                    suggestion = meant
                else:
                    suggestion = _header_for("sso-session", meant) if meant else None
                out.append(IgnoredSection(creds.path, s, problem, prefix, meant, suggestion))
                break
    return out


def _ignored_hint(ctx: Context, ignored: Sequence[IgnoredSection], kind: str, name: str) -> str:
    """' [Profile dev] at ~/.aws/config:3 looks meant for it but ...' when such a section exists."""
    for ig in ignored:
        if ig.kind == kind and ig.name == name and ig.problem != "shadowed":
            return (f" [{ig.section.header}] at {_at(ctx, ig.path, ig.section.line)} looks meant for it but "
                    f"botocore ignores it (see SSO103).")
    return ""


@rule("SSO103", "section-ignored", Severity.WARNING, needs=("config",), requires=("parsed_config",))
def section_ignored(ctx: Context) -> Iterator[Finding]:
    """A section of the config or credentials file is silently ignored or misread by botocore.

    ## What it checks
    Every section header of both files, against the way botocore's `build_profile_map` reads them.
    In the config file a profile must be `[default]` or `[profile NAME]`: botocore drops `[dev]` (no
    prefix), `[Profile dev]` (section names are case-sensitive), `[profiledev]`, `[profile a b]`
    (more than one word, unquoted), `[profile dev # old]` (comments are not stripped from headers),
    `[profile "dev]` (unbalanced quote), `[ profile dev]`, `[sso-session]` without a name and
    `[sso_session corp]`; a section that a later one with the same name (e.g. `[profile "dev"]`)
    replaces is lost too. In the credentials file `[profile dev]` makes a profile literally named
    "profile dev", and an `[sso-session]` there is never read. `[plugins]` and `[preview]`, which the
    AWS CLI itself reads from the config file, are left alone. Sections with the same problem in one
    file are reported together.

    ## Why it matters
    botocore gives no error: the profile or sso-session simply does not exist, so you get
    `The config profile (dev) could not be found`, or an SSO profile that "loses" its settings.

    ## How to fix
    Rename the section as the finding says, e.g. in `~/.aws/config`:

        [profile dev]

    and in `~/.aws/credentials` the bare name:

        [dev]

    ## Example
        ! SSO103 section-ignored: ~/.aws/config:3: botocore ignores [Profile dev] (section names are case-sensitive); rename it to [profile dev].
    """
    cfg = ctx.parsed_config()
    groups: dict[tuple[Path, str], list[IgnoredSection]] = {}
    for ig in ignored_sections(cfg):
        groups.setdefault((ig.path, ig.problem), []).append(ig)
    for (path, problem), items in groups.items():
        shown = ctx.show_path(path)
        reason = _SECTION_PROBLEMS[problem]
        first = items[0]
        if len(items) == 1:
            where = _at(ctx, path, first.section.line)
            if problem == "shadowed" and first.other is not None:
                message = (f"{where}: botocore ignores [{first.section.header}] because [{first.other.header}] "
                           f"(line {first.other.line}) maps to the same {first.kind} \"{first.name}\" and "
                           f"replaces it whole; {_action(first, it=True)}.")
            elif problem == "creds-profile":
                message = (f"{where}: [{first.section.header}] in the credentials file makes a profile literally "
                           f"named \"{first.section.header}\", not \"{first.name}\"; {_action(first, it=True)}.")
            else:
                message = f"{where}: botocore ignores [{first.section.header}] ({reason}); {_action(first, it=True)}."
        else:
            changes = [f"[{ig.section.header}] (line {ig.section.line}) → {_target(ig)}" for ig in items]
            message = (f"botocore ignores {len(items)} sections of {shown} ({reason}): "
                       f"{name_list(changes, quote=False)}.")
        commands: list[str | Command | Edit] = []
        for ig in items:
            edits = _section_edits(cfg, ig)
            if edits is not None:
                commands += edits
            elif len([c for c in commands if not isinstance(c, Edit)]) < 5:
                commands.append(manual(f"edit {_at(ctx, path, ig.section.line)}: {_action(ig)}"))
        yield section_ignored.finding(
            message,
            fix("Rename the section so botocore reads it." if len(items) == 1 else
                "Rename the sections so botocore reads them.", *commands),
            subject=first.name or first.section.header,
            location=_section_location(path, first.section),
            evidence={"sections": [ig.section.header for ig in items]},
        )


def _section_edits(cfg: AwsConfig, ig: IgnoredSection) -> list[Edit] | None:
    """The exact edits that make botocore read the section as meant, or None when a person must decide
    (no name to give it, or a section of the target name already exists: renaming would duplicate it).

    - a misspelled header is renamed;
    - a shadowed section's keys that its replacement lacks are added to the replacement, and the
      section removed (not safe: those keys were ignored until now, a person should look at them);
    - an [sso-session] in the credentials file moves to the config file.
    """
    path = str(ig.path)
    headers = {s.header for s in (cfg.config.sections if ig.path == cfg.config.path else cfg.credentials.sections)}
    if ig.problem == "shadowed" and ig.other is not None:
        missing = [(k, e) for k, e in ig.section.entries.items()
                   if k not in ig.other.entries and isinstance(e.value, str) and e.section == ig.section.header]
        return [*(Edit(path, "set", ig.other.header, k, new=e.value, safe=False) for k, e in missing),
                Edit(path, "remove_section", ig.section.header, safe=not missing)]
    if ig.suggestion is None:
        return None
    if ig.problem == "creds-sso-session":
        if not cfg.config.ok or ig.suggestion in {s.header for s in cfg.config.sections}:
            return None
        entries = [(k, e) for k, e in ig.section.entries.items() if isinstance(e.value, str)]
        if len(entries) != len(ig.section.entries):
            return None  # a nested block: a person moves it
        return [Edit(str(cfg.config.path), "add_section", ig.suggestion),
                *(Edit(str(cfg.config.path), "set", ig.suggestion, k, new=e.value) for k, e in entries),
                Edit(path, "remove_section", ig.section.header)]
    if ig.suggestion in headers or "]" in ig.suggestion or "\n" in ig.suggestion:
        return None
    return [Edit(path, "rename_section", ig.section.header, new=ig.suggestion)]


def _target(ig: IgnoredSection) -> str:
    if ig.problem == "shadowed" and ig.other is not None:
        return f"merge into [{ig.other.header}] (line {ig.other.line})"
    if ig.problem == "creds-sso-session":
        return f"[{ig.suggestion or 'sso-session NAME'}] in the config file"
    if ig.suggestion is None:
        return f"[{ig.kind} NAME]"
    return f"[{ig.suggestion}]"


def _action(ig: IgnoredSection, it: bool = False) -> str:
    """What to do with the section; `it` refers to it as "it" (in a message that already named it)."""
    header = "it" if it else f"[{ig.section.header}]"
    if ig.problem == "shadowed" and ig.other is not None:
        return (f"merge the keys of {header} into [{ig.other.header}] (line {ig.other.line}) and delete "
                f"{'it' if it else header}")
    if ig.problem == "creds-sso-session":
        return f"move {header} to the config file as {_target(ig)}"
    if ig.suggestion is None:
        return f"give {header} a name: [{ig.kind} NAME]"
    return f"rename {header} to [{ig.suggestion}]"


@rule("SSO105", "sso-session-not-found", Severity.ERROR, needs=("config",), requires=("parsed_config",))
def sso_session_not_found(ctx: Context) -> Iterator[Finding]:
    """A profile refers to an `[sso-session]` that does not exist.

    ## What it checks
    Every profile's `sso_session = NAME` must name an `[sso-session NAME]` section of the config file.
    All profiles that refer to the same missing name make one finding, which names the closest
    existing sso-session. It is an error for profiles that get credentials from SSO (they set
    `sso_account_id` or `sso_role_name`), a warning for login-only profiles.

    ## Why it matters
    botocore refuses the profile before any request:
    `The specified sso-session does not exist: "NAME"`, and `aws sso login --profile P` fails too.

    ## How to fix
    Point the profile at the sso-session that exists (the finding's edit, in the file the profile is
    written in):

        [profile P]
        sso_session = corp-sso

    or create the missing one (it asks for the start URL and region):

        aws configure sso-session

    ## Example
        ✗ SSO105 sso-session-not-found: Profile "dev" sets sso_session = corp, but ~/.aws/config has no [sso-session corp]; botocore fails with: The specified sso-session does not exist: "corp". Did you mean "corp-sso"?
    """
    cfg = ctx.parsed_config()
    sessions = cfg.sso_sessions

    def refs() -> Iterator[tuple[object, Profile]]:
        for p in cfg.profiles.values():
            name = _sso_session_name(p)
            if name is not None and name not in sessions:
                yield (name, p.uses_sso_credentials), p

    ignored: list[IgnoredSection] | None = None
    for (name, credentials), profiles in _group(refs()).items():
        assert isinstance(name, str)
        first = profiles[0].values["sso_session"]
        hints = closest(name, sessions)
        message = (f"{_subject_phrase(profiles)} set{'s' if len(profiles) == 1 else ''} sso_session = {name}, but "
                   f"{ctx.show_path(cfg.config.path)} has no [sso-session {name}]")
        if credentials:
            message += f'; botocore fails with: The specified sso-session does not exist: "{name}".'
        else:
            message += f"; `aws sso login --profile {shell_quote(profiles[0].name)}` fails."
        message += suggestion(hints)
        if ignored is None:
            ignored = ignored_sections(cfg)
        message += _ignored_hint(ctx, ignored, "sso-session", name)
        commands: list[str | Command | Edit] = []
        if hints:
            # "did you mean" is a guess: each profile points at the closest sso-session, for a person to confirm
            commands += [_set(p.values["sso_session"], hints[0], safe=False) for p in profiles]
            summary = (f"Point the profile{'s' if len(profiles) > 1 else ''} at the existing sso-session "
                       f"{hints[0]} (or create [sso-session {name}] with `aws configure sso-session`).")
        else:
            header = _header_for("sso-session", name)
            config = str(cfg.config.path)
            commands += [Edit(config, "add_section", header),
                         _add(config, header, "sso_start_url", "<start URL>", safe=False),
                         _add(config, header, "sso_region", "<home region>", safe=False),
                         _add(config, header, "sso_registration_scopes", "sso:account:access")]
            summary = (f"Create [sso-session {name}] with your portal's start URL and home region (or run "
                       "`aws configure sso-session`).")
        yield sso_session_not_found.finding(
            message,
            fix(summary, *commands),
            severity=None if credentials else Severity.WARNING,
            subject=name,
            location=_value_location(first),
            evidence=_profiles_evidence(profiles),
        )


def _missing_sso_key(ctx: Context, the_rule: Rule, key: str, what: str, placeholder: str) -> Iterator[Finding]:
    """SSO106/SSO107: `key` is absent after botocore copies the sso-session's keys onto the profile."""
    cfg = ctx.parsed_config()
    config_path = ctx.show_path(cfg.config.path)
    broken_by_session: dict[str, list[Profile]] = {}
    legacy: list[tuple[object, Profile]] = []
    for p in cfg.profiles.values():
        if not p.has_sso_keys:
            continue
        if p.has("sso_session"):
            name = _sso_session_name(p)
            session = cfg.sso_sessions.get(name) if name is not None else None
            # a missing sso-session is SSO105's finding: nothing is resolved, so nothing can be "missing"
            if session is not None and key not in session.values and not p.has(key) and p.uses_sso_credentials:
                broken_by_session.setdefault(session.name, []).append(p)
        elif not p.has(key):
            legacy.append((p.uses_sso_credentials, p))

    for session in cfg.sso_sessions.values():
        if key in session.values:
            continue
        broken = broken_by_session.get(session.name, [])
        message = f"[sso-session {session.name}] in {config_path} has no {key}, so `aws sso login` cannot use it"
        if broken:
            message += (f"; botocore refuses {'profile' if len(broken) == 1 else 'profiles'} "
                        f"{name_list([p.name for p in broken])} (\"is configured to use SSO but is missing "
                        f"required configuration: {key}\")")
        yield the_rule.finding(
            message + ".",
            fix(f"Add {what} to [sso-session {session.name}].",
                _add(session.path, session.section.header, key, placeholder, safe=False)),
            subject=session.name,
            location=_section_location(session.path, session.section),
            evidence=_profiles_evidence(broken, missing=[key]),
        )

    for credentials, profiles in _group(legacy).items():
        first = profiles[0]
        verb = "has" if len(profiles) == 1 else "have"
        if credentials:
            message = (f"{_subject_phrase(profiles)} {verb} SSO settings but no {key}; botocore refuses "
                       f"{'it' if len(profiles) == 1 else 'them'}: {botocore_refusal(cfg, first)}.")
        else:
            message = (f"{_subject_phrase(profiles)} {verb} SSO settings but no {key}, so "
                       f"`aws sso login --profile {shell_quote(first.name)}` cannot log in.")
        commands: list[str | Command | Edit] = []
        for p in profiles:
            path, section = _profile_home(cfg, p)
            if section is not None:
                commands.append(_add(path, section.header, key, _guess(cfg, p, key) or placeholder, safe=False))
        yield the_rule.finding(
            message,
            fix(f"Add {what}, or better, move the SSO settings to an [sso-session] (see SSO110).", *commands),
            severity=None if credentials else Severity.WARNING,
            subject=first.name,
            location=_profile_location(cfg, first),
            evidence=_profiles_evidence(profiles, missing=[key]),
        )


def _guess(cfg: AwsConfig, p: Profile, key: str) -> str | None:
    """The value another legacy profile with the same start URL uses for `key` (sso_region): a better
    guess than a placeholder, still a guess."""
    url = p.get("sso_start_url")
    if key != "sso_region" or url is None:
        return None
    for other in cfg.profiles.values():
        if other is not p and other.get("sso_start_url") == url and other.get("sso_region"):
            return other.get("sso_region")
    return None


def botocore_refusal(cfg: AwsConfig, p: Profile) -> str | None:
    """The InvalidConfigError message botocore's SSO credential provider raises for a profile, or None.

    Mirrors `SSOProvider._load_sso_config`: only profiles with sso_account_id or sso_role_name are
    looked at; a missing sso-session comes first, then the first key of the sso-session that the
    profile sets differently, then the required keys after the session's keys are copied on.
    """
    if not p.uses_sso_credentials:
        return None
    required: tuple[str, ...] = (*_ROLE_KEYS, "sso_start_url", "sso_region")
    present = set(p.values)
    if p.has("sso_session"):
        name = p.values["sso_session"].value
        session = cfg.sso_sessions.get(name) if isinstance(name, str) else None
        if session is None:
            return f'The specified sso-session does not exist: "{name}"'
        for key, entry in session.values.items():
            own = p.values.get(key)
            if own is not None and own.value != entry.value:
                return (f"The value for {key} is inconsistent between profile ({_shown(key, own.value)}) and "
                        f"sso-session ({_shown(key, entry.value)}).")
        present.update(session.values)
        required += ("sso_session",)
    missing = [k for k in required if k not in present]
    if missing:
        return (f'The profile "{p.name}" is configured to use SSO but is missing required configuration: '
                f"{', '.join(missing)}")
    return None


@rule("SSO106", "missing-start-url", Severity.ERROR, needs=("config",), requires=("parsed_config",))
def missing_start_url(ctx: Context) -> Iterator[Finding]:
    """An SSO profile or sso-session has no `sso_start_url`.

    ## What it checks
    Every `[sso-session]` must set `sso_start_url`, and so must every legacy SSO profile (one with
    SSO keys but no `sso_session`). A profile that refers to an sso-session gets its keys from it, so
    a missing start URL there is reported once, on the sso-session, naming the profiles botocore
    refuses because of it. Legacy profiles that lack it are reported together: an error for profiles
    that get credentials from SSO (`sso_account_id`/`sso_role_name`), a warning for login-only ones.

    ## Why it matters
    botocore refuses the profile: `The profile "P" is configured to use SSO but is missing required
    configuration: sso_start_url`, and `aws sso login` does not know which access portal to open.

    ## How to fix
        aws configure sso-session

    or add the portal URL shown in the IAM Identity Center console, e.g.:

        [sso-session corp]
        sso_start_url = https://d-1234567890.awsapps.com/start

    ## Example
        ✗ SSO106 missing-start-url: [sso-session corp] in ~/.aws/config has no sso_start_url, so `aws sso login` cannot use it; botocore refuses profile "dev" ("is configured to use SSO but is missing required configuration: sso_start_url").
    """
    yield from _missing_sso_key(ctx, missing_start_url, "sso_start_url", "the start URL of your AWS access portal",
                                "<start URL>")


@rule("SSO107", "missing-sso-region", Severity.ERROR, needs=("config",), requires=("parsed_config",))
def missing_sso_region(ctx: Context) -> Iterator[Finding]:
    """An SSO profile or sso-session has no `sso_region`.

    ## What it checks
    Every `[sso-session]` must set `sso_region` (the home region of IAM Identity Center), and so must
    every legacy SSO profile (SSO keys but no `sso_session`). A missing region in an sso-session is
    reported once, on the sso-session, naming the profiles botocore refuses because of it. Legacy
    profiles that lack it are reported together: an error for profiles that get credentials from SSO,
    a warning for login-only ones.

    ## Why it matters
    botocore refuses the profile: `The profile "P" is configured to use SSO but is missing required
    configuration: sso_region`; the login has no region to send the OIDC calls to.

    ## How to fix
    Add the Identity Center home region (the region shown in the IAM Identity Center console), e.g.:

        [sso-session corp]
        sso_region = eu-west-1

    for a legacy profile, in its own section:

        [profile P]
        sso_region = eu-west-1

    ## Example
        ✗ SSO107 missing-sso-region: Profile "dev" has SSO settings but no sso_region; botocore refuses it: The profile "dev" is configured to use SSO but is missing required configuration: sso_region.
    """
    yield from _missing_sso_key(ctx, missing_sso_region, "sso_region", "the Identity Center home region",
                                "<home region>")


@rule("SSO108", "incomplete-sso-profile", Severity.ERROR, needs=("config", "env"), requires=("parsed_config",))
def incomplete_sso_profile(ctx: Context) -> Iterator[Finding]:
    """An SSO profile lacks `sso_account_id` or `sso_role_name`, or a selected profile can only log in.

    ## What it checks
    botocore uses SSO credentials for a profile that sets `sso_account_id` or `sso_role_name`, and
    then needs both. A profile with one of them but not the other is an error when it is selected
    (`--profile`, `AWS_DEFAULT_PROFILE`, `AWS_PROFILE` or the default profile), a warning otherwise;
    profiles missing the same key are reported together. A selected profile with SSO keys but neither
    of the two (a login-only profile such as `sso_session = corp` alone) is an error too: it lets
    `aws sso login` work but gives no AWS credentials. `--all-profiles` does not count as selecting
    login-only profiles.

    ## Why it matters
    botocore refuses the profile: `The profile "P" is configured to use SSO but is missing required
    configuration: sso_role_name`. A login-only profile makes every other command fail with
    `Unable to locate credentials`.

    ## How to fix
        aws configure sso --profile P

    or add the missing key to the profile's section, e.g.:

        [profile P]
        sso_role_name = ReadOnly

    ## Example
        ✗ SSO108 incomplete-sso-profile: Profile "dev" sets sso_account_id but not sso_role_name; botocore refuses it: The profile "dev" is configured to use SSO but is missing required configuration: sso_role_name.
    """
    cfg = ctx.parsed_config()
    selected = frozenset(ctx.selected_names)
    chosen = _explicitly_selected(ctx)

    def problems() -> Iterator[tuple[object, Profile]]:
        for p in cfg.profiles.values():
            if p.uses_sso_credentials:
                values = p.values
                if "sso_role_name" in values and "sso_account_id" in values:
                    continue  # complete: the common case, decided without building anything
                missing = tuple(k for k in _ROLE_KEYS if k not in values)
                if missing:
                    yield (missing, p.name in selected), p
            elif p.has_sso_keys and p.name in chosen and not credential_sources(cfg, p):
                yield (_ROLE_KEYS, True), p

    for key, profiles in _group(problems()).items():
        missing, is_selected = key  # type: ignore[misc]
        first = profiles[0]
        names = [p.name for p in profiles]
        login_only = len(missing) == len(_ROLE_KEYS)
        if login_only:
            message = (f"{_subject_phrase(profiles)} {'is' if len(names) == 1 else 'are'} selected but only "
                       f"{'logs' if len(names) == 1 else 'log'} in: without sso_account_id and sso_role_name "
                       f"botocore gets no credentials from SSO (\"Unable to locate credentials\").")
            commands: list[str | Command] = [f"aws configure sso --profile {shell_quote(n)}" for n in names[:5]]
            summary = "Add the account and role the profile should use, or select a profile that has them."
        else:
            present = next(k for k in _ROLE_KEYS if k not in missing)
            message = (f"{_subject_phrase(profiles)} set{'s' if len(names) == 1 else ''} {present} but not "
                       f"{missing[0]}; botocore refuses {'it' if len(names) == 1 else 'them'}")
            refusal = botocore_refusal(cfg, first)
            message += (f": {refusal}." if refusal and "missing required" in refusal else
                        f" once {'its' if len(names) == 1 else 'their'} sso-session problem is fixed.")
            placeholder = "<role name>" if missing[0] == "sso_role_name" else "<12-digit account id>"
            commands = []
            for p in profiles:
                path, section = _profile_home(cfg, p)
                if section is not None:
                    commands.append(_add(path, section.header, missing[0], placeholder, safe=False))
            summary = f"Add {missing[0]} to the profile{'s' if len(names) > 1 else ''}."
        if login_only and len(names) > 5:
            commands.append(manual(f"likewise for the other {len(names) - 5} profiles listed"))
        yield incomplete_sso_profile.finding(
            message,
            fix(summary, *commands),
            severity=None if is_selected else Severity.WARNING,
            subject=first.name,
            location=_profile_location(cfg, first),
            evidence=_profiles_evidence(profiles, missing=list(missing)),
        )


@rule("SSO109", "inconsistent-sso-values", Severity.ERROR, needs=("config",), requires=("parsed_config",))
def inconsistent_sso_values(ctx: Context) -> Iterator[Finding]:
    """A profile repeats a key of its sso-session, with a different value (or the same one).

    ## What it checks
    botocore copies every key of the `[sso-session]` onto each profile that refers to it and refuses
    the profile when one of them is already set there to something else: not only `sso_start_url`
    and `sso_region`, any key (`sso_registration_scopes`, even `region` when the sso-session sets it).
    That is an error for profiles that get credentials from SSO (`sso_account_id`/`sso_role_name`), a
    warning for login-only profiles. A profile that repeats `sso_start_url` or `sso_region` with the
    same value gets a warning: the copy is redundant and breaks the profile the day the two drift
    apart. Profiles of one sso-session with the same key are reported together.

    ## Why it matters
    botocore raises `The value for sso_region is inconsistent between profile (us-east-1) and
    sso-session (eu-west-1).` before any request.

    ## How to fix
    Delete the key from the profile; the sso-session's value is the one that counts:

        [profile dev]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = ReadOnly

    ## Example
        ✗ SSO109 inconsistent-sso-values: Profile "dev" sets sso_region = us-east-1 but its [sso-session corp] says eu-west-1; botocore refuses it: The value for sso_region is inconsistent between profile (us-east-1) and sso-session (eu-west-1).
    """
    cfg = ctx.parsed_config()

    def clashes() -> Iterator[tuple[object, Profile]]:
        for p in cfg.profiles.values():
            name = _sso_session_name(p)
            session = cfg.sso_sessions.get(name) if name is not None else None
            if session is None:
                continue
            for key, entry in session.values.items():
                own = p.values.get(key)
                if own is None:
                    continue
                if own.value != entry.value:
                    yield (session.name, key, "differs", p.uses_sso_credentials), p
                elif key in ("sso_start_url", "sso_region"):
                    yield (session.name, key, "repeats", False), p

    for group_key, profiles in _group(clashes()).items():
        session_name, key, how, fatal = group_key  # type: ignore[misc]
        session = cfg.sso_sessions[session_name]
        first = profiles[0]
        own = first.values[key]
        theirs = _shown(key, session.values[key].value)
        one = len(profiles) == 1
        if how == "differs":
            message = (f"{_subject_phrase(profiles)} set{'s' if one else ''} {key} = {_shown(key, own.value)}"
                       f"{'' if one else ' (and others)'} but {'its' if one else 'their'} [sso-session "
                       f"{session_name}] says {theirs}")
            if fatal:
                message += (f"; botocore refuses {'it' if one else 'them'}: The value for {key} is inconsistent "
                            f"between profile ({_shown(key, own.value)}) and sso-session ({theirs}).")
            else:
                message += "; the two disagree, and botocore refuses such a profile as soon as it gets SSO credentials."
            summary = f"Delete {key} from the profile{'' if one else 's'}; the sso-session's value is the one that counts."
            severity = None if fatal else Severity.WARNING
        else:
            message = (f"{_subject_phrase(profiles)} repeat{'s' if one else ''} {key} = {theirs} from "
                       f"[sso-session {session_name}]; remove the redundant key (botocore refuses the profile "
                       f"if the two ever differ).")
            summary = f"Remove the redundant {key} from the profile{'' if one else 's'}."
            severity = Severity.WARNING
        # the sso-session's value is the one botocore uses once the profile's copy is gone: exact
        commands: list[str | Command | Edit] = [_delete(p.values[key]) for p in profiles]
        yield inconsistent_sso_values.finding(
            message,
            fix(summary, *commands),
            severity=severity,
            subject=first.name,
            location=_value_location(own),
            evidence=_profiles_evidence(profiles, key=key, sso_session=session_name),
        )


@rule("SSO110", "legacy-sso-profile", Severity.INFO, needs=("config",), requires=("parsed_config",))
def legacy_sso_profile(ctx: Context) -> Iterator[Finding]:
    """A profile configures SSO inline (legacy) instead of through an `[sso-session]`.

    ## What it checks
    Profiles that set `sso_start_url` themselves, without `sso_session`. Profiles with the same start
    URL and region are reported together, with the rewritten configuration: one `[sso-session]`
    (an existing one with that start URL when there is one) and the profiles pointing at it.

    ## Why it matters
    A legacy token cannot be refreshed: every time it expires (at the end of the access portal
    session) you have to run `aws sso login` again. `aws sso login` uses the safer PKCE browser login (AWS CLI 2.22 and
    newer) only for sso-session profiles, and every legacy start-URL spelling gets a token cache
    file of its own.

    ## How to fix
    Move `sso_start_url` and `sso_region` to an sso-session and refer to it (`aws configure
    sso-session` creates one interactively):

        [sso-session corp]
        sso_start_url = https://d-1234567890.awsapps.com/start
        sso_region = eu-west-1
        sso_registration_scopes = sso:account:access

        [profile dev]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = ReadOnly

    ## Example
        i SSO110 legacy-sso-profile: Profile "dev" sets sso_start_url = https://d-1234567890.awsapps.com/start without an sso-session: its token can't be refreshed (you log in again each time it expires) and `aws sso login` can't use the PKCE browser login; move it to a new [sso-session d-1234567890].
    """
    cfg = ctx.parsed_config()
    # an existing sso-session for the same portal (and the same region) is the one to move to
    by_portal: dict[tuple[str, str | None], str] = {}
    for s in cfg.sso_sessions.values():
        url = s.get("sso_start_url")
        if url is not None:
            by_portal.setdefault((url, s.get("sso_region")), s.name)

    def legacy() -> Iterator[tuple[object, Profile]]:
        for p in cfg.profiles.values():
            url = p.get("sso_start_url")
            if url is not None and not p.has("sso_session"):
                yield (url, p.get("sso_region")), p

    taken = set(cfg.sso_sessions)
    config_path = ctx.show_path(cfg.config.path)
    for (url, region), profiles in _group(legacy()).items():
        assert isinstance(url, str)
        first = profiles[0]
        existing = next((name for (u, r), name in by_portal.items() if u == url and region in (None, r)), None)
        session = existing or _new_session_name(url, taken)
        taken.add(session)
        edits: list[Edit] = []
        config = str(cfg.config.path)
        if existing is None:
            header_s = _header_for("sso-session", session)
            edits += [Edit(config, "add_section", header_s), _add(config, header_s, "sso_start_url", url),
                      _add(config, header_s, "sso_region", region or "<home region>", safe=region is not None),
                      _add(config, header_s, "sso_registration_scopes", "sso:account:access")]
        for p in profiles:
            start = p.values["sso_start_url"]
            edits.append(_add(start.path, start.section, "sso_session", session))
            edits.append(_delete(start))
            if "sso_region" in p.values:
                edits.append(_delete(p.values["sso_region"]))
        header = first.config_section.header if first.config_section else _header_for("profile", first.name)
        one = len(profiles) == 1
        reuse = f"the existing [sso-session {session}]" if existing else f"a new [sso-session {session}]"
        message = (f"{_subject_phrase(profiles)} set{'s' if one else ''} sso_start_url = {url} without an "
                   f"sso-session: {'its' if one else 'their'} token can't be refreshed (you log in again each "
                   f"time it expires) and `aws sso login` can't use the PKCE browser login; move "
                   f"{'it' if one else 'them'} to {reuse}.")
        others = "" if one else f", and likewise in {name_list([p.name for p in profiles[1:]])}"
        yield legacy_sso_profile.finding(
            message,
            fix(f"In {config_path}, {'add the sso-session and ' if existing is None else ''}replace sso_start_url "
                f"and sso_region in [{header}] with sso_session = {session}{others}; keep the profile's other keys:",
                *edits),
            subject=first.name,
            location=_value_location(first.values["sso_start_url"]),
            evidence=_profiles_evidence(profiles, sso_start_url=url),
        )


def _new_session_name(url: str, taken: set[str]) -> str:
    """A readable sso-session name for a start URL: d-1234567890, mycorp, ssoins-..., never one in use."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        path = parts.path
    except ValueError:
        host, path = "", ""
    label = host.split(".")[0] if host else ""
    if host.startswith("identitycenter.") or label in ("start", "portal", ""):
        label = next((seg for seg in reversed(path.split("/")) if seg), label)
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-") or "sso"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


@rule("SSO116", "duplicate-default-profile", Severity.WARNING, needs=("config",), requires=("parsed_config",))
def duplicate_default_profile(ctx: Context) -> Iterator[Finding]:
    """The config file has both `[default]` and `[profile default]`.

    ## What it checks
    Whether more than one section of the config file defines the profile "default" (`[default]`,
    `[profile default]`, `[profile "default"]`). botocore keeps only the one that comes last, whole;
    the finding points at each section it ignores and names the keys that are lost with it.

    ## Why it matters
    Nothing warns you: settings you can see in `[default]` (a region, SSO keys) are simply not used,
    and the default profile behaves differently from what the file seems to say.

    ## How to fix
    Merge the two sections into one, in `~/.aws/config`:

        [default]
        region = eu-west-1
        sso_session = corp

    ## Example
        ! SSO116 duplicate-default-profile: ~/.aws/config:1: [default] is ignored because [profile default] (line 9) also defines the profile "default" and replaces it whole; its keys region and output are lost.
    """
    cfg = ctx.parsed_config()
    if not cfg.config.ok:
        return
    winner = cfg.profiles["default"].config_section if "default" in cfg.profiles else None
    if winner is None:
        return
    kept = _kept_sections(cfg)
    # only sections botocore did not keep can be an earlier "default" (mapped_name runs shlex: keep it rare)
    losers = [s for s in cfg.config.sections if id(s) not in kept and s.kind in ("profile", "default")
              and s.mapped_name == "default"]
    for loser in losers:
        lost = [k for k, e in loser.entries.items()
                if k not in winner.entries or winner.entries[k].value != e.value]
        where = _at(ctx, cfg.config.path, loser.line)
        if lost:
            detail = (f"its {'key' if len(lost) == 1 else 'keys'} {name_list(lost, limit=8, quote=False)} "
                      f"{'is' if len(lost) == 1 else 'are'} lost")
        else:
            detail = "it adds nothing, so it can simply go"
        yield duplicate_default_profile.finding(
            f"{where}: [{loser.header}] is ignored because [{winner.header}] (line {winner.line}) also defines "
            f"the profile \"default\" and replaces it whole; {detail}.",
            fix("Merge the two sections into one: keep the keys you need, then delete the ignored section.",
                *(Edit(str(cfg.config.path), "set", winner.header, k, new=loser.entries[k].value, safe=False)
                  for k in lost if k not in winner.entries and isinstance(loser.entries[k].value, str)),
                Edit(str(cfg.config.path), "remove_section", loser.header,
                     safe=not lost)),
            subject="default",
            location=_section_location(cfg.config.path, loser),
            evidence={"lost_keys": list(lost)},
        )


# botocore's credential chain for a profile (credentials.create_credential_resolver and
# ProfileProviderBuilder.providers): env keys, assume role, web identity, SSO, the credentials file,
# login, credential_process, then keys in the config file. Env keys are SSO301's business.
_SOURCE_NAMES = {
    "assume-role": "assume role (role_arn)",
    "web-identity": "web identity (web_identity_token_file)",
    "sso": "SSO",
    "credentials-file": "static keys in the credentials file",
    "login": "console login (login_session)",
    "process": "credential_process",
    "config-file": "static keys in the config file",
}


# Every key credential_sources() looks at besides the SSO ones (the merged profile holds the keys of
# both files, so a profile without any of them has SSO as its only source).
_NON_SSO_SOURCE_KEYS = frozenset({"role_arn", "web_identity_token_file", "aws_access_key_id", "login_session",
                                  "credential_process", "source_profile", "credential_source"})


def credential_sources(cfg: AwsConfig, p: Profile) -> list[tuple[str, Value]]:
    """The credential sources a profile configures, in the order botocore tries them (SSO included).

    Each comes with the value that switches it on. `AssumeRoleProvider` skips a profile that also has
    `web_identity_token_file`; `SharedCredentialProvider` reads only the credentials file and
    `ConfigProvider` only the config file.
    """
    values = p.values
    out: list[tuple[str, Value]] = []
    if "role_arn" in values and "web_identity_token_file" not in values:
        out.append(("assume-role", values["role_arn"]))
    if "web_identity_token_file" in values:
        out.append(("web-identity", values["web_identity_token_file"]))
    if p.uses_sso_credentials:
        out.append(("sso", values["sso_account_id"] if "sso_account_id" in values else values["sso_role_name"]))
    if p.credentials_section is not None and "aws_access_key_id" in p.credentials_section.entries:
        out.append(("credentials-file", p.credentials_section.entries["aws_access_key_id"]))
    if "login_session" in values:
        out.append(("login", values["login_session"]))
    if "credential_process" in values:
        out.append(("process", values["credential_process"]))
    if p.config_section is not None and "aws_access_key_id" in p.config_section.entries:
        out.append(("config-file", p.config_section.entries["aws_access_key_id"]))
    return out


# The keys that belong to an assume-role profile (botocore's AssumeRoleProvider reads them with role_arn).
_ROLE_PROFILE_KEYS = ("role_arn", "source_profile", "credential_source", "role_session_name", "external_id",
                      "mfa_serial", "duration_seconds")


def _split_sources(cfg: AwsConfig, p: Profile, stray: Sequence[str]) -> list[Edit]:
    """Edits that leave the profile with SSO only: an assume-role setup moves to a new profile
    `[profile NAME-role]` that takes the SSO profile as its source_profile (that keeps the role usable,
    now explicitly); other sources and stray keys are deleted. Not safe: which source the user means is
    their call, the edits only make one choice explicit."""
    edits: list[Edit] = []
    values = p.values
    if "role_arn" in values and "web_identity_token_file" not in values:
        taken = {s.header for s in cfg.config.sections}
        name, n = f"{p.name}-role", 2
        while _header_for("profile", name) in taken or name in cfg.profiles:
            name, n = f"{p.name}-role-{n}", n + 1
        header = _header_for("profile", name)
        config = str(cfg.config.path)
        edits.append(Edit(config, "add_section", header, safe=False))
        for k in _ROLE_PROFILE_KEYS:
            v = values.get(k)
            if v is None or k in ("source_profile", "credential_source") or not isinstance(v.value, str):
                continue
            edits.append(_add(config, header, k, v.value, safe=False))
        edits.append(_add(config, header, "source_profile", p.name, safe=False))
        edits += [_delete(values[k], safe=False) for k in _ROLE_PROFILE_KEYS if k in values
                  and values[k].path == cfg.config.path and isinstance(values[k].value, str)]
        return edits
    for source, v in credential_sources(cfg, p):
        if source in ("sso", "credentials-file"):
            continue
        edits.append(_delete(v, safe=False))
        if source == "config-file":
            edits += [_delete(values[k], safe=False) for k in ("aws_secret_access_key", "aws_session_token")
                      if k in values and values[k].path == v.path and values[k].section == v.section]
    edits += [_delete(values[k], safe=False) for k in stray if k in values]
    return edits


@rule("SSO117", "conflicting-credential-sources", Severity.WARNING, needs=("config",), requires=("parsed_config",))
def conflicting_credential_sources(ctx: Context) -> Iterator[Finding]:
    """An SSO profile also configures another way to get credentials.

    ## What it checks
    Profiles that get credentials from SSO (`sso_account_id`/`sso_role_name`) and also set
    `role_arn`, `source_profile`/`credential_source`, `web_identity_token_file`,
    `credential_process`, `login_session` or static keys in the config file. The finding says which
    one botocore really uses, by its credential chain: assume role (`role_arn`), then web identity,
    then SSO, then static keys in the credentials file, console login, `credential_process` and static
    keys in the config file. Static keys in the credentials file are SSO118's finding. Profiles with
    the same combination are reported together.

    ## Why it matters
    Only one source is ever used and the others are silently ignored: a profile that looks like SSO
    may really assume a role, or a `credential_process` you rely on never runs.

    ## How to fix
    Keep one source per profile and give the other a profile of its own, e.g. a role assumed with
    the SSO profile's credentials:

        [profile dev]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = ReadOnly

        [profile dev-admin]
        role_arn = arn:aws:iam::111122223333:role/Admin
        source_profile = dev

    ## Example
        ! SSO117 conflicting-credential-sources: Profile "dev" is set up for SSO credentials but also sets credential_process (line 7); botocore uses SSO and ignores credential_process.
    """
    cfg = ctx.parsed_config()

    def conflicts() -> Iterator[tuple[object, Profile]]:
        for p in cfg.profiles.values():
            if not p.uses_sso_credentials or p.values.keys().isdisjoint(_NON_SSO_SOURCE_KEYS):
                continue  # no other source can be configured: nothing to list
            sources = [s for s, _ in credential_sources(cfg, p) if s != "credentials-file"]  # that is SSO118
            stray = tuple(k for k in ("source_profile", "credential_source") if k in p.values and "role_arn" not in p.values)
            if len(sources) < 2 and not stray:
                continue
            yield (sources[0], tuple(s for s in sources[1:]), stray), p

    for (winner, losers, stray), profiles in _group(conflicts()).items():  # type: ignore[misc]
        first = profiles[0]
        one = len(profiles) == 1
        others = [v for s, v in credential_sources(cfg, first) if s not in ("sso", "credentials-file")]
        others += [first.values[k] for k in stray]
        listed = ", ".join(f"{v.key} (line {v.line})" if v.line else v.key for v in others)
        message = (f"{_subject_phrase(profiles)} {'is' if one else 'are'} set up for SSO credentials but also "
                   f"set{'s' if one else ''} {listed}; ")
        if winner == "sso":
            ignored = [_SOURCE_NAMES[s] for s in losers] + [f"{k} (meaningless without role_arn)" for k in stray]
            message += f"botocore uses SSO and ignores {', '.join(ignored)}."
            summary = "Keep one credential source per profile; move the other to a profile of its own."
        else:
            rest = [_SOURCE_NAMES[s] for s in losers if s != "sso"]
            message += (f"botocore uses {_SOURCE_NAMES[winner]} and ignores the SSO settings"
                        f"{' and ' + ', '.join(rest) if rest else ''}.")
            summary = ("Keep the SSO keys in this profile and move role_arn to a profile of its own with "
                       f"source_profile = {first.name}." if winner == "assume-role" else
                       "Keep one credential source per profile; move the other to a profile of its own.")
        commands: list[str | Command | Edit] = []
        for p in profiles:
            commands += _split_sources(cfg, p, stray)
        yield conflicting_credential_sources.finding(
            message,
            fix(summary, *commands),
            subject=first.name,
            location=_value_location(others[0]),
            evidence=_profiles_evidence(profiles, used=_SOURCE_NAMES[winner]),
        )


@rule("SSO118", "static-keys-alongside-sso", Severity.WARNING, needs=("config",), requires=("parsed_config",))
def static_keys_alongside_sso(ctx: Context) -> Iterator[Finding]:
    """The credentials file holds long-lived access keys next to your SSO setup.

    ## What it checks
    Sections of the credentials file with `aws_access_key_id` (and no session token, i.e. long-lived
    IAM user keys) for a profile that has SSO settings, or for `default` while SSO profiles exist.
    The finding names the key, never its value.

    ## Why it matters
    Long-lived keys on disk are what SSO is meant to replace. For an SSO profile with
    `sso_account_id`/`sso_role_name` botocore uses SSO and the keys are dead weight (still valid for
    anyone who copies the file); a login-only SSO profile actually runs on the static keys. Keys in
    `[default]` are used by every tool run without a profile, silently, instead of your SSO role.

    ## How to fix
    Delete `aws_access_key_id`, `aws_secret_access_key` (and `aws_session_token`) from the section,
    then deactivate and delete the key in IAM:

        aws iam update-access-key --access-key-id <key id> --status Inactive
        aws iam delete-access-key --access-key-id <key id>

    ## Example
        ! SSO118 static-keys-alongside-sso: ~/.aws/credentials:2: the credentials file holds long-lived aws_access_key_id for SSO profile "dev"; botocore uses SSO, but the keys stay valid for anyone who copies the file.
    """
    cfg = ctx.parsed_config()
    creds = cfg.credentials
    if not creds.ok:
        return
    sso_profiles = sum(1 for p in cfg.profiles.values() if p.has_sso_keys)

    def static() -> Iterator[tuple[object, Profile]]:
        for s in creds.sections:
            if "aws_access_key_id" not in s.entries:
                continue
            if "aws_session_token" in s.entries or "aws_security_token" in s.entries:
                continue  # temporary credentials, not long-lived keys
            p = cfg.profiles.get(s.header)
            if p is None:
                continue
            if p.has_sso_keys:
                used = credential_sources(cfg, p)[0][0] == "credentials-file"
                yield ("sso", used), p
            elif s.header == "default" and sso_profiles:
                yield ("default", True), p

    for (why, used), profiles in _group(static()).items():  # type: ignore[misc]
        first = profiles[0]
        one = len(profiles) == 1
        section = first.credentials_section
        assert section is not None
        entry = section.entries["aws_access_key_id"]
        where = _at(ctx, creds.path, entry.line)
        if why == "default":
            message = (f"{where}: [default] holds a long-lived aws_access_key_id while {sso_profiles} SSO "
                       f"profile{'' if sso_profiles == 1 else 's'} exist{'s' if sso_profiles == 1 else ''}: every "
                       "tool run without a profile silently uses these IAM user keys instead of SSO.")
        else:
            names = name_list([p.name for p in profiles])
            message = (f"{where}: the credentials file holds long-lived aws_access_key_id for SSO "
                       f"profile{'' if one else 's'} {names}; ")
            if used:
                message += "without sso_account_id and sso_role_name botocore actually uses these static keys."
            else:
                message += "botocore uses SSO, but the keys stay valid for anyone who copies the file."
        # deleting keys botocore does not use changes nothing but the risk; keys it does use are the
        # profile's credentials today, so their removal needs a person's word
        commands: list[str | Command | Edit] = [
            Edit(str(creds.path), "delete", p.credentials_section.header, k, safe=why == "sso" and not used)
            for p in profiles if p.credentials_section is not None
            for k in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
            if k in p.credentials_section.entries
        ]
        commands += [manual("aws iam update-access-key --access-key-id <key id from that line> --status Inactive"),
                     manual("aws iam delete-access-key --access-key-id <key id from that line>")]
        yield static_keys_alongside_sso.finding(
            message,
            fix("Delete the static keys and deactivate them in IAM (rotate them if something still needs them).",
                *commands),
            subject=first.name,
            location=Location(path=str(creds.path), line=entry.line, section=section.header, key="aws_access_key_id"),
            evidence=_profiles_evidence(profiles),
        )


RULES: tuple[Rule, ...] = (
    config_file_missing,
    config_unparseable,
    section_ignored,
    profile_not_found,
    sso_session_not_found,
    missing_start_url,
    missing_sso_region,
    incomplete_sso_profile,
    inconsistent_sso_values,
    legacy_sso_profile,
    duplicate_default_profile,
    conflicting_credential_sources,
    static_keys_alongside_sso,
    unreadable_config,
    no_profile_selected,
)
