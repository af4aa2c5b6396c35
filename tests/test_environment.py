"""The environment snapshot: proxies exactly as urllib/botocore read them, and no secret ever printable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from unittest import mock

import botocore.session
import botocore.utils
import pytest
from botocore.config import Config
from botocore.exceptions import HTTPClientError
from botocore.httpsession import ProxyConfiguration
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from sso_doctor import runner
from sso_doctor.loaders import environment
from sso_doctor.loaders.environment import SecretStr, proxies_from_environment
from sso_doctor.redact import Secrets

ROOT = Path(__file__).resolve().parent.parent

# --- proxies: a differential test against urllib and botocore ----------------------------------------

PROXY_NAMES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
               "all_proxy", "Https_Proxy", "HTTPS_Proxy", "FTP_PROXY", "REQUEST_METHOD"]
PROXY_VALUES = ["", "proxy.corp:8080", "http://p1.corp:3128", "https://p2.corp:443", "http://u:pw@p3.corp:8080",
                "socks5://s.corp:1080", "//p4.corp:80", "HTTP://p5.corp:8080", "localhost,.amazonaws.com", "*",
                ".aws", "oidc.us-east-1.amazonaws.com", "10.0.0.0/8,127.0.0.1", " amazonaws.com , localhost",
                "*.amazonaws.com", "GET"]
URLS = ["https://oidc.us-east-1.amazonaws.com", "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials",
        "http://127.0.0.1:8080/x", "https://localhost:443", "https://sts.amazonaws.com", "https://OIDC.aws:8443"]


def _botocore_proxy(url: str) -> str | None:
    """What botocore's create_endpoint + URLLib3Session pick for `url`, with os.environ as it is."""
    return ProxyConfiguration(proxies=botocore.utils.get_environ_proxies(url)).proxy_url_for(url)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(PROXY_NAMES), st.sampled_from(PROXY_VALUES), max_size=6),
       st.sampled_from(URLS))
def test_proxy_choice_matches_urllib_and_botocore(env, url):
    with mock.patch.dict(os.environ, env, clear=True):
        want_proxies = urllib.request.getproxies_environment()
        want_bypass = botocore.utils.should_bypass_proxies(url)
        want = _botocore_proxy(url)
    assert proxies_from_environment(env) == want_proxies
    route = environment.load(env, Secrets()).route(url)
    assert route.bypassed == (want_bypass and bool(want_proxies))
    assert (route.proxy.reveal() if route.proxy else None) == want


@pytest.mark.parametrize("env", [
    {"HTTPS_PROXY": "http://upper.corp:1", "https_proxy": "http://lower.corp:2"},
    {"HTTPS_PROXY": "http://upper.corp:1", "https_proxy": ""},
    {"https_proxy": "proxy.corp:3128", "NO_PROXY": "127.0.0.1"},
    {"ALL_PROXY": "http://all.corp:1"},
])
def test_route_matches_a_real_botocore_client(env, clean_env, monkeypatch):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    url = "https://oidc.us-east-1.amazonaws.com"
    client = botocore.session.Session().create_client("sso-oidc", region_name="us-east-1")
    want = client._endpoint.http_session._proxy_config.proxy_url_for(url)
    route = environment.load(env, Secrets()).route(url)
    assert (route.proxy.reveal() if route.proxy else None) == want


def _botocore_request_error(proxy: str, clean_env: Path, monkeypatch) -> Exception | None:
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", "https://127.0.0.1:9")
    client = botocore.session.Session().create_client(
        "sso-oidc", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}, connect_timeout=1))
    try:
        client.register_client(clientName="sso-doctor-test", clientType="public")
    except Exception as e:  # noqa: BLE001 - we compare what botocore raised
        return e
    return None


@pytest.mark.parametrize("proxy", ["http://proxy.corp:99999", "http://proxy corp:8080", "http://[::1:8080"])
def test_unparseable_proxy_is_what_botocore_cannot_parse(proxy, clean_env, monkeypatch):
    snap = environment.load({"HTTPS_PROXY": proxy}, Secrets())
    assert snap.proxies["https"].problem.kind == "unparseable"
    # botocore fails before any connection: urllib3 cannot parse the proxy URL
    error = _botocore_request_error(proxy, clean_env, monkeypatch)
    assert isinstance(error, HTTPClientError), error


@pytest.mark.parametrize("proxy, botocore_host", [
    ("socks5://127.0.0.1:1080", "socks5"), ("HTTP://127.0.0.1:3128", "http"), ("ftp://127.0.0.1:21", "ftp")])
