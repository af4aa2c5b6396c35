"""SSO111-SSO115, SSO119, SSO121, SSO122: config values, judged next to the real botocore."""

from __future__ import annotations

import json
import time
from pathlib import Path

import botocore.session
import pytest
from conftest import windows_essentials
from botocore.exceptions import InvalidConfigError, InvalidRegionError
from hypothesis import given, settings
from hypothesis import strategies as st

from sso_doctor import aws_values, engine
from sso_doctor.context import Context, RunSettings
from sso_doctor.loaders import aws_config
from sso_doctor.rules import ALL_RULES, config_values

SESSION = """
[sso-session acme]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""


def write_home(home: Path, config: str, credentials: str | None = None) -> Path:
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    (aws / "config").write_text(config.lstrip("\n"))
    if credentials is not None:
        (aws / "credentials").write_text(credentials.lstrip("\n"))
    return aws / "config"


def run(home: Path, ids: tuple[str, ...] | None = None, env: dict[str, str] | None = None,
        profiles: tuple[str, ...] = ()):
    ctx = Context(RunSettings(profiles=profiles), env={"HOME": str(home), **windows_essentials(home), **(env or {})})
    rules = [r for r in config_values.RULES if ids is None or r.id in ids]
    report = engine.run(rules, ctx)
    assert not [r for r in report.results if r.status.value == "errored"], report.results
    return list(report.findings)


def summary(findings):
    return sorted((f.rule_id, f.severity.label, f.subject, f.location.line) for f in findings)


def botocore_session(monkeypatch, home: Path, profile: str, env: dict[str, str] | None = None):
    """A real botocore session over the same files, with only the given AWS variables set."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    return botocore.session.Session(profile=profile)


def client(session, name: str, region: str = "us-east-1"):
    return session.create_client(name, region_name=region, aws_access_key_id="AKIDEXAMPLE",
                                 aws_secret_access_key="not-a-secret")


# --- documentation ------------------------------------------------------------------------------------


def test_rules_are_registered():
    ids = [r.id for r in config_values.RULES]
    assert ids == sorted(ids) == ["SSO111", "SSO112", "SSO113", "SSO114", "SSO115", "SSO119", "SSO121", "SSO122"]
    # the registry is in id order overall (tests/test_engine.py), so these interleave with rules/config.py
    assert set(ids) <= {r.id for r in ALL_RULES}


@pytest.mark.parametrize("rule", config_values.RULES, ids=lambda r: r.id)
def test_docs_have_the_four_parts(rule):
    doc = rule.doc
    first, *rest = doc.splitlines()
    assert first and not first.startswith("#")
    heads = [ln for ln in rest if ln.startswith("## ")]
    assert heads == ["## What it checks", "## Why it matters", "## How to fix", "## Example"]
    example = doc.split("## Example", 1)[1]
    assert f"{rule.id} {rule.slug}:" in example


# --- regions: botocore's partition data -----------------------------------------------------------------


def test_partitions_are_botocores_own_data():
    from botocore.endpoint_provider import RuleSetStandardLibrary
    from botocore.loaders import Loader

    data = Loader().load_data("partitions")
    assert [p.id for p in aws_values.partitions()] == [p["id"] for p in data["partitions"]]
    listed = {r for p in data["partitions"] for r in p["regions"] if not r.endswith("-global")}
    assert set(aws_values.known_regions()) == listed
    lib = RuleSetStandardLibrary(json.loads(json.dumps(data)))
    for region in [*aws_values.known_regions(), "ap-southeast-8", "cn-south-9", "us-gov-central-1"]:
        assert aws_values.partition_of(region).id == lib.aws_partition(region)["name"], region


def test_every_known_region_gets_an_sso_endpoint_from_botocore(clean_env):
    session = botocore.session.Session()
    for region in aws_values.known_regions():
        part = aws_values.partition_of(region)
        url = client(session, "sso-oidc", region).meta.endpoint_url
        assert url == f"https://oidc.{region}.{part.dns_suffix}", region
        assert aws_values.judge_region(region).status == "valid"


@pytest.mark.parametrize("value", ['"us-east-1"', "us-east-1 # prod", "us east 1", "us-east-1;"])
def test_botocore_refuses_what_we_call_invalid(clean_env, value):
    with pytest.raises(InvalidRegionError):
        client(botocore.session.Session(), "sso", value)
    assert aws_values.judge_region(value).status == "invalid"


