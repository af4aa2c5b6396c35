"""`sso-doctor explain "<error text>"`: real messages users paste map to the rules that explain them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sso_doctor import error_texts
from sso_doctor.cli import app

# (message as users see it, the rule that must be named first)
CASES = [
    ("botocore.exceptions.ProfileNotFound: The config profile (prod-admn) could not be found", "SSO104"),
    ("Error: configuring Terraform AWS Provider: failed to get shared config profile, dev", "SSO104"),
    ("Unable to parse config file: /home/me/.aws/config", "SSO102"),
    ('The profile "dev" is configured to use SSO but is missing required configuration: sso_role_name, '
     "sso_account_id", "SSO108"),
    ('The specified sso-session does not exist: "corp"', "SSO105"),
    ("The value for sso_start_url is inconsistent between profile (https://a.awsapps.com/start) and "
     "sso-session (https://b.awsapps.com/start).", "SSO109"),
    ("Missing the following required SSO configuration values: sso_start_url, sso_region. To make sure this "
     "profile is properly configured to use SSO, please run: aws configure sso", "SSO108"),
    ("Provided region_name 'us-east-1 # prod' doesn't match a supported format.", "SSO112"),
    # SSO508 (sso_region is not the instance's region) is the usual cause; SSO114 when the URL names a region
    ("An error occurred (InvalidGrantException) when calling the CreateToken operation: ", "SSO508"),
    ("The config profile (default) could not be found", "SSO123"),
    ("Error loading SSO Token: Token for https://d-1234567890.awsapps.com/start does not exist", "SSO201"),
    ("Error loading SSO Token: Token for my-sso does not exist", "SSO201"),
    ("Error loading SSO Token: Token for https://d-1234567890.awsapps.com/start is invalid", "SSO206"),
    ("The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO "
     "session run aws sso login with the corresponding profile.", "SSO202"),
    ("Error when retrieving token from sso: Token has expired and refresh failed", "SSO202"),
    ("CredentialsProviderError: The SSO session token associated with profile=dev was not found or is invalid. "
     "To refresh this SSO session run 'aws sso login' with the corresponding profile.", "SSO202"),
    ("operation error SSO: GetRoleCredentials, failed to refresh cached credentials, the SSO session has "
     "expired or is invalid", "SSO202"),
    ("An error occurred (UnauthorizedException) when calling the GetRoleCredentials operation: Session token "
     "not found or invalid", "SSO601"),
    ("An error occurred (ForbiddenException) when calling the GetRoleCredentials operation: No access", "SSO603"),
    ("No AWS accounts are available to you.", "SSO602"),
    ("An error occurred (TooManyRequestsException) when calling the ListAccounts operation (reached max "
     "retries: 4): Rate exceeded", "SSO606"),
    ('Unable to locate credentials. You can configure credentials by running "aws configure".', "SSO201"),
    ("Error: No valid credential sources found for AWS Provider.", "SSO201"),
    ("Need to perform AWS calls for account 111111111111, but no credentials have been configured", "SSO201"),
    ("Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY", "SSO301"),
    ("An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security "
     "token included in the request is invalid.", "SSO301"),
    ("An error occurred (InvalidSignatureException) when calling the ListFunctions operation: Signature "
     "expired: 20261126T120000Z is now earlier than 20261126T121000Z", "SSO506"),
    ("SSL validation failed for https://oidc.us-east-1.amazonaws.com/client/register [SSL: "
     "CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)",
     "SSO504"),
    ("SSL validation failed for https://oidc.us-east-1.amazonaws.com/client/register [Errno 2] No such file or "
     "directory", "SSO304"),
    ("SSL validation failed for https://portal.sso.us-east-1.amazonaws.com/ [Errno 21] Is a directory", "SSO304"),
    ("Invalid CA bundle: the configured value for AWS_CA_BUNDLE resolved to an empty or whitespace-only string",
     "SSO304"),
    ("SSL validation failed for https://oidc.us-east-1.amazonaws.com/ hostname 'oidc.us-east-1.amazonaws.com' "
     "doesn't match 'login.hotel-wifi.example'", "SSO505"),
    ('Failed to connect to proxy URL: "http://proxy.corp.example:3128"', "SSO503"),
    ('Could not connect to the endpoint URL: "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials"',
     "SSO502"),
    ("dial tcp: lookup oidc.us-east-1.amazonaws.com: no such host", "SSO501"),
    ("aws: error: argument command: Invalid choice, valid choices are: ... Invalid choice: 'sso'", "SSO402"),
    ("Unknown options: --use-device-code", "SSO404"),
    ("Unknown options: --sso-session", "SSO403"),
    ("Attempting to automatically open the SSO authorization page in your default browser.", "SSO406"),
]

NOT_SSO = [
    "hello world",
    "npm ERR! code E404",
    "Segmentation fault (core dumped)",
    "An error occurred (NoSuchBucket) when calling the GetObject operation: The specified bucket does not exist",
    "ModuleNotFoundError: No module named 'requests'",
    "fatal: not a git repository (or any of the parent directories): .git",
]


def test_at_least_30_distinct_messages():
    assert len({m for m, _ in CASES}) >= 30
    assert len({r for _, r in CASES}) >= 25


@pytest.mark.parametrize(("message", "first_rule"), CASES, ids=[f"{r}-{i}" for i, (_, r) in enumerate(CASES)])
def test_message_maps_to_its_rule_first(message, first_rule):
    matches = error_texts.match(message)
    assert matches, "no match"
    assert matches[0].known.rules[0] == first_rule


@pytest.mark.parametrize("message", NOT_SSO)
def test_unrelated_messages_map_to_nothing(message):
    assert error_texts.match(message) == []
    result = CliRunner().invoke(app, ["explain", message])
    assert result.exit_code == 1 and "does not recognise" in result.stdout


def test_every_mapped_rule_exists():
    from sso_doctor.rules import by_id

    known = by_id()
    missing = {r for k in error_texts.KNOWN for r in k.rules} - set(known)
    # planned catalog ids (other tools, SSO8xx) may be named before their rule lands; the matcher skips them
    assert missing <= error_texts.PLANNED_RULES


def test_explain_never_names_a_rule_that_does_not_exist():
    from sso_doctor import error_match
    from sso_doctor.rules import by_id

    known = set(by_id())
    texts = ["Unable to locate credentials", "Cached SSO login is expired/invalid",
             "Need to perform AWS calls for account 1, but no credentials have been configured",
             "No AWS profile named 'dev'", "hello world"]
    for text in texts:
        assert set(error_match.explain(text).rules) <= known, text


def test_cli_names_the_rules_and_the_profile_to_check():
    result = CliRunner().invoke(app, ["explain", "The config profile (prod-admn) could not be found"])
    assert result.exit_code == 0
    assert "SSO104 profile-not-found" in result.stdout
    assert "sso-doctor check --profile prod-admn" in result.stdout
    assert "sso-doctor explain SSO104" in result.stdout


def test_rule_ids_and_slugs_still_show_docs():
    assert CliRunner().invoke(app, ["explain", "SSO102"]).stdout.startswith("SSO102 config-unparseable")
    assert CliRunner().invoke(app, ["explain", "sso999"]).exit_code == 2
