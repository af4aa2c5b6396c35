"""SSO3xx: environment variables, CA bundles and proxies (offline)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from sso_doctor.context import Context
from sso_doctor.fixes import Edit
from sso_doctor.loaders.ca_bundle import (
    SOURCE_CERTIFI,
    SOURCE_PROFILE,
    SOURCE_VERIFY,
    BundleChoice,
    Certificate,
    ResolvedBundle,
)
from sso_doctor.loaders.environment import ProxyChoice, ProxyVar
from sso_doctor.model import Command, Finding, Location, Rule, Severity, fix, manual, rule
from sso_doctor.redact import MASK
from sso_doctor.text import name_list, shell_quote


def _sso_profile_names(ctx: Context) -> list[str]:
    return [s.profile.name for s in ctx.selected_sso()]


def _profiles_phrase(ctx: Context) -> str:
    sso = _sso_profile_names(ctx)
    if sso:
        noun = "SSO profile" if len(sso) == 1 else "SSO profiles"
        return f"{noun} {name_list(sso)}"
    names = list(ctx.selected_names)
    return ("profile " if len(names) == 1 else "profiles ") + name_list(names)


@rule("SSO301", "env-credentials-override", Severity.ERROR, needs=("env", "config"))
def env_credentials_override(ctx: Context) -> Iterator[Finding]:
    """Access keys in the environment take precedence over the selected SSO profile.

    ## What it checks
    Whether `AWS_ACCESS_KEY_ID` is set to a non-empty value. botocore's environment provider is
    the first in its credential chain, so it answers before any profile is consulted. With
    `AWS_SECRET_ACCESS_KEY` it uses those keys; without it every call fails with
    `Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY`. It is an error when a
    selected profile is an SSO profile, a warning otherwise. (`AWS_SECRET_ACCESS_KEY` alone is
    ignored by botocore and is not reported.) Values are never shown: only whether they are set.

    ## Why it matters
    `AWS_PROFILE=my-sso-profile` does not switch the environment keys off: only an explicit
    `--profile` (or `Session(profile_name=...)`) does. Commands run as whoever owns the old keys,
    in another account, or fail with `ExpiredToken` long after `aws sso login` succeeded.

    ## How to fix
        unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

    and remove the `export` lines from your shell profile (`~/.bashrc`, `~/.zshrc`) or `.env` file.

    ## Example
        ✗ SSO301 env-credentials-override: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set, so
          botocore and the AWS CLI use these keys instead of SSO profile "dev"; AWS_PROFILE does not
          change that.
    """
    env = ctx.environment
    if not env.credentials_set.get("AWS_ACCESS_KEY_ID"):
        return
    names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
    if "AWS_SECURITY_TOKEN" in env.credentials_set:
        names.append("AWS_SECURITY_TOKEN")
    who = _profiles_phrase(ctx)
    if env.credentials_set.get("AWS_SECRET_ACCESS_KEY") and ctx.selection_source == "--profile":
        # botocore drops its environment provider only for a profile given explicitly to the command
        # (`aws --profile`, `Session(profile_name=)`): checking with --profile does not make the shell safe.
        names = list(ctx.selected_names)
        command = f"aws --profile {names[0]}" if len(names) == 1 else "aws --profile NAME"
        message = (f"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set: `{command}` ignores them and uses {who}, "
                   "but every "
                   "command run without --profile, and every SDK that reads AWS_PROFILE, uses these keys "
                   "instead.")
    elif env.credentials_set.get("AWS_SECRET_ACCESS_KEY"):
        message = (f"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set, so botocore and the AWS CLI use "
                   f"these keys instead of {who}; AWS_PROFILE does not change that, only an explicit "
                   "--profile does.")
    else:
        message = (f"AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY: botocore still tries the "
                   "environment keys first and every call fails with 'Partial credentials found in env, "
                   f"missing: AWS_SECRET_ACCESS_KEY' instead of using {who}.")
    yield env_credentials_override.finding(
        message,
        fix("Remove the access keys from this shell (and from the file that exports them).",
            "unset " + " ".join(names)),
        severity=Severity.ERROR if _sso_profile_names(ctx) else Severity.WARNING,
        location=Location(env_var="AWS_ACCESS_KEY_ID"),
    )


@rule("SSO302", "web-identity-override", Severity.WARNING, needs=("env", "config"), requires=("profile",))
def web_identity_override(ctx: Context) -> Iterator[Finding]:
    """Web-identity variables in the environment take precedence over the selected SSO profile.

    ## What it checks
    Whether `AWS_WEB_IDENTITY_TOKEN_FILE` is set. botocore's web-identity provider comes before the
    SSO provider and reads its variables from the environment before the profile. With `AWS_ROLE_ARN`
    (or a `role_arn` in the profile) it assumes that role with the token; without any role ARN it
    raises `InvalidConfigError` ("configured to assume role with web identity but has no role ARN").
    `AWS_ROLE_ARN` alone does nothing and is not reported.

    ## Why it matters
    These variables are set by EKS (IRSA), GitHub Actions and other CI systems. Left behind in a
    workstation shell, they make every command run as the CI role, or fail, whatever `AWS_PROFILE`
    says.

    ## How to fix
        unset AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE

    ## Example
        ! SSO302 web-identity-override: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set, so
          botocore assumes arn:aws:iam::123456789012:role/ci with that token instead of using SSO
          profile "dev".
    """
    wi = ctx.environment.web_identity
    if not wi.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return
    who = _profiles_phrase(ctx)
    role = wi.get("AWS_ROLE_ARN")
    if role:
        message = (f"AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set, so botocore assumes {role} with "
                   f"that token instead of using {who}.")
    else:
        with_role = [p.name for p in ctx.selected_profiles() if p.get("role_arn")]
        if with_role:
            message = (f"AWS_WEB_IDENTITY_TOKEN_FILE is set, so botocore assumes the role_arn of profile "
                       f"{name_list(with_role)} with that token instead of using {who}.")
        else:
            message = ("AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN: botocore's web-identity "
                       "provider runs before SSO and fails with InvalidConfigError ('... has no role ARN "
                       f"configured'), so {who} is never used.")
    yield web_identity_override.finding(
        message,
        fix("Remove the web-identity variables from this shell.", "unset AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE"),
        location=Location(env_var="AWS_WEB_IDENTITY_TOKEN_FILE"),
    )


@rule("SSO303", "profile-env-conflict", Severity.WARNING, needs=("env",))
def profile_env_conflict(ctx: Context) -> Iterator[Finding]:
    """AWS_PROFILE and AWS_DEFAULT_PROFILE name different profiles.

    ## What it checks
    Whether both variables are set and differ. botocore, boto3 and AWS CLI v1 read
    `AWS_DEFAULT_PROFILE` first; AWS CLI v2 reads `AWS_PROFILE` first. A set-but-empty
    `AWS_DEFAULT_PROFILE` counts: botocore then looks for a profile named "" and fails with
    `The config profile () could not be found`.

    ## Why it matters
    `aws sts get-caller-identity` and a Python script in the same shell run as two different
    identities, and `aws sso login` logs in a profile the script never uses.

    ## How to fix
        unset AWS_DEFAULT_PROFILE

    and keep only `AWS_PROFILE`, which every current tool reads.

    ## Example
        ! SSO303 profile-env-conflict: AWS_PROFILE is "dev" but AWS_DEFAULT_PROFILE is "prod": boto3,
          botocore and AWS CLI v1 use "prod", AWS CLI v2 uses "dev".
    """
    prof = ctx.environment.profile
    if "AWS_PROFILE" not in prof or "AWS_DEFAULT_PROFILE" not in prof:
        return
    cli, sdk = prof["AWS_PROFILE"], prof["AWS_DEFAULT_PROFILE"]
    if cli == sdk or not cli:
        return
    if not sdk.strip():
        message = (f'AWS_PROFILE is "{cli}" but AWS_DEFAULT_PROFILE is set and empty: boto3, botocore and AWS '
                   f'CLI v1 look for a profile named "{sdk}" and fail with "The config profile ({sdk}) could not '
                   f'be found", while AWS CLI v2 uses "{cli}".')
    else:
        message = (f'AWS_PROFILE is "{cli}" but AWS_DEFAULT_PROFILE is "{sdk}": boto3, botocore and AWS CLI v1 '
                   f'use "{sdk}", AWS CLI v2 uses "{cli}".')
    yield profile_env_conflict.finding(
        message,
        fix("Keep one profile variable: AWS_PROFILE, which all current tools read.", "unset AWS_DEFAULT_PROFILE"),
        location=Location(env_var="AWS_DEFAULT_PROFILE"),
    )


# --- CA bundle ----------------------------------------------------------------------------------


def _bundle_location(choice: BundleChoice) -> Location:
    """A profile's ca_bundle line, or the variable and the path as written in it."""
    if choice.source == SOURCE_PROFILE:
        return Location(path=choice.config_path, line=choice.config_line, section=choice.config_section,
                        key="ca_bundle")
    return Location(path=None if choice.blank else choice.value, env_var=choice.env_var)


