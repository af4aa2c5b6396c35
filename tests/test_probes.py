"""Unit tests of the online plumbing: targets agree with botocore's own clients (endpoints, proxies,
CA bundle), and the engine's time budget keeps what a cut-off rule had already found."""

from __future__ import annotations

import threading
import time

import botocore.session
import pytest

from sso_doctor import engine
from sso_doctor.context import Context, RunSettings
from sso_doctor.model import Rule, Severity, Status, fix, rule
from sso_doctor.probes import targets

CONFIG = """\
[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly
{extra}
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1

[services local]
sso_oidc =
  endpoint_url = https://oidc.local.test:8443
sso =
  endpoint_url = https://portal.local.test
"""


def _resolve(monkeypatch, home, extra: str = "", **env: str):
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text(CONFIG.format(extra=extra))
    monkeypatch.setenv("AWS_PROFILE", "dev")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    ctx = Context(RunSettings())
    res = targets.resolve(ctx.config, ctx.selected_sso(), ctx.env, ctx.secrets, 5)
    return ctx, {t.role: t for t in res.targets}


def _botocore_url(service: str) -> str:
    return botocore.session.Session(profile="dev").create_client(
        service, region_name="eu-west-1", config=targets.client_config(1)).meta.endpoint_url


@pytest.mark.parametrize("extra,env,oidc,portal", [
    ("", {}, "https://oidc.eu-west-1.amazonaws.com", "https://portal.sso.eu-west-1.amazonaws.com"),
    ("services = local", {}, "https://oidc.local.test:8443", "https://portal.local.test"),
    ("services = local", {"AWS_ENDPOINT_URL_SSO_OIDC": "http://127.0.0.1:9"}, "http://127.0.0.1:9",
     "https://portal.local.test"),
    ("services = local", {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
     "https://oidc.eu-west-1.amazonaws.com", "https://portal.sso.eu-west-1.amazonaws.com"),
    ("endpoint_url = https://everything.local.test", {}, "https://everything.local.test",
     "https://everything.local.test"),
])
def test_endpoints_are_botocores(clean_env, monkeypatch, extra, env, oidc, portal):
    _ctx, found = _resolve(monkeypatch, clean_env, extra, **env)
    assert found["oidc"].url == oidc == _botocore_url("sso-oidc")
    assert found["portal"].url == portal == _botocore_url("sso")
    assert found["start-url"].url == "https://d-1234567890.awsapps.com/start"


def test_proxy_no_proxy_and_proxy_credentials(clean_env, monkeypatch):
    ctx, found = _resolve(monkeypatch, clean_env, HTTPS_PROXY="http://jane:s3cr3t-pw@proxy.corp.test:3128",
                          NO_PROXY=".awsapps.com")
    proxy = found["oidc"].proxy
    assert (proxy.host, proxy.port, proxy.env_var) == ("proxy.corp.test", 3128, "HTTPS_PROXY")
    assert proxy.url == "http://jane:****@proxy.corp.test:3128"
    header = dict(proxy.headers)["Proxy-Authorization"]
    assert header.startswith("Basic ")
    assert ctx.secrets.redact(f"x {header} s3cr3t-pw") == "x **** ****"
    assert found["start-url"].proxy is None  # NO_PROXY suffix match, as botocore/urllib decide


@pytest.mark.parametrize("extra,env,source", [
    ("", {}, "certifi (botocore's default)"),
    ("", {"AWS_CA_BUNDLE": "/tmp/aws-bundle.pem"}, "AWS_CA_BUNDLE"),
    ("ca_bundle = /tmp/profile-bundle.pem", {}, "ca_bundle in [profile dev]"),
    ("ca_bundle = /tmp/profile-bundle.pem", {"AWS_CA_BUNDLE": "/tmp/aws-bundle.pem"}, "AWS_CA_BUNDLE"),
    ("", {"REQUESTS_CA_BUNDLE": "/tmp/requests-bundle.pem"}, "REQUESTS_CA_BUNDLE"),
])
def test_ca_bundle_is_the_one_botocore_verifies_with(clean_env, monkeypatch, extra, env, source):
    from botocore.httpsession import get_cert_path

    _ctx, found = _resolve(monkeypatch, clean_env, extra, **env)
    client = botocore.session.Session(profile="dev").create_client("sso", region_name="eu-west-1")
    assert found["portal"].ca_bundle == get_cert_path(client._endpoint.http_session._verify)
    assert found["portal"].ca_source == source


def test_a_cut_off_online_rule_keeps_what_it_found():
    release = threading.Event()

    @rule("SSO599", "test-slow", Severity.WARNING, needs=("network",))
    def slow(ctx):
        """Yields one finding, then hangs past the budget."""
        yield slow.finding("found before the deadline", fix("none"))
        release.wait(10)
        yield slow.finding("found after the deadline", fix("none"))

    @rule("SSO598", "test-hung", Severity.WARNING, needs=("network",))
    def hung(ctx):
        """Finds nothing before the deadline."""
        release.wait(10)
        return iter(())

    ctx = Context(RunSettings(timeout=0.5), env={})
    started = time.monotonic()
    report = engine.run([slow, hung], ctx)
    release.set()
    assert time.monotonic() - started < 1.5
    by_id = {r.rule.id: r for r in report.results}
    assert by_id["SSO599"].status == Status.FAILED
    assert [f.message for f in by_id["SSO599"].findings] == ["found before the deadline"]
    assert "did not finish within the 0.5 s time budget" in by_id["SSO599"].reason
    assert by_id["SSO598"].status == Status.SKIPPED
    assert isinstance(slow, Rule) and slow.online
