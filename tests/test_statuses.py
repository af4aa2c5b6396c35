"""Every line true (issue 13.2): a check that did not run is `skipped` with the reason, in every format,
never `passed`; a group is [✓] only when something in it passed and nothing failed.

The network-down scenario runs every rule of `check` with no route anywhere (`unshare -n` when the
machine allows it, and the loopback-only guard of tests/netguard in any case): SSO501 reports the
unreachable hosts and every other online rule is skipped, saying why.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import guarded_env
from online_world import base_env, closed_port, sso_doctor, unshare_prefix, write_home

START_URL = "https://d-1234567890.awsapps.com/start"


def _online_rule_ids() -> list[str]:
    from sso_doctor.rules import ALL_RULES

    return [r.id for r in ALL_RULES if r.online and "admin" not in r.needs]


@pytest.fixture(scope="module")
def network_down(tmp_path_factory):
    """The same machine rendered in every format, with the network down. No cached token: a valid one
    would let SSO508 prove the home region offline (a real pass, not a vacuous one)."""
    home = write_home(tmp_path_factory.mktemp("down") / "home", START_URL, {"dev": ("111111111111", "Admin")},
                      token=None)
    env = guarded_env(base_env(home))
    prefix = unshare_prefix()
    runs = {fmt: sso_doctor(["check", "--format", fmt, "--timeout", "3", *(["-v"] if fmt == "text" else [])], env,
                            prefix=prefix)
            for fmt in ("json", "text", "junit", "sarif", "markdown")}
    return runs


def test_network_down_every_online_rule_is_skipped_with_a_reason(network_down):
    run = network_down["json"]
    assert run.doc is not None, run.stderr
    rules = {r["id"]: r for r in run.doc["rules"]}
    assert len(rules) == len(run.doc["rules"])
    # SSO501 is the finding: the three hosts do not resolve, one cause, so one finding that names them all
    assert rules["SSO501"]["status"] == "failed"
    (dns,) = run.findings("SSO501")
    assert dns["message"].startswith("0 of 3 hosts resolve")
    assert set(dns["evidence"]["hosts"]) >= {"oidc.us-east-1.amazonaws.com", "portal.sso.us-east-1.amazonaws.com"}
    for rid in _online_rule_ids():
        if rid == "SSO501":
            continue
        assert rules[rid]["status"] == "skipped", (rid, rules[rid])
        assert rules[rid]["reason"], rid
    # no TLS handshake happened: the TLS rules say so instead of passing
    for rid in ("SSO502", "SSO504", "SSO505", "SSO506", "SSO507", "SSO601", "SSO602", "SSO603", "SSO604",
                "SSO605", "SSO606"):
        assert rules[rid]["reason"] == "network unreachable, see SSO501", rid
    assert rules["SSO503"]["reason"].startswith("no proxy is used")
    assert "the OIDC endpoint could not be reached" in rules["SSO508"]["reason"]
    # nothing online passed
    assert not [rid for rid in _online_rule_ids() if rules[rid]["status"] == "passed"]
    assert run.doc["summary"]["rules_skipped"] == sum(1 for r in rules.values() if r["status"] == "skipped")


def test_network_down_reasons_in_every_format(network_down):
    text = network_down["text"].stdout
    assert "[✗] Network" in text
    assert "SSO504 tls-interception? not checked: network unreachable, see SSO501" in text
    assert "✓ SSO504" not in text and "✓ SSO505" not in text
    assert "[-] Access with the cached token (skipped: network unreachable, see SSO501)" in text

    suite = ET.fromstring(network_down["junit"].stdout).find("testsuite")
    cases = {c.get("name").split()[0]: c for c in suite.iter("testcase")}
    for rid in ("SSO504", "SSO505", "SSO601"):
        skipped = cases[rid].find("skipped")
        assert skipped is not None and skipped.get("message") == "network unreachable, see SSO501", rid

    sarif = json.loads(network_down["sarif"].stdout)
    notes = {n["associatedRule"]["id"]: n["message"]["text"]
             for n in sarif["runs"][0]["invocations"][0].get("toolExecutionNotifications", [])}
    assert notes["SSO504"].endswith("skipped: network unreachable, see SSO501.")
    assert "SSO501" not in notes  # it ran, and its findings are results

    markdown = network_down["markdown"].stdout
    assert "SSO505 `tls-failure`: skipped (network unreachable, see SSO501)" in markdown


def test_refused_connections_skip_tls_with_the_rules_that_explain_it(tmp_path):
    """Some hosts refuse the connection, the start URL does not resolve: no handshake happened."""
    home = write_home(tmp_path / "home", START_URL, {"dev": ("111111111111", "Admin")})
    closed = f"https://127.0.0.1:{closed_port()}"
    env = guarded_env(base_env(home, AWS_ENDPOINT_URL_SSO_OIDC=closed, AWS_ENDPOINT_URL_SSO=closed))
    run = sso_doctor(["check", "--format", "json", "--select", "SSO5", "--timeout", "3"], env)
    assert run.doc is not None, run.stderr
    assert run.status("SSO502") == "failed"  # refused
    assert run.status("SSO501") == "failed"  # the start URL host
    for rid in ("SSO504", "SSO505"):
        assert run.status(rid) == "skipped"
        assert run.reason(rid) == "no TLS handshake took place, see SSO501, SSO502"


# --- offline: dependencies on the config and the selected profile ------------------------------------


def _home(tmp_path: Path, config: str) -> Path:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(config, encoding="utf-8")
    return home


SSO_CONFIG = f"""[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[profile keys]
region = us-east-1

[sso-session corp]
sso_start_url = {START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""


def _offline(home: Path, *args: str, profile: str | None = None):
    env = base_env(home)
    env.pop("AWS_PROFILE")
    if profile:
        env["AWS_PROFILE"] = profile
    return sso_doctor(["check", "--offline", *args], env)


def test_select_token_rules_on_a_missing_profile_does_not_say_no_problems(tmp_path):
    home = _home(tmp_path, SSO_CONFIG)
    text = _offline(home, "--select", "SSO2", profile="nope").stdout
    assert "No problems found ·" not in text
    assert 'could not run (profile "nope" not found, see SSO104)' in text
    doc = _offline(home, "--select", "SSO2", "--format", "json", profile="nope").doc
    rules = {r["id"]: r for r in doc["rules"]}
    for rid in ("SSO201", "SSO202", "SSO203", "SSO204", "SSO205", "SSO206", "SSO209", "SSO211"):
        assert rules[rid]["status"] == "skipped", rid
        assert rules[rid]["reason"] == 'profile "nope" not found, see SSO104', rid
    # the checks of the cache itself do not depend on a profile: they ran
    assert rules["SSO207"]["status"] == "passed"


def test_a_profile_without_sso_skips_the_token_rules(tmp_path):
    doc = _offline(_home(tmp_path, SSO_CONFIG), "--format", "json", profile="keys").doc
    rules = {r["id"]: r for r in doc["rules"]}
    assert rules["SSO202"]["status"] == "skipped"
    assert rules["SSO202"]["reason"] == 'profile "keys" does not use IAM Identity Center (no sso_* keys)'


def test_an_unparseable_config_skips_what_depends_on_it(tmp_path):
    home = _home(tmp_path, SSO_CONFIG + "\n[profile dev]\nregion = eu-west-1\n")  # duplicate: botocore refuses
    doc = _offline(home, "--format", "json", profile="dev").doc
    rules = {r["id"]: r for r in doc["rules"]}
    assert rules["SSO102"]["status"] == "failed"
    for rid in ("SSO105", "SSO121", "SSO201", "SSO202"):
        assert rules[rid]["status"] == "skipped", rid
        assert rules[rid]["reason"].startswith("config unparseable (") and rules[rid]["reason"].endswith(
            "/.aws/config), see SSO102")


def test_group_marks_follow_what_ran(tmp_path):
    home = _home(tmp_path, SSO_CONFIG)
    text = _offline(home, profile="dev").stdout
    # a cached token is missing: the token group fails; no finding about the run itself: no Engine group
    assert "[✗] SSO token cache" in text
    assert "Engine" not in text
    # online groups did not run at all: shown as skipped, never as passed
    assert "[-] Network (skipped: not run with --offline)" in text
    assert "[✓] Network" not in text
    # only info findings: not a pass either
    info = _offline(_home(tmp_path / "i", SSO_CONFIG.replace("sso_registration_scopes = sso:account:access\n", "")),
                    "--select", "SSO122", profile="dev").stdout
    assert info.startswith("sso-doctor ")
    assert "[i] Config files" in info and "[✓] Config files" not in info


def test_a_group_where_nothing_ran_is_skipped_not_passed():
    from sso_doctor.model import Report, RuleResult, Status
    from sso_doctor.reporters import RenderOptions
    from sso_doctor.reporters.text import render
    from sso_doctor.rules import by_id

    rules = by_id()
    report = Report("0", {"profiles": ["dev"], "profile_source": "--profile", "offline": False}, (
        RuleResult(rules["SSO601"], Status.SKIPPED, reason="network unreachable, see SSO501"),
        RuleResult(rules["SSO602"], Status.SKIPPED, reason="network unreachable, see SSO501"),
        RuleResult(rules["SSO503"], Status.PASSED),
        RuleResult(rules["SSO504"], Status.SKIPPED, reason="no TLS handshake took place, see SSO502"),
    ))
    text = render(report, RenderOptions())
    assert "[-] Access with the cached token (skipped: network unreachable, see SSO501)" in text
    assert "[✓] Network (1 of 2 checks skipped: no TLS handshake took place, see SSO502)" in text
    assert "No problems found in the checks that ran, but 3 checks could not run" in text


def test_every_dependency_is_known_and_explained():
    from typer.testing import CliRunner

    from sso_doctor.cli import app
    from sso_doctor.model import REQUIRES
    from sso_doctor.requirements import CHECKS, describe
    from sso_doctor.rules import ALL_RULES

    assert set(CHECKS) == REQUIRES
    assert all(describe(name) for name in REQUIRES)
    # every online rule depends on something the network probes establish, or says itself why it skips
    for r in ALL_RULES:
        if r.online:
            assert "sso_profile" in r.requires, r.id
    out = CliRunner().invoke(app, ["explain", "SSO504"]).stdout
    assert "Runs only when" in out and "a TLS handshake took place" in out