@pytest.mark.parametrize("value", ["us-eats-1", "US-EAST-1", "us-east-1a"])
def test_botocore_builds_a_dead_endpoint_for_what_we_call_invalid(clean_env, value):
    # botocore does not check region names against its data: it builds a host that does not exist,
    # which is exactly why SSO112 has to.
    url = client(botocore.session.Session(), "sso-oidc", value).meta.endpoint_url
    assert url == f"https://oidc.{value}.amazonaws.com"
    verdict = aws_values.judge_region(value)
    assert verdict.status == "invalid"
    assert verdict.suggestions == ("us-east-1",)


def test_pseudo_regions_are_a_region_but_not_an_sso_region(clean_env):
    assert aws_values.judge_region("aws-global", allow_pseudo=True).status == "valid"
    assert aws_values.judge_region("aws-global").status == "pseudo"
    session = botocore.session.Session()
    assert client(session, "sts", "aws-global").meta.endpoint_url == "https://sts.amazonaws.com"
    assert client(session, "sso", "aws-global").meta.endpoint_url == "https://portal.sso.aws-global.amazonaws.com"


@pytest.mark.parametrize("value, status, suggestions", [
    ("us-east-1", "valid", ()),
    ("eusc-de-east-1", "valid", ()),
    ("US-EAST-1", "invalid", ("us-east-1",)),
    (" 'eu-west-1' ", "invalid", ("eu-west-1",)),
    ("eu_west_1", "invalid", ("eu-west-1",)),
    ("useast1", "invalid", ("us-east-1",)),
    ("us-east", "invalid", ("us-east-1", "us-east-2")),
    ("ap-southeast-8", "unlisted", ()),  # suggestions checked below: several are equally close
    ("cn-south-9", "unlisted", ()),
    ("", "invalid", ()),
    ("frankfurt", "invalid", ()),
])
def test_judge_region(value, status, suggestions):
    verdict = aws_values.judge_region(value)
    assert verdict.status == status
    if status != "unlisted":
        assert verdict.suggestions == suggestions
    assert verdict.reason or status == "valid"


# --- SSO112 / SSO115: inline comments, no double reporting -----------------------------------------------


def test_inline_comment_is_part_of_the_value_for_botocore(clean_env, monkeypatch):
    config = write_home(clean_env, "[profile dev]\nregion = us-east-1 # prod\n")
    session = botocore_session(monkeypatch, clean_env, "dev")
    assert session.get_config_variable("region") == "us-east-1 # prod"
    with pytest.raises(InvalidRegionError):
        session.create_client("sts", aws_access_key_id="a", aws_secret_access_key="b")
    # ... and SSO115 alone reports it, as an error, at the key's line.
    findings = run(clean_env, ("SSO112", "SSO115"))
    assert summary(findings) == [("SSO115", "error", "dev", 2)]
    assert findings[0].location.path == str(config)
    [edit] = findings[0].fix.edits
    assert (edit.path, edit.section, edit.key, edit.old, edit.new, edit.safe) == (
        str(config), "profile dev", "region", "us-east-1 # prod", "us-east-1", True)


def test_comment_and_typo_are_both_reported(clean_env):
    write_home(clean_env, "[profile dev]\nregion = us-eats-1 # prod\n")
    findings = run(clean_env, ("SSO112", "SSO115"))
    assert summary(findings) == [("SSO112", "error", "dev", 2), ("SSO115", "error", "dev", 2)]
    sso112 = next(f for f in findings if f.rule_id == "SSO112")
    assert '"us-east-1"' in sso112.message


def test_comment_only_url_and_account_are_left_to_sso115(clean_env):
    write_home(clean_env, """
[profile dev]
sso_start_url = https://d-1234567890.awsapps.com/start # main
sso_region = us-east-1 ; home
sso_account_id = 123456789012 # prod
sso_role_name = Admin # warning only
""")
    assert summary(run(clean_env)) == [
        ("SSO115", "error", "dev", 2), ("SSO115", "error", "dev", 3), ("SSO115", "error", "dev", 4),
        ("SSO115", "warning", "dev", 5),
    ]


def test_many_profiles_with_one_bad_value_give_one_finding(clean_env):
    config = "".join(f"[profile p{i:03}]\nregion = us-east-1 # prod\n\n" for i in range(500))
    config += "".join(f"[profile q{i:03}]\nregion = us-eats-1\n\n" for i in range(20))
    write_home(clean_env, config)
    findings = run(clean_env, ("SSO112", "SSO115"))
    assert summary(findings) == [("SSO112", "error", "q000", 1502), ("SSO115", "error", "p000", 2)]
    sso115 = next(f for f in findings if f.rule_id == "SSO115")
    assert 'profiles "p000", "p001", "p002", "p003", "p004" and 495 more' in sso115.message
    # one exact edit per line: an apply mode fixes all 500 (the text report shows a few)
    assert len(sso115.fix.edits) == 500 and all(e.safe and e.new == "us-east-1" for e in sso115.fix.edits)