def test_unsupported_scheme_makes_botocore_connect_to_the_wrong_host(proxy, botocore_host):
    # botocore prefixes anything not starting with "http:"/"https:" with "http://", so the scheme becomes the host
    fixed = ProxyConfiguration(proxies={"https": proxy}).proxy_url_for("https://oidc.us-east-1.amazonaws.com")
    assert parse_url(fixed).host.lower() == botocore_host
    problem = environment.load({"https_proxy": proxy}, Secrets()).proxies["https"].problem
    assert problem.kind == "unsupported-scheme"


@pytest.mark.parametrize("proxy", ["proxy.corp:8080", "http://proxy.corp:8080", "https://proxy.corp",
                                   "//proxy.corp:80", "http://u:p%40ss@proxy.corp:8080", "http://127.0.0.1:9"])
def test_usable_proxy_values_have_no_problem(proxy):
    assert environment.load({"HTTPS_PROXY": proxy}, Secrets()).proxies["https"].problem is None


def test_working_proxy_value_reaches_the_proxy(clean_env, monkeypatch):
    # near-miss ground truth: a scheme-less value is fine for botocore, which then tries to connect to it
    error = _botocore_request_error("127.0.0.1:9", clean_env, monkeypatch)
    assert "Failed to connect to proxy URL" in str(error)


def test_no_proxy_entries_botocore_never_matches():
    snap = environment.load({"HTTPS_PROXY": "http://p:1", "no_proxy": "10.0.0.0/8, *.corp,.aws,fd00::/8,a/b"},
                            Secrets())
    assert [(e.text, e.unsupported) for e in snap.no_proxy] == [
        ("10.0.0.0/8", "CIDR range"), ("*.corp", "wildcard pattern"), (".aws", None), ("fd00::/8", "CIDR range"),
        ("a/b", None)]
    # and urllib indeed never bypasses a host inside the range or under the wildcard
    assert not urllib.request.proxy_bypass_environment("10.1.2.3", {"no": "10.0.0.0/8"})
    assert not urllib.request.proxy_bypass_environment("x.corp", {"no": "*.corp"})
    assert urllib.request.proxy_bypass_environment("x.corp", {"no": ".corp"})


# --- secrets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, shown, secret", [
    ("http://alice:hunter2hunter2@proxy:8080", "http://alice:****@proxy:8080", "hunter2hunter2"),
    ("alice:hunter2hunter2@proxy:8080", "alice:****@proxy:8080", "hunter2hunter2"),
    ("http://alice:p%40ssw0rd!@proxy:8080", "http://alice:****@proxy:8080", "p@ssw0rd!"),
    ("http://alice:pa/ss#word@proxy:8080", "http://alice:****@proxy:8080", "pa/ss#word"),
    ("http://alice:p@ss@word@proxy:8080", "http://alice:****@proxy:8080", "p@ss@word"),
    ("HTTP://alice:secretpw@proxy:8080", "HTTP://alice:****@proxy:8080", "secretpw"),
])
def test_proxy_passwords_are_masked_and_registered(value, shown, secret):
    secrets = Secrets()
    snap = environment.load({"HTTPS_PROXY": value}, secrets)
    var = snap.proxy_vars[0]
    assert var.shown == shown and var.has_password
    assert secret not in repr(snap) and secret not in str(var.value)
    assert secrets.redact(f"x {secret} y") == "x **** y"
    assert var.value.reveal() == value


def test_credentials_are_presence_only():
    secrets = Secrets()
    env = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENGEXAMPLEKEY",
           "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLE", "AWS_SECURITY_TOKEN": ""}
    snap = environment.load(env, secrets)
    assert snap.credentials_set == {"AWS_ACCESS_KEY_ID": True, "AWS_SECRET_ACCESS_KEY": True,
                                    "AWS_SESSION_TOKEN": True, "AWS_SECURITY_TOKEN": False}
    text = repr(snap)
    assert all(v not in text for v in env.values() if v)
    assert secrets.redact(env["AWS_SECRET_ACCESS_KEY"] + env["AWS_SESSION_TOKEN"]) == "********"


def test_secret_str_never_prints():
    s = SecretStr("hunter2hunter2")
    assert f"{s} {s!r} {[s]}" == "**** **** [****]"