def _bundle_setting(ctx: Context, choice: BundleChoice) -> str:
    """`AWS_CA_BUNDLE (~/corp.pem)` / `the ca_bundle of profile "dev" (~/corp.pem)` for messages."""
    if choice.path is None:
        shown = repr(choice.value)
    elif os.path.isabs(choice.value or ""):
        shown = ctx.show_path(choice.path)
    else:
        shown = choice.value or ""  # relative (or a literal "~/..."): as written, it depends on the cwd
    if choice.source == SOURCE_CERTIFI:
        return f"certifi's bundle {shown}"
    return f"{choice.describe()} ({shown})"


def _set_bundle_command(ctx: Context, choice: BundleChoice, target: str) -> str:
    """The command that makes botocore use `target` (a shell word) where `choice` is configured now."""
    if choice.source == SOURCE_PROFILE and choice.profile:
        return f"aws configure set ca_bundle {target} --profile {shell_quote(choice.profile)}"
    var = choice.env_var or "AWS_CA_BUNDLE"
    return f"export {var}={target}"


def _point_at(ctx: Context, choice: BundleChoice, target: str, path: str | None = None) -> str | Command | Edit:
    """Make botocore use `target` (a shell word under $HOME) where `choice` is configured now: the
    profile's ca_bundle line as an exact edit of the file it is in (`aws configure set` would write to
    ~/.aws/config even when `check --config` lints another file), else the variable."""
    if choice.source == SOURCE_PROFILE and choice.config_path and choice.config_section and ctx.home:
        if path is None:  # `"$HOME/.aws/x.pem"`: the file under the home botocore's user has
            path = os.path.join(ctx.home, target.strip('"').removeprefix("$HOME/"))
        return Edit(choice.config_path, "set", choice.config_section, "ca_bundle", old=choice.value, new=path)
    return _set_bundle_command(ctx, choice, target)


