"""Map an error message a user pasted (AWS CLI, botocore, JS/Go SDKs, CDK, Terraform) to the rules that
explain it. `sso-doctor explain "<text>"` uses this; each entry says why the message happens."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownError:
    pattern: re.Pattern[str]
    rules: tuple[str, ...]  # most likely first
    cause: str


def _k(pattern: str, rules: tuple[str, ...], cause: str) -> KnownError:
    return KnownError(re.compile(pattern, re.IGNORECASE | re.DOTALL), rules, cause)


KNOWN: tuple[KnownError, ...] = (
    # --- config files -------------------------------------------------------------------------------
    _k(r"config profile \((?P<profile>[^)]*)\) could not be found|ProfileNotFound",
       ("SSO104", "SSO103", "SSO120"),
       "The selected profile is not in the config or credentials file (a typo in AWS_PROFILE / --profile, "
       "a section botocore ignores, or a file it cannot read)."),
    _k(r"failed to get shared config profile,?\s*(?P<profile>\S+)?",
       ("SSO104", "SSO103"), "Terraform/Go SDK: the named profile is not in the shared config files."),
    _k(r"Unable to parse config file", ("SSO102",),
       "botocore refused the whole config or credentials file; the real cause (duplicate section, BOM, "
       "bad line) is hidden behind this message."),
    _k(r'profile "(?P<profile>[^"]+)" is configured to use SSO but is missing required configuration',
       ("SSO108", "SSO106", "SSO107", "SSO105"),
       "The profile has SSO keys but lacks sso_account_id/sso_role_name, or its start URL/region "
       "(directly or through its sso-session)."),
    _k(r"specified sso-session does not exist", ("SSO105",),
       "The profile's sso_session names a [sso-session] section that is not in the config file."),
    _k(r"value for \w+ is inconsistent between profile", ("SSO109",),
       "The profile repeats sso_start_url/sso_region with a value different from its sso-session's."),
    _k(r"Missing the following required SSO configuration values", ("SSO108", "SSO106", "SSO107"),
       "`aws sso login` was run with a profile that has no SSO settings (or only some)."),
    _k(r"Provided region_name '[^']*' doesn't match a supported format|Invalid endpoint: https?://\S*\s+[#;]",
       ("SSO112", "SSO115"),
       "The region value is not a region: often an inline comment (`region = us-east-1 # prod`), quotes or "
       "upper case, which botocore keeps as part of the value."),
    _k(r"InvalidGrantException|invalid_grant", ("SSO114", "SSO112", "SSO202"),
       "OIDC refused the grant: a wrong sso_region for the start URL, or a dead refresh token."),
    # --- token cache ----------------------------------------------------------------------------------
    _k(r"Error loading SSO Token: Token for \S+ does not exist", ("SSO201", "SSO210"),
       "No cached SSO token under the key this profile uses (never logged in, logged in with another "
       "profile style, or a different start-URL spelling)."),
    _k(r"Error loading SSO Token: Token for \S+ is invalid", ("SSO206",),
       "The cached token file lacks accessToken/expiresAt or is corrupt."),
    _k(r"SSO session associated with this profile has expired or is otherwise invalid",
       ("SSO202", "SSO201", "SSO209"),
       "The cached token is expired (and, for a legacy profile, can't be refreshed) or missing."),
    _k(r"Token has expired and refresh failed", ("SSO202", "SSO205"),
       "botocore tried to refresh the sso-session token and failed: refresh fields missing or the client "
       "registration expired."),
    _k(r"SSO Token is expired|SSO session token associated with profile\S* was not found or is invalid|"
       r"the SSO session has expired or is invalid|Token is expired\. To refresh this SSO session",
       ("SSO202", "SSO201"), "JS/Go SDK: the cached SSO token is missing or expired; the SDKs don't refresh legacy tokens."),
    _k(r"ExpiredTokenException", ("SSO202", "SSO203"), "The SSO access token is expired."),
    _k(r"InvalidClientException|invalid_client", ("SSO205",),
       "The OIDC client registration behind the token expired or was deleted; a new login registers again."),
    _k(r"Session token not found or invalid|UnauthorizedException", ("SSO601", "SSO202"),
       "The portal rejected the cached token: revoked server-side (sign-out, user disabled) or expired."),
    _k(r"ForbiddenException|: No access\b", ("SSO603", "SSO602", "SSO604"),
       "The account or role in the profile is not assigned to the user, or the permission set is not provisioned."),
    _k(r"No AWS accounts are available to you", ("SSO602",),
       "The user has no account assignment at all (helpdesk: `sso-doctor triage`)."),
    _k(r"TooManyRequestsException|Rate exceeded|ThrottlingException", ("SSO606",),
       "Too many portal or STS calls in a short time (often scripts looping over profiles)."),
    # --- credentials and environment ------------------------------------------------------------------------
    _k(r"Unable to locate credentials|no valid credential sources|NoCredentialProviders|"
       r"Could not load credentials from any providers|but no credentials have been configured",
       ("SSO201", "SSO108", "SSO104"),
       "No credential source answered: for SSO profiles usually no login yet, a login-only profile, or the "
       "wrong profile selected."),
    _k(r"Partial credentials found in env", ("SSO301",),
       "Some AWS_* credential variables are set; they take precedence over AWS_PROFILE and are incomplete."),
    _k(r"security token included in the request is invalid|InvalidClientTokenId|UnrecognizedClientException",
       ("SSO301", "SSO118"),
       "Static or stale keys from the environment or credentials file are used instead of the SSO profile."),
    _k(r"AssumeRoleWithWebIdentity|WebIdentityErr|web identity token", ("SSO302",),
       "AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE are set and win over the SSO profile."),
    _k(r"Signature expired|Signature not yet current|InvalidSignatureException|RequestTimeTooSkewed",
       ("SSO506",), "The local clock is off: signed requests are refused."),
    # --- TLS and proxies -----------------------------------------------------------------------------------
    _k(r"unable to get local issuer certificate|self[- ]signed certificate in certificate chain",
       ("SSO504", "SSO304", "SSO306", "SSO305"),
       "TLS verification failed: a corporate proxy re-signs TLS with its own CA, which the CA bundle botocore "
       "uses does not contain."),
    _k(r"Invalid CA bundle|\[Errno 2\] No such file or directory|\[Errno 21\] Is a directory|"
       r"Could not find a suitable TLS CA certificate bundle", ("SSO304",),
       "The CA bundle botocore uses (AWS_CA_BUNDLE, profile ca_bundle, REQUESTS_CA_BUNDLE) is missing, a "
       "directory or blank."),
    _k(r"hostname '[^']+' doesn't match|certificate verify failed: Hostname mismatch", ("SSO505",),
       "The server presented a certificate for another host: a captive portal, DNS hijack or a proxy."),
    _k(r"certificate has expired|CERTIFICATE_VERIFY_FAILED\] certificate verify failed: certificate has expired",
       ("SSO505", "SSO304", "SSO506"), "A certificate in the chain (or the bundle) is expired, or the clock is wrong."),
    _k(r"Failed to connect to proxy URL|ProxyConnectionError|Proxy Authentication Required|\b407\b",
       ("SSO503", "SSO307", "SSO308"),
       "The HTTPS proxy is unreachable or refuses the connection (authentication, allow-list)."),
    _k(r"Could not connect to the endpoint URL|Connect timeout on endpoint URL|Read timeout on endpoint URL|"
       r"connection refused|i/o timeout", ("SSO502", "SSO501", "SSO119"),
       "The SSO/OIDC endpoint could not be reached: firewall, VPN, or an endpoint override pointing elsewhere."),
    _k(r"Name or service not known|nodename nor servname provided|getaddrinfo failed|Could not resolve host|"
       r"no such host|Temporary failure in name resolution", ("SSO501",), "DNS can't resolve the AWS host."),
    # --- the AWS CLI itself ------------------------------------------------------------------------------------
    _k(r"Invalid choice: '(sso|configure sso)'|argument command: Invalid choice.*sso", ("SSO402",),
       "AWS CLI v1 is running: it has no `aws sso` commands."),
    _k(r"Unknown options?: --use-device-code", ("SSO404",), "The AWS CLI is older than 2.22.0."),
    _k(r"Unknown options?: --sso-session|sso-session.*not supported", ("SSO403",),
       "The AWS CLI is older than 2.9.0 and knows no [sso-session]."),
    _k(r"Attempting to automatically open the SSO authorization page|Failed to open browser|"
       r"xdg-open: no method available", ("SSO406",),
       "The PKCE login waits for a browser on this machine, which a remote/headless session doesn't have."),
)


@dataclass(frozen=True)
class Match:
    known: KnownError
    profile: str | None


def match(text: str) -> list[Match]:
    """Every known message found in the text, in table order, at most once each."""
    found = []
    for k in KNOWN:
        m = k.pattern.search(text)
        if m:
            profile = m.groupdict().get("profile") if m.groupdict() else None
            found.append(Match(k, profile.strip() if profile else None))
    return found


def profile_in(text: str) -> str | None:
    for pat in (r"profile \(([^)]+)\)", r'profile "([^"]+)"', r"--profile\s+(\S+)", r"profile=(\S+?)[,\s]"):
        m = re.search(pat, text)
        if m:
            return m.group(1)
    return None


# --- other consumers (SSO8xx): their own wording, from their sources (sso_doctor/data/consumers.toml
# cites each). Kept in their own block and placed first: they are more specific than the entries above.
CONSUMER_ERRORS: tuple[KnownError, ...] = (
    # botocore/awscli v1 print "sso_start_url, sso_region"; the Go SDK v1 (terraform, ...) the other order
    _k(r"is configured to use SSO but is missing required configuration: "
       r"(?:sso_region, sso_start_url|sso_start_url, sso_region)",
       ("SSO801", "SSO106", "SSO107"),
       "A tool or SDK that predates [sso-session] (botocore < 1.29.10, AWS SDK for Go v1 < 1.44.298, the "
       "Terraform AWS provider 4.45.0 and older, terragrunt < 0.53.1) read a profile that takes its start URL "
       "and region from an sso-session. `sso-doctor check` names which one is installed here."),
    _k(r"Profile is configured with invalid SSO credentials\. Required parameters \"sso_account_id\", "
       r"\"sso_region\", \"sso_role_name\", \"sso_start_url\"",
       ("SSO801", "SSO108"),
       "AWS SDK for JavaScript v3: @aws-sdk/credential-provider-sso older than 3.209.0 knows no sso_session; or "
       "the profile lacks one of the four keys."),
    _k(r"does not have valid SSO credentials\. Required parameters \"sso_account_id\", \"sso_region\", "
       r"\"sso_role_name\", \"sso_start_url\"", ("SSO801", "SSO108"),
       "AWS SDK for JavaScript v2 (aws-sdk) older than 2.1253.0 knows no sso_session; or the profile lacks one "
       "of the four keys."),
    _k(r"the 'sso' service module must be on the class path|the 'ssooidc' service module must be on the class path",
       ("SSO803",),
       "AWS SDK for Java 2.x: the project lacks the software.amazon.awssdk `sso` module (every SSO profile) or "
       "`ssooidc` (sso-session profiles)."),
    _k(r"Assembly AWSSDK\.SSO(?:OIDC)? could not be found or loaded", ("SSO803",),
       "AWS SDK for .NET: SSO profiles need the AWSSDK.SSO and AWSSDK.SSOOIDC packages in the project."),
    _k(r"'NoneType' object has no attribute 'get_frozen_token'", ("SSO804",),
       "botocore 1.29.10 to 1.29.74 (AWS CLI v2 before its fix for aws/aws-cli#7496): a role profile whose "
       "source_profile uses an sso-session loads the wrong profile's token provider."),
    _k(r"is not using role-based, session-based, process-based, or basic credentials", ("SSO801",),
       "AWS Toolkit for JetBrains without sso-session support read a profile that uses sso_session."),
    _k(r"'sso_start_url' not found in profile", ("SSO805", "SSO801"),
       "aws2-wrap older than 1.3.1 knows no [sso-session] sections."),
)
KNOWN = CONSUMER_ERRORS + KNOWN
