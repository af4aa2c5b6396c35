"""Map an error message a user pasted (AWS CLI, botocore, JS/Go SDKs, CDK, Terraform) to the rules that
explain it. `sso-doctor explain "<text>"` uses this; each entry says why the message happens.

This module is data: one `_k(pattern, rules, cause)` per message family, its pattern written from the
message template in the tool's own source (botocore, the AWS CLI v1/v2, the SDKs; named in `src`), never
from one user's paste. Patterns see the pasted text after `error_match.normalize`: ANSI colours and
traceback frames gone, home directories as `~`, SHA-1s as `<SHA1>`, UUIDs as `<UUID>`, account ids as
`<ACCOUNT>`, ARNs as `<ARN>`, timestamps as `<TIME>`. Ranking, normalising and confidence live in
`sso_doctor/error_match.py`; the corpus in tests/data/real_world/ measures the two together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownError:
    pattern: re.Pattern[str]
    rules: tuple[str, ...]  # most likely first
    cause: str
    # A message so common or so short that it says little alone ("Unable to locate credentials",
    # "connection refused"): it ranks below any specific message in the same paste.
    generic: bool = False
    src: str = ""  # where the message template comes from
    # A narrower reading of a message another entry also matches (same text, one more condition):
    # it must win the tie.
    narrower: bool = False
    # The pattern is a whole line on its own (a bare KeyError naming a cache key): short, yet specific.
    whole_line: bool = False


def _k(pattern: str, rules: tuple[str, ...], cause: str, *, generic: bool = False, src: str = "",
       flags: int = 0, narrower: bool = False, whole_line: bool = False) -> KnownError:
    if whole_line:
        flags |= re.MULTILINE
    return KnownError(re.compile(pattern, re.IGNORECASE | re.DOTALL | flags), rules, cause, generic, src,
                      narrower, whole_line)


# Catalog ids that a message below names although no rule answers to them in this build yet: the matcher
# skips them until the rule exists, so `explain` never names a rule `sso-doctor check` cannot run. (The
# SSO8xx rules it once held exist now: rules/consumers.py.)
PLANNED_RULES: frozenset[str] = frozenset()


KNOWN: tuple[KnownError, ...] = (
    # --- config files -------------------------------------------------------------------------------
    _k(r"config profile \((?P<profile>[^)]*)\) could not be found|ProfileNotFound",
       ("SSO104", "SSO103", "SSO120"),
       "The selected profile is not in the config or credentials file (a typo in AWS_PROFILE / --profile, "
       "a section botocore ignores, or a file it cannot read).", src="botocore exceptions.ProfileNotFound"),
    _k(r"config profile \((?P<profile>default)\) could not be found", ("SSO123", "SSO104", "SSO103"),
       "Nothing selected a profile, so the tool fell back to `default`, which does not exist.",
       src="botocore exceptions.ProfileNotFound", narrower=True),
    _k(r"Profile '(?P<profile>[^']+)' could not be found in shared credentials file",
       ("SSO104", "SSO103"), "JS SDK: the selected profile is not in the shared config files.",
       src="aws-sdk-js-v3 token-providers fromSso"),
    _k(r"failed to get shared config profile,?\s*(?P<profile>\S+)?",
       ("SSO104", "SSO103"), "Terraform/Go SDK: the named profile is not in the shared config files.",
       src="aws-sdk-go-v2 config"),
    _k(r"The specified config file \([^)]*\) could not be found", ("SSO101",),
       "AWS_CONFIG_FILE (or the path given) names a file that does not exist.",
       src="botocore exceptions.ConfigNotFound"),
    _k(r"Unable to parse config file", ("SSO102",),
       "botocore refused the whole config or credentials file; the real cause (duplicate section, BOM, "
       "bad line) is hidden behind this message.", src="botocore exceptions.ConfigParseError"),
    _k(r"configparser\.\w*Error|File contains no section headers|While reading from .{0,200}?already exists|"
       r"Source contains parsing errors",
       ("SSO102",), "configparser's own error under botocore's ConfigParseError: the line and the cause.",
       src="python configparser (wrapped by botocore configloader.raw_config_parse)"),
    _k(r"failed to load shared config file|invalid state with ASTKind", ("SSO102",),
       "Go SDK: the shared config file could not be parsed.", src="aws-sdk-go config ini parser"),
    _k(r'profile "(?P<profile>[^"]+)" is configured to use SSO but is missing required configuration',
       ("SSO108", "SSO106", "SSO107", "SSO105"),
       "The profile has SSO keys but lacks sso_account_id/sso_role_name, or its start URL/region "
       "(directly or through its sso-session).", src="botocore credentials.SSOProvider; aws-sdk-go-v2 config"),
    _k(r'profile "(?P<profile>[^"]+)" is configured to use SSO but is missing required configuration:'
       r"[^\n]{0,40}?sso_(start_url|region)",
       ("SSO106", "SSO107", "SSO105"),
       "The start URL / region cannot be found for the profile: missing in its sso-session, or the tool "
       "reading it predates [sso-session] support and looks for them in the profile itself.",
       src="botocore credentials.SSOProvider; aws-sdk-go-v2 config.validateSSOConfiguration", narrower=True),
    _k(r"Profile property 'sso_(start_url|region)' was not configured for", ("SSO106", "SSO107", "SSO105"),
       "Java SDK: the profile has no start URL / region where this SDK looks for it.",
       src="aws-sdk-java-v2 ProfileCredentialsUtils.requireProperties"),
    _k(r"Profile property 'sso_(account_id|role_name)' was not configured for", ("SSO108",),
       "Java SDK: the profile lacks sso_account_id or sso_role_name.",
       src="aws-sdk-java-v2 ProfileCredentialsUtils.requireProperties"),
    _k(r"ProfileFile provider could not be built: .{0,200}?`sso_(region|start_url)` was missing",
       ("SSO107", "SSO106", "SSO105"),
       "Rust SDK: the profile's start URL / region is missing where this SDK looks for it.",
       src="aws-sdk-rust aws-config profile provider"),
    _k(r"ProfileFile provider could not be built", ("SSO104", "SSO108"),
       "Rust SDK: the selected profile can't be turned into a credentials provider.",
       src="aws-sdk-rust aws-config profile provider", generic=True),
    _k(r"Profile is configured with invalid SSO credentials\. Required parameters",
       ("SSO108", "SSO106", "SSO107"),
       "JS SDK: the profile lacks one of sso_account_id, sso_region, sso_role_name, sso_start_url.",
       src="aws-sdk-js-v3 credential-provider-sso validateSsoProfile"),
    _k(r"(RoleName|AccountId) must be supplied in the queryString params", ("SSO108", "SSO801", "SSO105"),
       "The portal was asked for role credentials without a role name or account id: the tool found no "
       "sso_role_name / sso_account_id in the profile (misplaced in the [sso-session], or a tool that "
       "does not read sso-session profiles).", src="sso API GetRoleCredentials validation (InvalidRequestException)"),
    _k(r"is missing required property 'sso_session'", ("SSO108",),
       "JS SDK token provider: the profile has no sso_session.", src="aws-sdk-js-v3 token-providers fromSso"),
    _k(r"specified sso-session does not exist|sso_session configuration does not exist|"
       r"Sso session '[^']*' could not be found",
       ("SSO105",),
       "The profile's sso_session names a [sso-session] section that is not in the config file.",
       src="botocore credentials.SSOProvider / tokens.SSOTokenProvider; aws-cli v2 sso utils; aws-sdk-js-v3"),
    _k(r"configured to use the SSO token provider but is missing the following configuration|"
       r"Sso session '[^']*' is missing required property",
       ("SSO107", "SSO106"),
       "The [sso-session] section lacks sso_region or sso_start_url.",
       src="botocore tokens.SSOTokenProvider; aws-sdk-js-v3 token-providers"),
    _k(r"value for \w+ is inconsistent between profile|sso_(region|start_url) in profile \S+ must match",
       ("SSO109",),
       "The profile repeats sso_start_url/sso_region with a value different from its sso-session's.",
       src="botocore credentials.SSOProvider; aws-sdk-go-v2 config"),
    _k(r"Missing the following required SSO configuration values", ("SSO108", "SSO106", "SSO107"),
       "`aws sso login` was run with a profile that has no SSO settings (or only some); without --profile "
       "that is the default profile.", src="aws-cli v2 customizations/sso/utils.py"),
    _k(r"'sso_(start_url|region)' not found in profile", ("SSO106", "SSO107", "SSO105"),
       "A helper found no start URL / region in the profile: it does not read the [sso-session] section.",
       src="aws2-wrap (KeyError message on the profile dict)"),
    _k(r"\bRegion is missing\b", ("SSO121", "SSO107"),
       "JS SDK: no region resolved for the client or the profile.",
       src="aws-sdk-js-v3 / smithy config-resolver"),
    _k(r"Missing required configuration: sso_region|Cannot determine region from start URL",
       ("SSO107", "SSO408"),
       "The AWS CLI needs sso_region: the start URL names none.", src="aws-cli v2 customizations/sso/resolve.py"),
    _k(r"Provided region_name '[^']*' doesn't match a supported format|Invalid endpoint: https?://\S*\s+[#;]",
       ("SSO112", "SSO115"),
       "The region value is not a region: often an inline comment (`region = us-east-1 # prod`), quotes or "
       "upper case, which botocore keeps as part of the value.", src="botocore exceptions.InvalidRegionError"),
    # --- start URL -------------------------------------------------------------------------------------
    _k(r"sso_start_url must use the https scheme|Invalid sso_start_url", ("SSO111",),
       "The start URL is not an absolute https:// URL.", src="aws-cli v2 customizations/sso/resolve.py"),
    _k(r"Could not resolve start URL .{0,300}? to an AWS-owned endpoint", ("SSO111", "SSO408"),
       "The start URL does not lead to an AWS access portal: often an identity provider's URL.",
       src="aws-cli v2 customizations/sso/resolve.py"),
    _k(r"Failed to resolve start URL: HTTP \d+", ("SSO507", "SSO111"),
       "The start URL answers an HTTP error.", src="aws-cli v2 customizations/sso/resolve.py"),
    _k(r"Failed to resolve start URL: ", ("SSO507", "SSO501", "SSO503"),
       "The start URL could not be reached.", src="aws-cli v2 customizations/sso/resolve.py"),
    _k(r"sso_start_url\s*=\s*https://([\w.-]*myapps\.microsoft\.com|login\.microsoftonline\.com|[\w.-]+\.okta\.com|"
       r"accounts\.google\.com|[\w.-]+\.onelogin\.com|[\w.-]+\.jumpcloud\.com)",
       ("SSO111",), "The start URL is the identity provider's URL, not the AWS access portal URL.",
       src="catalog SSO111 (identity-provider URL used as a start URL)"),
    # --- OIDC (login, refresh) -------------------------------------------------------------------------
    _k(r"InvalidGrantException|invalid[_ ]grant", ("SSO508", "SSO114", "SSO202"),
       "OIDC refused the grant: sso_region is not the Identity Center instance's region (the login went to "
       "another region's OIDC), or a dead refresh token.",
       src="sso-oidc API InvalidGrantException"),
    _k(r"Invalid refresh token provided|refresh cached SSO token failed|unable to refresh SSO token",
       ("SSO202", "SSO205"),
       "The refresh of an sso-session token was refused: the Identity Center session ended (8 hours by "
       "default) or the client registration expired.", src="sso-oidc CreateToken; aws-sdk-go-v2 ssocreds"),
    _k(r"InvalidRequestException\)? when calling the StartDeviceAuthorization|"
       r"InvalidRequestException.{0,80}StartDeviceAuthorization",
       ("SSO508", "SSO111", "SSO114"),
       "OIDC refused to start the login: the start URL and sso_region do not belong together (the instance "
       "lives in another region, or the URL is not a portal URL).",
       src="sso-oidc API StartDeviceAuthorization InvalidRequestException"),
    _k(r"InvalidClientException|invalid_client", ("SSO205",),
       "The OIDC client registration behind the token expired or was deleted; a new login registers again.",
       src="sso-oidc API InvalidClientException"),
    _k(r"pending authorization to retrieve an SSO token has expired|Device code has expired|"
       r"Unable to initialize the OAuth 2\.0 authorization callback handler|"
       r"use --use-device-code to fall back",
       ("SSO406",),
       "The browser step of the login never completed: no browser where the login ran (SSH, container) or "
       "the local callback server could not start.",
       src="botocore exceptions.PendingAuthorizationExpiredError / AuthCodeFetcherError; sso-oidc API"),
    # --- token cache ----------------------------------------------------------------------------------
    _k(r"Error loading SSO Token: Token for \S+ does not exist", ("SSO201", "SSO210"),
       "No cached SSO token under the key this profile uses (never logged in, logged in with another "
       "profile style, or a different start-URL spelling).", src="botocore utils.SSOTokenLoader"),
    _k(r"Error loading SSO Token: Token for \S+ is invalid", ("SSO206",),
       "The cached token file lacks accessToken/expiresAt or is corrupt.", src="botocore utils.SSOTokenLoader"),
    _k(r"SSO access token has either expired or is otherwise invalid", ("SSO201", "SSO202"),
       "Older botocore: no cached token for the profile's key, or an expired one.",
       src="botocore < 1.29 SSOTokenLoadError"),
    _k(r"\.aws/sso/cache/<SHA1>\.json\W{0,3}:? ?(no such file or directory|\(os error 2\))|"
       r"No such file or directory: '~/\.aws/sso/cache/<SHA1>\.json'|"
       r"failed to read cached SSO token file",
       ("SSO201",),
       "The tool looked for the token file under a key that has none: not logged in, or logged in under the "
       "other key style (sso-session name vs start URL).",
       src="botocore JSONFileCache; aws-sdk-go-v2 ssocreds.loadCachedToken; aws-sdk-rust sso"),
    _k(r"failed to parse cached SSO token file|cached SSO token must contain accessToken and expiresAt|"
       r"Value not present for '(accessToken|expiresAt)' in SSO Token|"
       r"(KeyError: |failed: |token: )'(accessToken|expiresAt)'|SSO cache data unexpectedly missing props",
       ("SSO206", "SSO202"),
       "The token cache file is not valid JSON or lacks accessToken/expiresAt.",
       src="aws-sdk-go-v2 ssocreds; aws-sdk-js-v3 token-providers; KeyError on a token dict"),
    _k(r"^\W{0,3}'<SHA1>'\W{0,3}$", ("SSO206",),
       "A bare KeyError naming a cache key: botocore found a cache file it cannot parse (corrupt JSON).",
       src="botocore utils.JSONFileCache.__getitem__ (raises KeyError(cache_key))", whole_line=True),
    _k(r"SSO session associated with this profile has expired or is otherwise invalid",
       ("SSO202", "SSO201", "SSO209"),
       "The cached token is expired (and, for a legacy profile, can't be refreshed) or missing.",
       src="botocore exceptions.UnauthorizedSSOTokenError"),
    _k(r"SSO session associated with this profile has expired\.", ("SSO202", "SSO204"),
       "JS SDK: the legacy cached token is expired (the JS SDK treats tokens as expired shortly before "
       "expiresAt and never refreshes legacy tokens).", src="aws-sdk-js-v3 credential-provider-sso"),
    _k(r"SSO session associated with this profile is invalid",
       ("SSO201", "SSO202"),
       "JS SDK: no cached token file for the profile (or an unreadable one).",
       src="aws-sdk-js-v3 credential-provider-sso / token-providers"),
    _k(r"Token has expired and refresh failed", ("SSO202", "SSO205"),
       "botocore tried to refresh the sso-session token and failed: refresh fields missing, the client "
       "registration expired, or the Identity Center session ended.", src="botocore tokens.SSOTokenProvider"),
    _k(r"SSO Token is expired|the SSO session has expired or is invalid|SSOProviderInvalidToken|"
       r"SSO session token associated with profile\S* was not found or is invalid|"
       r"Token is expired\. To refresh this SSO session|cached SSO token is expired, or not present, and cannot "
       r"be refreshed|Value not present for 'refreshToken'",
       ("SSO202", "SSO201"), "JS/Go SDK: the cached SSO token is missing or expired and can't be refreshed.",
       src="aws-sdk-js-v3 token-providers; aws-sdk-go(-v2) ssocreds"),
    _k(r"cached SSO login is expired|Unable to load SSO token", ("SSO201", "SSO801", "SSO202", "SSO210"),
       "A tool reading ~/.aws/sso/cache found no usable token under the key it computes (not logged in, or a "
       "tool that predates [sso-session] looking under the start-URL key).",
       src="aws-sso-creds-helper / aws-sdk-java-v2 messages", generic=True),
    _k(r"\bToken expired\b", ("SSO202",), "The cached SSO token is expired.", src="aws-vault", generic=True),
    _k(r"ExpiredTokenException", ("SSO202", "SSO203"), "The SSO access token is expired.",
       src="sso-oidc / sso API ExpiredTokenException"),
    _k(r"operation error SSO: GetRoleCredentials, https response error StatusCode: 401", ("SSO601", "SSO202"),
       "The portal answered 401 (UnauthorizedException): the cached token was refused.",
       src="sso API GetRoleCredentials (401) as the Go SDK prints it"),
    _k(r"operation error SSO: GetRoleCredentials, https response error StatusCode: 403", ("SSO603", "SSO604"),
       "The portal answered 403 (ForbiddenException): no access to that account and role.",
       src="sso API GetRoleCredentials (403) as the Go SDK prints it"),
    _k(r"Session token not found or invalid|UnauthorizedException", ("SSO601", "SSO202"),
       "The portal rejected the cached token: revoked server-side (sign-out, user disabled) or expired.",
       src="sso API UnauthorizedException"),
    _k(r"ForbiddenException|: No access\b", ("SSO603", "SSO602", "SSO604"),
       "The account or role in the profile is not assigned to the user, or the permission set is not provisioned.",
       src="sso API GetRoleCredentials (ForbiddenException, not in the service model)"),
    _k(r"Could not find account with id|ResourceNotFoundException\)? when calling the (ListAccountRoles|"
       r"GetRoleCredentials)",
       ("SSO602", "SSO113"), "The account id is not among the user's accounts (or is malformed).",
       src="sso API ResourceNotFoundException"),
    _k(r"No AWS accounts are available to you", ("SSO602",),
       "The user has no account assignment at all (helpdesk: `sso-doctor triage`).",
       src="aws-cli v2 configure sso"),
    _k(r"TooManyRequestsException|Rate exceeded|ThrottlingException", ("SSO606",),
       "Too many portal or STS calls in a short time (often scripts looping over profiles).",
       src="sso / sts API throttling"),
    # --- credentials and environment ------------------------------------------------------------------------
    _k(r"Unable to locate credentials|no valid credential sources|NoCredentialProviders|no valid providers in chain|"
       r"Could not load credentials from any providers|but no credentials have been configured|"
       r"Missing credentials in config|no EC2 IMDS role found|No signing credentials found",
       ("SSO201", "SSO108", "SSO802", "SSO104"),
       "No credential source answered: for SSO profiles usually no login yet, a login-only profile, a tool "
       "whose SDK predates SSO profiles, or the wrong profile selected.", generic=True,
       src="botocore NoCredentialsError; aws-sdk-js v2/v3 credential chains; aws-sdk-go(-v2) chains (the last "
           "provider, instance metadata, failing); terraform; cdk"),
    _k(r"Need to perform AWS calls for account \S+ but no credentials have been configured",
       ("SSO201", "SSO801", "SSO802"),
       "AWS CDK found no credentials for the account: not logged in, or a CDK CLI that predates SSO profiles "
       "or [sso-session].", src="aws-cdk SdkProvider.forEnvironment", generic=True),
    _k(r"No AWS profile named '(?P<profile>[^']+)'|boto\.provider\.ProfileNotFoundError", ("SSO802", "SSO104"),
       "An SDK that predates SSO profiles (AWS SDK for Java v1, legacy boto) does not see the SSO profile, or "
       "the profile does not exist.", src="aws-sdk-java v1 ProfileCredentialsProvider; boto 2 provider"),
    _k(r"InvalidScopeException", ("SSO122", "SSO804"),
       "OIDC refused the registration scopes (or grant types) the tool asked for.",
       src="sso-oidc API RegisterClient InvalidScopeException"),
    _k(r"Partial credentials found in env", ("SSO301",),
       "Some AWS_* credential variables are set; they take precedence over AWS_PROFILE and are incomplete.",
       src="botocore exceptions.PartialCredentialsError"),
    _k(r"security token included in the request is invalid|InvalidClientTokenId|UnrecognizedClientException",
       ("SSO301", "SSO118"),
       "Static or stale keys from the environment or credentials file are used instead of the SSO profile.",
       src="sts / service API InvalidClientTokenId"),
    _k(r"security token included in the request is expired|\bExpiredToken\b|The provided token has expired",
       ("SSO301", "SSO211", "SSO202"),
       "Expired temporary credentials are used: exported into the environment earlier, or cached role "
       "credentials outliving the SSO token.", src="sts / service API ExpiredToken (S3: 'The provided token has expired.')"),
    _k(r"AssumeRoleWithWebIdentity|WebIdentityErr|web identity token|assume role with web identity", ("SSO302",),
       "AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE are set and win over the SSO profile.",
       src="botocore credentials.AssumeRoleWithWebIdentityProvider"),
    _k(r"Signature expired|Signature not yet current|InvalidSignatureException|RequestTimeTooSkewed|"
       r"RequestExpired|Request has expired",
       ("SSO506", "SSO301"), "The local clock is off: signed requests are refused.",
       src="SigV4 service errors"),
    # --- files and permissions -------------------------------------------------------------------------------
    _k(r"Permission denied: '~/\.aws/(config|credentials)'|PermissionError: .{0,40}~/\.aws/(config|credentials)",
       ("SSO120", "SSO208"), "The config or credentials file can't be read by this user (often owned by root).",
       src="python OSError on the shared files"),
    _k(r"(\.aws/sso/cache|ssoCache)\S* has incorrect permissions|Permission denied: '~/\.aws/(sso|cli)/cache",
       ("SSO208", "SSO207"), "The SSO cache directory or its files are not writable by this user.",
       src="python OSError / aws-toolkit-vscode on the token cache"),
    # --- TLS and proxies -----------------------------------------------------------------------------------
    _k(r"unable to get local issuer certificate|self[- ]signed certificate in certificate chain",
       ("SSO504", "SSO304", "SSO306", "SSO305"),
       "TLS verification failed: a corporate proxy re-signs TLS with its own CA, which the CA bundle botocore "
       "uses does not contain.", src="botocore exceptions.SSLError (OpenSSL verify errors)"),
    _k(r"CERTIFICATE_VERIFY_FAILED\] certificate verify failed \(", ("SSO304", "SSO504"),
       "TLS verification failed without a reason: an old or incomplete CA bundle.",
       src="OpenSSL via botocore exceptions.SSLError", generic=True),
    _k(r"Invalid CA bundle|SSL validation failed for \S+ \[Errno (2|13|21)\]|"
       r"Could not find a suitable TLS CA certificate bundle|NO_CERTIFICATE_OR_CRL_FOUND",
       ("SSO304",),
       "The CA bundle botocore uses (AWS_CA_BUNDLE, profile ca_bundle, REQUESTS_CA_BUNDLE) is missing, "
       "unreadable, a directory, blank or holds no certificate.",
       src="botocore endpoint._validate_verify_value / exceptions.SSLError; requests adapters"),
    _k(r"hostname '[^']+' doesn't match|certificate verify failed: Hostname mismatch", ("SSO505",),
       "The server presented a certificate for another host: a captive portal, DNS hijack or a proxy.",
       src="urllib3 / OpenSSL hostname check"),
    _k(r"certificate has expired|CERTIFICATE_VERIFY_FAILED\] certificate verify failed: certificate has expired",
       ("SSO505", "SSO304", "SSO506"), "A certificate in the chain (or the bundle) is expired, or the clock is wrong.",
       src="OpenSSL verify errors"),
    _k(r"Failed to connect to proxy URL|ProxyConnectionError|Proxy Authentication Required|"
       r"Tunnel connection failed: \d+|Cannot connect to proxy",
       ("SSO503", "SSO307", "SSO308"),
       "The HTTPS proxy is unreachable or refuses the connection (authentication, allow-list).",
       src="botocore exceptions.ProxyConnectionError; http.client tunnel"),
    _k(r"\b407\b", ("SSO503", "SSO308"), "HTTP 407: the proxy wants authentication.", generic=True,
       src="HTTP status"),
    _k(r"Could not connect to the endpoint URL|Connect timeout on endpoint URL|Read timeout on endpoint URL|"
       r"connection refused|i/o timeout|request send failed",
       ("SSO502", "SSO501", "SSO119"),
       "The SSO/OIDC endpoint could not be reached: firewall, VPN, or an endpoint override pointing elsewhere.",
       generic=True, src="botocore EndpointConnectionError / ConnectTimeoutError; aws-sdk-go request send"),
    _k(r"Name or service not known|nodename nor servname provided|getaddrinfo failed|Could not resolve host|"
       r"no such host|Temporary failure in name resolution", ("SSO501",), "DNS can't resolve the AWS host.",
       src="resolver errors"),
    # --- the AWS CLI itself ------------------------------------------------------------------------------------
    _k(r"Invalid choice: '(sso|configure sso)'|argument command: Invalid choice.*sso|"
       r"Note: AWS CLI version 2, the latest major version|argument (operation|subcommand): Invalid choice",
       ("SSO402",), "AWS CLI v1 is running: it has no `aws sso login` / `aws configure sso`.",
       src="aws-cli v1 clidriver / argparser"),
    _k(r"Unknown options?: --use-device-code", ("SSO404",), "The AWS CLI is older than 2.22.0.",
       src="aws-cli v2 argparser"),
    _k(r"Unknown options?: --sso-session|sso-session.*not supported", ("SSO403",),
       "The AWS CLI is older than 2.9.0 and knows no [sso-session].", src="aws-cli v2 argparser"),
    _k(r"Attempting to automatically open the SSO authorization page|Failed to open browser|"
       r"xdg-open: no method available|gio: https?://\S+: Operation not supported|"
       r"\"xdg-open\": executable file not found", ("SSO406",),
       "The PKCE login waits for a browser on this machine, which a remote/headless session doesn't have.",
       src="aws-cli v2 customizations/sso/utils.OpenBrowserHandler; xdg-utils; GLib gio open; Go os/exec"),
)


@dataclass(frozen=True)
class Match:
    known: KnownError
    profile: str | None


def match(text: str) -> list[Match]:
    """The known messages found in the text, most specific first (see `error_match.explain`)."""
    from sso_doctor import error_match

    return error_match.matches(text)


def profile_in(text: str) -> str | None:
    from sso_doctor import error_match

    return error_match.profile_in(text)


# --- other consumers (SSO8xx): their own wording, from their sources (sso_doctor/data/consumers.toml
# cites each). Kept in their own block and placed first: they are more specific than the entries above.
CONSUMER_ERRORS: tuple[KnownError, ...] = (
    # botocore/awscli v1 print "sso_start_url, sso_region"; the Go SDK v1 (terraform, ...) the other order
    _k(r"is configured to use SSO but is missing required configuration: "
       r"(?:sso_region, sso_start_url|sso_start_url, sso_region)",
       ("SSO801", "SSO106", "SSO107"),
       "A tool or SDK that predates [sso-session] (botocore < 1.29.10, AWS SDK for Go v1 < 1.44.298, the "
       "Terraform AWS provider 4.45.0 and older, terragrunt < 0.53.1) read a profile that takes its start URL "
       "and region from an sso-session. `sso-doctor check` names which one is installed here.",
       src="botocore 1.29.9 credentials.SSOProvider._load_sso_config; aws-sdk-go v1 session (issue 4649); "
           "terraform-provider-aws issue 28263", narrower=True),
    _k(r"Profile is configured with invalid SSO credentials\. Required parameters \"sso_account_id\", "
       r"\"sso_region\", \"sso_role_name\", \"sso_start_url\"",
       ("SSO801", "SSO108"),
       "AWS SDK for JavaScript v3: @aws-sdk/credential-provider-sso older than 3.209.0 knows no sso_session; or "
       "the profile lacks one of the four keys.",
       src="aws-sdk-js-v3 3.208.0 credential-provider-sso validateSsoProfile (run in tests/test_consumers_differential.py)",
       narrower=True),
    _k(r"does not have valid SSO credentials\. Required parameters \"sso_account_id\", \"sso_region\", "
       r"\"sso_role_name\", \"sso_start_url\"", ("SSO801", "SSO108"),
       "AWS SDK for JavaScript v2 (aws-sdk) older than 2.1253.0 knows no sso_session; or the profile lacks one "
       "of the four keys.", src="aws-sdk-js v2.1252.0 lib/credentials/sso_credentials.js"),
    _k(r"the 'sso' service module must be on the class path|the 'ssooidc' service module must be on the class path",
       ("SSO803",),
       "AWS SDK for Java 2.x: the project lacks the software.amazon.awssdk `sso` module (every SSO profile) or "
       "`ssooidc` (sso-session profiles).",
       src="aws-sdk-java-v2 ProfileCredentialsUtils.ssoCredentialsProviderFactory; SsoProfileCredentialsProviderFactory"),
    _k(r"Assembly AWSSDK\.SSO(?:OIDC)? could not be found or loaded", ("SSO803",),
       "AWS SDK for .NET: SSO profiles need the AWSSDK.SSO and AWSSDK.SSOOIDC packages in the project.",
       src="AWS Prescriptive Guidance, IAM Identity Center report with PowerShell: troubleshooting"),
    _k(r"'NoneType' object has no attribute 'get_frozen_token'", ("SSO804",),
       "botocore 1.29.10 to 1.29.74 (AWS CLI v2 before its fix for aws/aws-cli#7496): a role profile whose "
       "source_profile uses an sso-session loads the wrong profile's token provider.", src="aws/aws-cli#7496"),
    _k(r"is not using role-based, session-based, process-based, or basic credentials", ("SSO801",),
       "AWS Toolkit for JetBrains without sso-session support read a profile that uses sso_session.",
       src="aws/aws-toolkit-jetbrains#3411"),
    _k(r"'sso_start_url' not found in profile", ("SSO805", "SSO801"),
       "aws2-wrap older than 1.3.1 knows no [sso-session] sections.", src="linaro-its/aws2-wrap#68"),
)
KNOWN = CONSUMER_ERRORS + KNOWN