def _new_bundle_target(ctx: Context, choice: BundleChoice) -> str:
    """Where to write a rebuilt bundle, never the file being read."""
    home = ctx.home or ""
    default = os.path.join(home, ".aws", "ca-bundle.pem")
    if choice.path and os.path.abspath(choice.path) == os.path.abspath(default):
        return '"$HOME/.aws/ca-bundle-full.pem"'
    return '"$HOME/.aws/ca-bundle.pem"'


def _expand_tilde(value: str, home: str | None) -> str | None:
    if home and (value == "~" or value.startswith("~/")):
        return home.rstrip("/") + value[1:]
    return None


def _bundle_problem(ctx: Context, b: ResolvedBundle) -> tuple[str, list[str | Command]] | None:
    """(what is wrong, fix commands) for one effective bundle, or None when botocore can use it."""
    choice, f = b.choice, b.file
    setting = _bundle_setting(ctx, choice)
    repoint: list[str | Command] = [manual(_set_bundle_command(ctx, choice, "<path to a PEM CA bundle>"))]
    if choice.env_var:
        repoint.append(f"unset {choice.env_var}")
    fails = "every TLS connection botocore makes fails"
    no_cert = "(no certificate or crl found)"
    if choice.blank:
        where = choice.env_var or f'ca_bundle of profile "{choice.profile}"'
        message = (f"{where} is set but empty: botocore refuses to create any client ('Invalid CA bundle: "
                   "the configured value ... resolved to an empty or whitespace-only string').")
        if choice.env_var:
            return message, [f"unset {choice.env_var}"]
        line = f"{ctx.show_path(choice.config_path)}:{choice.config_line}"
        if choice.config_path and choice.config_section:
            # an empty ca_bundle means "no bundle" to nobody: deleting it leaves botocore's default
            return message, [Edit(choice.config_path, "delete", choice.config_section, "ca_bundle", old="")]
        return message, [manual(f"edit {line} and delete the empty ca_bundle line")]
    if f is None or f.state == "too-large":
        return None
    if f.ok:
        if not f.all_expired(ctx.now):
            return None
        last = max(c.not_after for c in f.certificates).strftime("%Y-%m-%d")
        message = (f"{setting} holds only expired certificates (the last one expired on {last}): {fails} "
                   "with 'certificate has expired' or 'unable to get local issuer certificate'.")
        return message, repoint
    target = _new_bundle_target(ctx, choice)
    use_target = _set_bundle_command(ctx, choice, target)
    path = shell_quote(f.path)
    if f.state == "missing":
        expanded = _expand_tilde(choice.value or "", ctx.home)
        if expanded is not None:
            message = (f"{setting} does not exist because botocore does not expand '~': it opens the path "
                       f"literally, and {fails} ([Errno 2] No such file or directory).")
            return message, [_point_at(ctx, choice, shell_quote(expanded), expanded)]
        message = f"{setting} does not exist: {fails} ([Errno 2] No such file or directory)."
        if not os.path.isabs(choice.value or ""):
            message = message[:-1] + "; a relative path is looked up from whatever directory a command runs in."
        return message, repoint
    simple = {
        "dangling-link": f"{setting} is a symbolic link to a file that does not exist: {fails}.",
        "unreadable": f"{setting} cannot be read ({f.reason}): {fails}.",
        "not-a-file": f"{setting} is not a regular file: {fails}.",
        "empty": f"{setting} is an empty file: {fails} {no_cert}.",
        "not-pem": f"{setting} is not a PEM file (no '-----BEGIN CERTIFICATE-----' block): {fails} {no_cert}.",
    }
    if f.state in simple:
        return simple[f.state], repoint
    if f.state == "directory":
        message = (f"{setting} is a directory, but botocore needs one PEM file: {fails} ([Errno 21] Is a "
                   "directory).")
        return message, [manual(f"cat {path}/*.pem > {target} && {use_target}")]
    if f.state == "der":
        message = (f"{setting} is a DER (binary) certificate, but botocore reads only PEM text: {fails} "
                   f"{no_cert}.")
        # certifi's public roots plus the converted certificate: the DER file alone would hold only the
        # corporate root, which breaks TLS to AWS wherever the proxy does not re-sign (SSO306)
        return message, ['mkdir -p "$HOME/.aws"',
                         f"openssl x509 -inform der -in {path} | cat {shell_quote(ctx.public_roots)} - > {target}",
                         _point_at(ctx, choice, target)]
    if f.state == "no-certificates":
        held = name_list(list(f.labels), quote=False) if f.labels else "nothing else"
        return f"{setting} holds no certificate, only {held}: {fails} {no_cert}.", repoint
    if f.state == "damaged":
        where = f" at line {f.line}" if f.line else ""
        message = (f"{setting} is damaged{where} ({f.reason}); OpenSSL refuses the whole file, so {fails} "
                   f"({f.openssl_error}).")
        return message, [manual(f"edit {path}"), *repoint]
    return None