def test_a_secret_with_an_inline_comment_is_never_echoed(clean_env):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    write_home(clean_env, "[profile dev]\nregion = us-east-1\n",
               credentials=f"[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                           f"aws_secret_access_key = {secret} # old key\n")
    findings = run(clean_env, ("SSO115",))
    assert summary(findings) == [("SSO115", "warning", "dev", 3)]
    text = json.dumps([[f.message, f.evidence, [c.text for c in f.fix.commands], f.detail] for f in findings])
    assert secret not in text and "EXAMPLEKEY" not in text and "old key" not in text


# --- SSO111 / SSO113 / SSO114: values AWS must recognise --------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://d-1234567890.awsapps.com/start",
    "https://acme.awsapps.com/start",
    "https://ssoins-7223a7e1e5dd8e8b.portal.eu-west-1.app.aws",
    "https://start.us-gov-home.awsapps.com/directory/d-906712d6f5",
    "https://start.home.awsapps.cn/directory/d-9067642ac7",
    "https://identitycenter.amazonaws.com/ssoins-7223a7e1e5dd8e8b",
])
def test_portal_urls_are_fine(url):
    assert aws_values.judge_start_url(url).ok


@pytest.mark.parametrize("url, severity, needle, suggestion", [
    ("https://acme.okta.com/app/amazon_aws/exk1/sso/saml", "error", "Okta", None),
    ("https://login.microsoftonline.com/tenant/saml2", "error", "Entra", None),
    ("https://myapps.microsoft.com/signin/AWS/123", "error", "Entra", None),
    ("https://accounts.google.com/o/saml2/initsso?idpid=x", "error", "Google", None),
    ("https://acme.onelogin.com/portal", "error", "OneLogin", None),
    ("https://sso.jumpcloud.com/saml2/aws", "error", "JumpCloud", None),
    ("https://acme.auth0.com/samlp/abc", "error", "Auth0", None),
    ("https://sso.connect.pingidentity.com/sso/sp/initsso", "error", "Ping", None),
    ("https://fs.acme.example/adfs/ls/IdpInitiatedSignOn.aspx", "error", "AD FS", None),
    ("https://signin.aws.amazon.com/console", "error", "Console", None),
    ("https://device.sso.us-east-1.amazonaws.com/", "error", "device-code", None),
    ("http://d-1234567890.awsapps.com/start", "error", "http://", "https://d-1234567890.awsapps.com/start"),
    ("'https://d-1234567890.awsapps.com/start'", "error", "quotes", "https://d-1234567890.awsapps.com/start"),
    ("https://d-1234567890.awsapps.com/start extra", "error", "whitespace", "https://d-1234567890.awsapps.com/start"),
    ("https://d-1234567890.awsapps.com/start/", "warning", "ends with '/'", "https://d-1234567890.awsapps.com/start"),
    ("https://d-1234567890.awsapps.com/start#/", "warning", "fragment", "https://d-1234567890.awsapps.com/start"),
    ("https://aws.acme.example/start", "warning", "vanity", None),
    ("https://", "error", "host", None),
    ("", "error", "empty", None),
])
def test_bad_start_urls(url, severity, needle, suggestion):
    verdict = aws_values.judge_start_url(url)
    assert ("error" if verdict.errors else "warning") == severity
    assert needle.lower() in " ".join(verdict.errors + verdict.warnings).lower()
    assert verdict.suggestion == suggestion


@pytest.mark.parametrize("value, ok, suggestion", [
    ("123456789012", True, None),
    ("012345678901", True, None),
    ("12345678901", False, "012345678901"),
    ("1234-5678-9012", False, "123456789012"),
    ('"123456789012"', False, "123456789012"),
    ("1234 5678 9012", False, "123456789012"),
    ("1.23457E+11", False, None),
    ("1234567890123", False, None),
    ("acme-prod", False, None),
    ("１２３４５６７８９０１２", False, None),  # full-width digits are not ASCII digits
])
def test_judge_account_id(value, ok, suggestion):
    verdict = aws_values.judge_account_id(value)
    assert (verdict.ok, verdict.suggestion) == (ok, suggestion)