CANARY = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "CanarySecretAccessKey0123456789abcdefghij",
    "AWS_SESSION_TOKEN": "CanarySessionToken0123456789abcdefghijklmnop",
    "AWS_SECURITY_TOKEN": "CanarySecurityToken0123456789",
    "HTTPS_PROXY": "http://alice:CanaryProxyPw1@proxy.example.com:8080",
    "https_proxy": "socks5://bob:CanaryProxyPw2@proxy.example.com:1080",
    "HTTP_PROXY": "http://carol:Canary/Proxy#Pw3@proxy.example.com:80 80",
    "ALL_PROXY": "http://dave:Canary%40ProxyPw4@proxy.example.com:8080",
    "AWS_ENDPOINT_URL_SSO": "http://eve:CanaryEndpointPw5@127.0.0.1:5000",
    "AWS_PROFILE": "dev",
}
CANARY_SECRETS = ["CanarySecretAccessKey0123456789abcdefghij", "CanarySessionToken0123456789abcdefghijklmnop",
                  "CanarySecurityToken0123456789", "CanaryProxyPw1", "CanaryProxyPw2", "Canary/Proxy#Pw3",
                  "Canary%40ProxyPw4", "Canary@ProxyPw4", "CanaryEndpointPw5"]


def test_findings_themselves_carry_no_secret(clean_env):
    """Before the CLI's redaction layer: messages, fixes and evidence are clean on their own."""
    outcome = runner.check(runner.CheckRequest(select=("SSO3",), env={"HOME": str(clean_env), **CANARY}))
    findings = outcome.report.findings
    assert {f.rule_id for f in findings} >= {"SSO301", "SSO307", "SSO308"}
    blob = json.dumps([[f.message, f.fix.summary, [c.text for c in f.fix.commands], f.evidence, f.detail]
                       for f in findings])
    for secret in CANARY_SECRETS:
        assert secret not in blob, secret


@pytest.mark.parametrize("args", [["--format", "json"], ["-v"], ["--format", "json", "-v"], ["-q"]])
def test_no_secret_in_any_output(args, clean_env):
    env = {"HOME": str(clean_env), "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", **CANARY}
    done = subprocess.run(check=False, args=[sys.executable, "-m", "sso_doctor", "check", "--offline", "--select", "SSO3", *args],
                          env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    assert "SSO308" in done.stdout
    for secret in CANARY_SECRETS:
        assert secret not in done.stdout and secret not in done.stderr, secret


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12),
       st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="@"), max_size=6),
       st.sampled_from(["http://", "HTTP://", "socks5://", "//", ""]))
def test_generated_proxy_passwords_never_show(middle, user, scheme):
    password = "Zq" + middle + "Xw"  # delimited, so it can't occur by chance in the rest of the URL
    user = user.replace(":", "")
    value = f"{scheme}{user}:{password}@proxy.example.com:8080"
    secrets = Secrets()
    snap = environment.load({"https_proxy": value}, secrets)
    text = repr(snap) + json.dumps([v.shown for v in snap.proxy_vars])
    if snap.proxies["https"].problem:
        text += snap.proxies["https"].problem.detail + str(snap.proxies["https"].problem.suggestion)
    assert password not in text
    assert password not in secrets.redact(value)


# --- the scenarios' claims, checked against botocore in the very same HOME and environment ---------------


def _credential_source(session: botocore.session.Session) -> str:
    try:
        return session.get_credentials().method  # no network: SSO and web identity defer the fetch
    except Exception as e:  # noqa: BLE001 - the error class is botocore's answer
        return type(e).__name__


def _profile(session: botocore.session.Session) -> str:
    try:
        session.get_scoped_config()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return session.profile


@pytest.mark.parametrize("name, ask, want", [
    ("sso301-env-keys-beat-sso-profile", _credential_source, "env"),
    ("sso301-key-id-without-secret", _credential_source, "PartialCredentialsError"),
    ("sso301-near-miss-secret-without-key-id", _credential_source, "sso"),
    ("sso302-web-identity-env", _credential_source, "assume-role-with-web-identity"),
    ("sso302-token-file-without-role", _credential_source, "InvalidConfigError"),
    ("sso302-near-miss-role-arn-only", _credential_source, "sso"),
    ("sso303-profile-vars-differ", _profile, "prod"),
    ("sso303-empty-default-profile", _profile, "ProfileNotFound"),
    ("sso309-aws-region-only", lambda s: s.get_config_variable("region"), None),
    ("sso309-regions-differ", lambda s: s.get_config_variable("region"), "us-east-1"),
])
def test_scenario_matches_what_botocore_does(name, ask, want, tmp_path):
    from scenarios import all_scenarios, prepare

    (sc,) = [s for s in all_scenarios() if s.name == name]
    prepared = prepare(sc, tmp_path)
    with mock.patch.dict(os.environ, prepared.env, clear=True):
        assert ask(botocore.session.Session()) == want