@rule("SSO304", "ca-bundle-invalid", Severity.ERROR, needs=("env", "config", "ca_bundle"))
def ca_bundle_invalid(ctx: Context) -> Iterator[Finding]:
    """The CA bundle botocore will use cannot verify anything.

    ## What it checks
    Finds the bundle botocore picks for each selected profile, in its order: `AWS_CA_BUNDLE`, then
    the profile's `ca_bundle`, then `REQUESTS_CA_BUNDLE`, then certifi's bundle. Then loads it the
    way botocore's urllib3 does (OpenSSL `load_verify_locations`) and says exactly why it fails: the
    value is blank, the file is missing (including a `~` botocore does not expand), a dangling link,
    unreadable, a directory, empty, DER instead of PEM, not PEM at all, holds no certificate (only
    a key, say), has a damaged certificate block (with its line), or holds only expired
    certificates.

    ## Why it matters
    Every HTTPS call botocore makes, including `aws sso login` and the SSO token refresh, fails
    with `SSL validation failed ...`, `[Errno 2] No such file or directory`, `[Errno 21] Is a
    directory` or, for a blank value, `Invalid CA bundle ... empty or whitespace-only string`.

    ## How to fix
    Point the setting at a readable PEM bundle, or remove it to use certifi's public roots:

        export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle.pem"
        unset AWS_CA_BUNDLE

    A DER certificate converts with `openssl x509 -inform der -in corp-root.cer`; the finding appends
    the result to certifi's public roots (named by its path on this machine) in
    `"$HOME/.aws/ca-bundle.pem"`.

    ## Example
        ✗ SSO304 ca-bundle-invalid: AWS_CA_BUNDLE (~/certs/corp.pem) does not exist: every TLS
          connection botocore makes fails ([Errno 2] No such file or directory).
    """
    for b in ctx.ca_bundle.bundles:
        if b.choice.source == SOURCE_VERIFY:
            continue
        if b.file is not None and b.file.state == "too-large":
            yield _too_large(ctx, b)
            continue
        problem = _bundle_problem(ctx, b)
        if problem is None:
            continue
        message, commands = problem
        yield ca_bundle_invalid.finding(
            message,
            fix("Point botocore at a readable PEM CA bundle.", *commands),
            subject=b.choice.profile,
            location=_bundle_location(b.choice),
        )