def test_legacy_mismatch_is_fixed_with_an_exact_edit(clean_env):
    write_home(clean_env, """
[profile dev]
sso_start_url = https://ssoins-7223a7e1e5dd8e8b.portal.ap-southeast-2.app.aws
sso_region = ap-southeast-1
sso_account_id = 123456789012
sso_role_name = Admin
""")
    [finding] = run(clean_env, ("SSO114",))
    assert (finding.subject, finding.location.line, finding.location.key) == ("dev", 3, "sso_region")
    assert [(e.section, e.key, e.new, e.safe) for e in finding.fix.edits] == [
        ("profile dev", "sso_region", "ap-southeast-2", True)]


def test_profile_region_mixed_with_session_url_is_checked(clean_env):
    # The session has the URL, the profile adds sso_region: botocore combines them.
    write_home(clean_env, """
[profile dev]
sso_session = acme
sso_region = us-west-2
sso_account_id = 123456789012
sso_role_name = Admin

[sso-session acme]
sso_start_url = https://ssoins-7223a7e1e5dd8e8b.portal.eu-west-1.app.aws
""")
    assert summary(run(clean_env, ("SSO114",))) == [("SSO114", "error", "dev", 3)]


# --- SSO119: the endpoint botocore really uses ------------------------------------------------------------

ENDPOINT_CONFIG = """
[profile dev]
sso_session = acme
sso_account_id = 123456789012
sso_role_name = Admin
{extra}

[services local]
sso_oidc =
  endpoint_url = http://127.0.0.1:9001
s3 =
  endpoint_url = http://127.0.0.1:9002

[services hyphen]
sso-oidc =
  endpoint_url = http://127.0.0.1:9003
""" + SESSION


@pytest.mark.parametrize("extra, env", [
    ("", {}),
    ("", {"AWS_ENDPOINT_URL": "http://localhost:4566"}),
    ("", {"AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_ENDPOINT_URL_SSO_OIDC": "http://localhost:4567"}),
    ("", {"AWS_ENDPOINT_URL_SSO": ""}),
    ("endpoint_url = http://localhost:4566", {}),
    ("endpoint_url = http://localhost:4566", {"AWS_ENDPOINT_URL_STS": "http://localhost:5000"}),
    ("services = local\nendpoint_url = http://localhost:4566", {}),
    ("services = hyphen", {}),
    ("endpoint_url = http://localhost:4566", {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}),
    ("endpoint_url = http://localhost:4566\nignore_configured_endpoint_urls = true", {}),
    ("endpoint_url = http://localhost:4566\nignore_configured_endpoint_urls = true",
     {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}),
    ("endpoint_url = http://localhost:4566\nignore_configured_endpoint_urls = true",
     {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": ""}),
])
def test_endpoint_overrides_agree_with_botocore_clients(clean_env, monkeypatch, extra, env):
    write_home(clean_env, ENDPOINT_CONFIG.format(extra=extra))
    cfg = aws_config.load({"HOME": str(clean_env), **windows_essentials(clean_env), **env}, str(clean_env))
    ours = {o.client: o.url for o in config_values.endpoint_overrides(cfg, env) if o.profile == "dev"}
    session = botocore_session(monkeypatch, clean_env, "dev", env)
    for name in ("sso", "sso-oidc", "sts"):
        url = client(session, name).meta.endpoint_url
        if name in ours:
            assert ours[name] == url, name
        else:
            assert url.endswith(".amazonaws.com"), (name, url)
    findings = run(clean_env, ("SSO119",), env=env)
    assert bool(findings) == bool(ours)


def test_dangling_services_reference_breaks_botocore_and_is_an_error(clean_env, monkeypatch):
    write_home(clean_env, ENDPOINT_CONFIG.format(extra="services = nowhere"))
    session = botocore_session(monkeypatch, clean_env, "dev")
    with pytest.raises(InvalidConfigError):
        client(session, "sso")
    assert summary(run(clean_env, ("SSO119",))) == [("SSO119", "error", "dev", 5)]


def test_endpoint_variable_names_are_botocores():
    from botocore.configprovider import ConfiguredEndpointProvider

    for name, service_key in config_values._SSO_CLIENTS.items():
        provider = ConfiguredEndpointProvider({}, {}, name, environ={})
        assert provider._get_service_env_var_name() == config_values._env_var(name)  # noqa: SLF001
        assert provider._transformed_service_id == service_key  # noqa: SLF001


def test_env_override_is_one_finding_for_all_profiles(clean_env):
    config = "".join(f"[profile p{i}]\nsso_session = acme\nsso_account_id = 123456789012\nsso_role_name = A\n\n"
                     for i in range(30)) + SESSION
    write_home(clean_env, config)
    findings = run(clean_env, ("SSO119",), env={"AWS_ENDPOINT_URL": "http://localhost:4566"})
    assert [(f.location.env_var, f.severity.label) for f in findings] == [("AWS_ENDPOINT_URL", "warning")]
    assert "and 25 more" in findings[0].message
    assert findings[0].fix.commands[0].text == "unset AWS_ENDPOINT_URL"


# --- SSO121 / SSO122 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("env, fires", [
    ({}, True),
    ({"AWS_DEFAULT_REGION": "eu-west-1"}, False),
    ({"AWS_REGION": "eu-west-1"}, False),
    ({"AWS_DEFAULT_REGION": ""}, True),
])
def test_missing_region_looks_at_both_region_variables(clean_env, env, fires):
    write_home(clean_env, "[profile dev]\nsso_session = acme\nsso_account_id = 123456789012\nsso_role_name = A\n"
               + SESSION)
    findings = run(clean_env, ("SSO121",), env={"AWS_PROFILE": "dev", **env})
    assert summary(findings) == ([("SSO121", "info", "dev", 1)] if fires else [])