def _too_large(ctx: Context, b: ResolvedBundle) -> Finding:
    """A bundle too large to inspect: not proven broken, so a warning that says what was not checked."""
    from sso_doctor.loaders.ca_bundle import MAX_BUNDLE_BYTES

    size_mib = (b.file.size or 0) / (1024 * 1024) if b.file else 0
    message = (f"{_bundle_setting(ctx, b.choice)} is {size_mib:.0f} MiB; sso-doctor checks CA bundles up to "
               f"{MAX_BUNDLE_BYTES // (1024 * 1024)} MiB, so it did not read the certificates in this one. A CA "
               "bundle is normally well under 1 MiB (certifi's holds ~150 public roots in 0.3 MiB), and OpenSSL "
               "parses the whole file for every new HTTPS connection botocore opens.")
    return ca_bundle_invalid.finding(
        message,
        fix("Build a bundle of the roots you need (certifi's plus your corporate root) and point botocore at it.",
            manual(_set_bundle_command(ctx, b.choice, "<path to a PEM CA bundle>"))),
        subject=b.choice.profile,
        location=_bundle_location(b.choice),
        severity=Severity.WARNING,
        evidence={"size": str(b.file.size if b.file else ""), "limit": str(MAX_BUNDLE_BYTES)},
    )


# Where a rebuilt bundle goes: the file SSO504 builds too, so the two fixes agree.
_NEW_BUNDLE = "$HOME/.aws/ca-bundle.pem"


def _combined_bundle_commands(ctx: Context, source: str, *, glob: bool = False) -> list[str | Command]:
    """Build certifi's public roots plus `source` (a shell word) into one bundle and point botocore at it.

    A bundle with only the corporate root breaks TLS to AWS wherever the proxy does not re-sign
    (SSO306); the public roots first, then the corporate CA, work on every network. The certifi file
    is the one sso-doctor found on this machine, named by its path (no `python3 -m certifi` whose
    Python may lack certifi). `glob`: the source is a `dir/*.pem` pattern, which may match nothing:
    a step for a person.
    """
    target = f'"{_NEW_BUNDLE}"'
    if ctx.home and os.path.join(ctx.home, ".aws", "ca-bundle.pem") in source:
        target = '"$HOME/.aws/ca-bundle-full.pem"'  # never write the file being read
    build = f"cat {shell_quote(ctx.public_roots)} {source} > {target}"
    return ['mkdir -p "$HOME/.aws"', manual(build) if glob else build, f"export AWS_CA_BUNDLE={target}"]


@rule("SSO305", "ca-variable-ignored", Severity.WARNING, needs=("env", "config", "ca_bundle"))
def ca_variable_ignored(ctx: Context) -> Iterator[Finding]:
    """A CA variable botocore does not read is set, and none it reads is.

    ## What it checks
    Whether `SSL_CERT_FILE`, `SSL_CERT_DIR` or `CURL_CA_BUNDLE` is set while a selected profile gets
    certifi's default bundle, i.e. neither `AWS_CA_BUNDLE`, the profile's `ca_bundle` nor
    `REQUESTS_CA_BUNDLE` is set. One finding per variable.

    ## Why it matters
    These variables work for curl, OpenSSL and git, so the corporate CA "is configured", but botocore
    always passes an explicit bundle to OpenSSL (certifi's) and never reads them or the OS trust
    store. Behind a TLS-inspecting proxy the AWS CLI and SDKs then fail with
    `certificate verify failed: unable to get local issuer certificate` while curl works.

    ## How to fix
    Build one bundle of certifi's public roots plus the certificates the variable names, and point
    `AWS_CA_BUNDLE` at it (not at the variable's file itself: it often holds only the corporate root,
    and a bundle without public roots fails wherever the proxy does not re-sign, see SSO306). The
    finding names certifi's bundle by its path on this machine:

        mkdir -p "$HOME/.aws"
        cat /path/to/certifi/cacert.pem /etc/ssl/corp.pem > "$HOME/.aws/ca-bundle.pem"
        export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle.pem"

    For a directory (`SSL_CERT_DIR`), `cat` its `*.pem` files after certifi's bundle (check that the
    pattern matches your files).

    ## Example
        ! SSO305 ca-variable-ignored: SSL_CERT_FILE is set (/etc/ssl/corp.pem) but botocore ignores it:
          it verifies TLS with certifi's bundle only.
    """
    env = ctx.environment
    defaults = [b for b in ctx.ca_bundle.bundles if b.choice.source == SOURCE_CERTIFI]
    if not defaults:
        return
    certifi_path = defaults[0].choice.path
    for var in ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"):
        value = env.ca_vars.get(var)
        if not value or value == certifi_path:
            continue
        # Not AWS_CA_BUNDLE=$SSL_CERT_FILE: that file often holds only the corporate root, and botocore
        # would then trust nothing else (SSO306). certifi's roots plus its certificates work everywhere.
        if var == "SSL_CERT_DIR":
            commands = _combined_bundle_commands(ctx, f"{shell_quote(value)}/*.pem", glob=True)
        else:
            commands = _combined_bundle_commands(ctx, shell_quote(value))
        yield ca_variable_ignored.finding(
            f"{var} is set ({ctx.show_path(value)}) but botocore ignores it: with no AWS_CA_BUNDLE, ca_bundle or "
            "REQUESTS_CA_BUNDLE it verifies TLS with certifi's bundle only.",
            fix(f"Give botocore certifi's public roots plus the certificates of {var}, through AWS_CA_BUNDLE.",
                *commands),
            location=Location(path=value, env_var=var),
        )


@rule("SSO306", "ca-bundle-without-public-roots", Severity.WARNING, needs=("env", "config", "ca_bundle"))
def ca_bundle_without_public_roots(ctx: Context) -> Iterator[Finding]:
    """The configured CA bundle holds only private (corporate) CAs, no public root.

    ## What it checks
    For a bundle set through `AWS_CA_BUNDLE`, a profile's `ca_bundle` or `REQUESTS_CA_BUNDLE` that
    botocore can load: whether any certificate in it is also in certifi's bundle, or is an Amazon
    root (Amazon Root CA 1-4, Starfield Services Root Certificate Authority - G2).

    ## Why it matters
    botocore trusts only the configured file. A file with just the corporate root works while a
    TLS-inspecting proxy re-signs every connection; at home, on another network, or for a host the
    proxy does not inspect, real AWS certificates fail with `unable to get local issuer certificate`.

    ## How to fix
    Append the corporate CA to certifi's public roots and use the result:

        mkdir -p "$HOME/.aws"
        cat /path/to/certifi/cacert.pem corp-root.pem > "$HOME/.aws/ca-bundle.pem"
        export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle.pem"

    The finding names certifi's bundle by its path on this machine (the one botocore uses by default).

    ## Example
        ! SSO306 ca-bundle-without-public-roots: AWS_CA_BUNDLE (~/corp-root.pem) holds only "Corp Root
          CA" and no public or Amazon root: TLS to AWS works only while a proxy intercepts it.
    """
    for b in ctx.ca_bundle.bundles:
        f = b.file
        if b.choice.source in (SOURCE_CERTIFI, SOURCE_VERIFY) or f is None or not f.ok or not f.detailed:
            continue
        if f.all_expired(ctx.now) or f.has_public_root():
            continue
        names = [c.name for c in f.certificates]
        count = len(names)
        target = _new_bundle_target(ctx, b.choice)
        yield ca_bundle_without_public_roots.finding(
            f"{_bundle_setting(ctx, b.choice)} holds only {name_list(names)} and no public or Amazon root: TLS to "
            f"AWS works only while a proxy intercepts the connection and re-signs it with "
            f"{'that CA' if count == 1 else 'those CAs'}.",
            fix("Append the corporate CA to certifi's public roots and use that bundle.",
                'mkdir -p "$HOME/.aws"',
                f"cat {shell_quote(ctx.public_roots)} {shell_quote(f.path)} > {target}",
                _point_at(ctx, b.choice, target)),
            subject=b.choice.profile,
            location=_bundle_location(b.choice),
            evidence=[(f"certificate {i + 1}", _describe_cert(c)) for i, c in enumerate(f.certificates[:10])],
        )


def _describe_cert(c: Certificate) -> str:
    return f"{c.subject} (issuer {c.issuer}, expires {c.not_after.strftime('%Y-%m-%d')})"


# --- proxies ------------------------------------------------------------------------------------


def _quoted_shown(var: ProxyVar | None) -> str:
    return f'"{var.shown}"' if var is not None else "unset"


def _case_conflict(choice: ProxyChoice) -> Finding | None:
    """Two spellings of one proxy variable that botocore does not read as one value."""
    winner = choice.variable
    if winner is None:
        # an empty lower-case variable removed the proxy that an upper-case one sets
        empty = next((c for c in choice.candidates if c.lower and not c.value.reveal()), None)
        ignored = [c for c in choice.candidates if c.value.reveal()]
        if empty is None or not ignored:
            return None
        message = (f"{empty.name} is set but empty, which switches the {choice.kind} proxy off for botocore: "
                   f"{ignored[0].name} ({_quoted_shown(ignored[0])}) is ignored.")
        return proxy_misconfigured.finding(
            message,
            fix("Unset the empty variable, or set it to the proxy you mean.", f"unset {empty.name}"),
            severity=Severity.WARNING,
            location=Location(env_var=ignored[0].name),
        )
    ignored = [c for c in choice.candidates if c is not winner and c.value.reveal() and c.value != winner.value]
    if not ignored:
        return None
    loser = ignored[0]
    return proxy_misconfigured.finding(
        f"{loser.name} ({_quoted_shown(loser)}) and {winner.name} ({_quoted_shown(winner)}) disagree: "
        f"botocore reads them like urllib, lower-case last, so it uses {winner.name} and ignores {loser.name}.",
        fix("Give both spellings the same value (or unset the one you do not mean).",
            f'export {loser.name}="${winner.name}"'),
        severity=Severity.WARNING,
        location=Location(env_var=loser.name),
    )