def test_missing_region_ignores_unselected_and_non_sso_profiles(clean_env):
    write_home(clean_env, "[profile plain]\noutput = json\n\n[profile dev]\nsso_session = acme\n" + SESSION)
    assert run(clean_env, ("SSO121",), profiles=("plain",)) == []
    assert summary(run(clean_env, ("SSO121",), profiles=("dev",))) == [("SSO121", "info", "dev", 4)]


@pytest.mark.parametrize("raw, ok", [
    ("sso:account:access", True),
    (" sso:account:access , codewhisperer:completions", True),
    (",sso:account:access,", True),
    ("sso:account:access:extra", False),
    ("codewhisperer:completions", False),
    ("", False),
])
def test_registration_scopes_are_split_like_the_cli(clean_env, raw, ok):
    write_home(clean_env, f"[sso-session acme]\nsso_start_url = https://d-1234567890.awsapps.com/start\n"
                          f"sso_region = us-east-1\nsso_registration_scopes = {raw}\n")
    assert summary(run(clean_env, ("SSO122",))) == ([] if ok else [("SSO122", "info", "acme", 4)])


# --- scale ---------------------------------------------------------------------------------------------------


def test_2500_profiles_are_checked_well_under_a_second(clean_env):
    parts = [SESSION]
    for i in range(2500):
        bad = i % 10 == 0
        parts.append(
            f"[profile p{i:04}]\nsso_session = acme\nsso_account_id = {'12345678901' if bad else '123456789012'}\n"
            f"sso_role_name = Admin\nregion = {'us-east-1 # prod' if bad else 'eu-west-1'}\n"
            f"{'endpoint_url = http://localhost:4566' if i % 100 == 0 else ''}\n"
        )
    write_home(clean_env, "\n".join(parts))
    aws_values.partitions()  # loaded once per process; the first load is measured separately below
    # CPU time, not wall time: the machine is shared, and other processes must not fail this test.
    start = time.process_time()
    ctx = Context(RunSettings(all_profiles=True), env={"HOME": str(clean_env), **windows_essentials(clean_env)})
    rules = [r for r in ALL_RULES if r.id.startswith("SSO1")]
    report = engine.run(rules, ctx)
    elapsed = time.process_time() - start
    counts = {r.rule.id: len(r.findings) for r in report.results if r.findings}
    assert counts == {"SSO113": 1, "SSO115": 1, "SSO119": 1}
    assert elapsed < 1.0, f"{elapsed:.2f} s CPU for 2,500 profiles (parse + every SSO1 rule)"
    own = sum(r.duration_ms for r in report.results if r.rule in config_values.RULES)
    assert own < 500, f"{own:.0f} ms in the value rules alone"


# --- bad input never crashes -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_judges_never_raise(value):
    for allow_pseudo in (False, True):
        assert aws_values.judge_region(value, allow_pseudo).status in {"valid", "pseudo", "unlisted", "invalid"}
    url = aws_values.judge_start_url(value)
    assert url.ok or url.errors or url.warnings
    aws_values.start_url_home(value)
    assert aws_values.judge_account_id(value).ok in (True, False)
    assert aws_values.strip_inline_comment(value) == value or aws_values.has_inline_comment(value)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["https://", "http://", "", "https://[", "https://d-1.awsapps.com", "://"]),
       st.text(alphabet="[]:/#@?%. \"'abc-", max_size=30))
def test_start_url_judge_survives_url_shaped_junk(prefix, rest):
    verdict = aws_values.judge_start_url(prefix + rest)
    assert verdict.errors or verdict.warnings or verdict.ok