def _bad_value(choice: ProxyChoice) -> Finding | None:
    var, problem = choice.variable, choice.problem
    if var is None or problem is None:
        return None
    if choice.kind == "https":
        effect = "every HTTPS request botocore sends, to AWS included, fails"
        severity = Severity.ERROR
    else:
        effect = "botocore uses it only for plain-http:// endpoints, and those requests fail"
        severity = Severity.WARNING
    if problem.kind == "unsupported-scheme":
        effect += " ('Failed to connect to proxy URL')"
    else:
        effect += " ('An HTTP Client raised an unhandled exception')"
    if problem.suggestion and MASK not in problem.suggestion:
        command: str | Command = f"export {var.name}={shell_quote(problem.suggestion)}"
    elif problem.suggestion:
        command = manual(f"export {var.name}={shell_quote(problem.suggestion)}  # put the real password back")
    else:
        command = manual(f"export {var.name}=http://<proxy host>:<port>")
    return proxy_misconfigured.finding(
        f"{var.name} is \"{var.shown}\": {problem.detail}; {effect}.",
        fix("Set the proxy as http://host:port (or https://host:port).", command),
        severity=severity,
        location=Location(env_var=var.name),
    )


@rule("SSO307", "proxy-misconfigured", Severity.ERROR, needs=("env",))
def proxy_misconfigured(ctx: Context) -> Iterator[Finding]:
    """A proxy variable is set in a way botocore cannot use or reads differently than you expect.

    ## What it checks
    The proxy variables as botocore reads them (through urllib: any letter case, lower-case read last
    and winning, an empty lower-case value switching the proxy off; a value without scheme gets
    `http://`):
    - error: the HTTPS proxy URL has an unsupported scheme (`socks5://`, `HTTP://` in capitals) or
      cannot be parsed (bad port, spaces, no host); a warning for the HTTP proxy, which AWS calls
      do not use;
    - warning: upper- and lower-case spellings (`HTTPS_PROXY`/`https_proxy`) hold different values;
    - warning: `ALL_PROXY` is set but no HTTPS proxy is: botocore ignores `ALL_PROXY`;
    - warning: a proxy is in use and `NO_PROXY` holds CIDR ranges (`10.0.0.0/8`) or wildcard patterns
      (`*.corp`): botocore matches only host names and domain suffixes.

    ## Why it matters
    A proxy botocore cannot parse breaks every call; a variable it ignores silently sends AWS traffic
    directly, which a corporate firewall drops (`Connect timeout on endpoint URL`), while curl, which
    reads the variables differently, often works.

    ## How to fix
    Set the proxy with a lower-case `http://` scheme, the same in both spellings:

        export HTTPS_PROXY=http://proxy.example.com:8080 https_proxy=http://proxy.example.com:8080

    and list domain suffixes in `NO_PROXY` (`.corp.example.com`), not ranges.

    ## Example
        ✗ SSO307 proxy-misconfigured: https_proxy is "socks5://127.0.0.1:1080": botocore supports only
          http:// and https:// proxies, not socks5://; every HTTPS request botocore sends fails.
    """
    env = ctx.environment
    for kind in ("https", "http", "no", "all"):
        choice = env.proxies.get(kind)
        if choice is None:
            continue
        for finding in (_case_conflict(choice), _bad_value(choice)):
            if finding is not None:
                yield finding
    all_proxy = env.proxies.get("all")
    https = env.proxies.get("https")
    if all_proxy and all_proxy.variable and not (https and https.variable):
        name = all_proxy.variable.name
        yield proxy_misconfigured.finding(
            f"{name} is set ({_quoted_shown(all_proxy.variable)}) but botocore ignores it and reads only "
            "HTTPS_PROXY/HTTP_PROXY, so requests to AWS go direct, past the proxy.",
            fix("Set the HTTPS proxy explicitly (botocore supports http:// and https:// proxies only).",
                f'export HTTPS_PROXY="${name}"'),
            severity=Severity.WARNING,
            location=Location(env_var=name),
        )
    no_proxy = env.proxies.get("no")
    proxied = any(env.proxies.get(k) and env.proxies[k].variable for k in ("https", "http"))
    bad = [e for e in env.no_proxy if e.unsupported]
    if bad and proxied and no_proxy and no_proxy.variable:
        kept = [e.text[1:] if e.unsupported == "wildcard pattern" and e.text.startswith("*.") else e.text
                for e in env.no_proxy if e.unsupported != "CIDR range" and e.text != "*"]
        listed = name_list([f"{e.text} ({'a ' + e.unsupported})" for e in bad], quote=False)
        yield proxy_misconfigured.finding(
            f"{no_proxy.variable.name} holds {listed}, which botocore never matches: it compares host names "
            "and domain suffixes only, so those hosts go through the proxy.",
            fix("List host names and domain suffixes instead (add the hosts of a CIDR range by name).",
                manual(f"export {no_proxy.variable.name}={shell_quote(','.join(kept))}")),
            severity=Severity.WARNING,
            location=Location(env_var=no_proxy.variable.name),
        )


@rule("SSO308", "proxy-credentials-in-env", Severity.WARNING, needs=("env",))
def proxy_credentials_in_env(ctx: Context) -> Iterator[Finding]:
    """A proxy variable carries a user name and password.

    ## What it checks
    Every `*_proxy` variable, in either letter case, whose URL has `user:password@` (also when
    botocore ignores that variable). The finding shows the URL with the password masked; sso-doctor
    never prints it.

    ## Why it matters
    botocore sends it as a Basic `Proxy-Authorization` header, so it works, but every process you
    start inherits the password, and it ends up in `env` dumps, shell history, crash reports and CI
    logs. Proxy passwords are usually your network (domain) password.

    ## How to fix
    Run a local authenticating proxy (cntlm, px) that holds the credentials, point the variables at
    it, and remove the password from your shell files:

        export HTTPS_PROXY=http://127.0.0.1:3128

    ## Example
        ! SSO308 proxy-credentials-in-env: HTTPS_PROXY carries a proxy password
          (http://alice:****@proxy.example.com:8080).
    """
    for var in ctx.environment.proxy_vars:
        if not var.has_password:
            continue
        bare = _without_userinfo(var.shown)
        yield proxy_credentials_in_env.finding(
            f"{var.name} carries a proxy password ({var.shown}): every process started from this shell "
            "inherits it, and it ends up in env dumps, shell history and CI logs.",
            fix("Keep the password out of the environment: let a local authenticating proxy (cntlm, px) "
                "hold it, or use a proxy that does not need one.",
                manual(f"export {var.name}={shell_quote(bare)}")),
            location=Location(env_var=var.name),
        )


def _without_userinfo(shown: str) -> str:
    scheme, sep, rest = shown.partition("://")
    if not sep:
        scheme, rest = "", shown
    hostpart = rest.rpartition("@")[2] if "@" in rest else rest
    return f"{scheme}://{hostpart}" if sep else hostpart


@rule("SSO309", "region-env-ignored", Severity.INFO, needs=("env",))
def region_env_ignored(ctx: Context) -> Iterator[Finding]:
    """AWS_REGION is set, but boto3 reads AWS_DEFAULT_REGION.

    ## What it checks
    Whether `AWS_REGION` is set while `AWS_DEFAULT_REGION` is not, or both are set to different
    regions. AWS CLI v2 (and most other AWS SDKs) read `AWS_REGION`; botocore, boto3 and AWS CLI v1
    read only `AWS_DEFAULT_REGION`.

    ## Why it matters
    The CLI and a Python script in the same shell talk to different regions, or the script fails
    with `NoRegionError: You must specify a region` when the profile has no `region`.

    ## How to fix
        export AWS_DEFAULT_REGION="$AWS_REGION"

    ## Example
        i SSO309 region-env-ignored: AWS_REGION is "eu-west-1" but AWS_DEFAULT_REGION is not set: AWS CLI
          v2 uses eu-west-1, boto3 and botocore ignore AWS_REGION.
    """
    region = ctx.environment.region
    ar, adr = region.get("AWS_REGION"), region.get("AWS_DEFAULT_REGION")
    if not ar or ar == adr:
        return
    shown = f'"{adr}"' if adr else "not set"
    sdk_side = f"use {adr}" if adr else "ignore AWS_REGION and use the profile's region"
    message = f'AWS_REGION is "{ar}" but AWS_DEFAULT_REGION is {shown}: AWS CLI v2 uses {ar}, boto3 and botocore {sdk_side}.'
    yield region_env_ignored.finding(
        message,
        fix("Set the region boto3 reads to the same value.", 'export AWS_DEFAULT_REGION="$AWS_REGION"'),
        location=Location(env_var="AWS_REGION"),
    )


RULES: tuple[Rule, ...] = (
    env_credentials_override,
    web_identity_override,
    profile_env_conflict,
    ca_bundle_invalid,
    ca_variable_ignored,
    ca_bundle_without_public_roots,
    proxy_misconfigured,
    proxy_credentials_in_env,
    region_env_ignored,
)
