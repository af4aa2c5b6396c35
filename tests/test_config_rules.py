"""Unit tests of the file-level config rules (SSO103-SSO118) on real files under a temp HOME."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import botocore.session
import pytest
from botocore import configloader
from botocore.credentials import create_credential_resolver
from conftest import windows_essentials
from hypothesis import given, settings
from hypothesis import strategies as st
from sso_doctor.rules import config as rules
from sso_doctor.rules.config import _diagnose_config_header, _new_session_name
from typer.testing import CliRunner

from sso_doctor import runner
from sso_doctor.cli import app
from sso_doctor.context import Context, RunSettings
from sso_doctor.model import Finding, Rule, Severity

URL = "https://d-1234567890.awsapps.com/start"


def write(home: Path, config: str, credentials: str | None = None) -> None:
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    (aws / "config").write_text(config)
    if credentials is not None:
        (aws / "credentials").write_text(credentials)


def run(rule: Rule, home: Path, *profiles: str, all_profiles: bool = False, env: dict | None = None) -> list[Finding]:
    ctx = Context(RunSettings(profiles=profiles, all_profiles=all_profiles), env={"HOME": str(home), **windows_essentials(home), **(env or {})})
    return rule.check(ctx)


def profiles_of(f: Finding) -> list[str]:
    return list(dict(f.evidence)["profiles"])


def brief(findings: list[Finding]) -> list[tuple]:
    return [(f.rule_id, f.severity.label, f.subject, f.location.line) for f in findings]


# --- grouping ----------------------------------------------------------------------------------------


def test_300_profiles_with_one_missing_session_make_one_finding(tmp_path):
    body = [f"[sso-session corp-sso]\nsso_start_url = {URL}\nsso_region = eu-west-1\n"]
    body += [f"[profile p{i}]\nsso_session = corp\nsso_account_id = {i:012d}\nsso_role_name = R\n" for i in range(300)]
    write(tmp_path, "\n".join(body))
    (f,) = run(rules.sso_session_not_found, tmp_path)
    assert (f.rule_id, f.severity, f.subject) == ("SSO105", Severity.ERROR, "corp")
    assert f.location.line == 6 and f.location.key == "sso_session" and f.location.section == "profile p0"
    assert '"p0", "p1", "p2", "p3", "p4" and 295 more' in f.message
    assert 'Did you mean "corp-sso"?' in f.message
    assert len(profiles_of(f)) == 300


def test_different_causes_stay_separate(tmp_path):
    write(tmp_path, (
        f"[sso-session corp]\nsso_start_url = {URL}\nsso_region = eu-west-1\n\n"
        "[profile a]\nsso_session = corp\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = r\n\n"
        "[profile b]\nsso_session = corp\nsso_region = us-west-2\nsso_account_id = 1\nsso_role_name = r\n\n"
        f"[profile c]\nsso_session = corp\nsso_start_url = {URL}/\nsso_account_id = 1\nsso_role_name = r\n"
    ))
    found = run(rules.inconsistent_sso_values, tmp_path)
    # a and b share the cause (sso_region disagrees with corp) even with different values; c's key is another
    assert brief(found) == [("SSO109", "error", "a", 7), ("SSO109", "error", "c", 19)]
    assert profiles_of(found[0]) == ["a", "b"]
    assert dict(found[1].evidence)["key"] == "sso_start_url"


# --- SSO103 ---------------------------------------------------------------------------------------------

HEADERS = [
    # header, problem, suggested header
    ("dev", "no-prefix", "profile dev"),
    ("my dev", "no-prefix", 'profile "my dev"'),
    ("Profile dev", "case", "profile dev"),
    ("PROFILE dev", "case", "profile dev"),
    ("Default", "case", "default"),
    ("SSO-Session corp", "case", "sso-session corp"),
    ("sso_session corp", "spelling", "sso-session corp"),
    ("profiledev", "glued", "profile dev"),
    ("profile-dev", "glued", "profile dev"),
    ("profile a b", "spaces", 'profile "a b"'),
    ('profile "unbalanced', "quote", "profile unbalanced"),
    ("profile dev # old one", "comment", "profile dev"),
    ("profile", "no-name", None),
    ("sso-session", "no-name", None),
    (" profile dev", "padding", "profile dev"),
    ("default ", "padding", "default"),
]


@pytest.mark.parametrize(("header", "problem", "suggestion"), HEADERS)
def test_section_headers_botocore_drops(header, problem, suggestion):
    diagnosis = _diagnose_config_header(header)
    assert diagnosis is not None
    assert (diagnosis[0], diagnosis[3]) == (problem, suggestion)
    # botocore really drops it ...
    mapped = configloader.build_profile_map({header: {"k": "v"}})
    assert mapped["profiles"] == {} and mapped["sso_sessions"] == {} and mapped["services"] == {}
    # ... and really reads the suggested header as the name we meant
    if suggestion is not None:
        kind, name = diagnosis[1], diagnosis[2]
        fixed = configloader.build_profile_map({suggestion: {"k": "v"}})
        assert fixed["sso_sessions" if kind == "sso-session" else "profiles"] == {name: {"k": "v"}}


@pytest.mark.parametrize("header", ["default", "profile dev", 'profile "my dev"', "profile  dev", "sso-session corp",
                                    "services local", "plugins", "preview", "profiles dev"])
def test_section_headers_botocore_reads_are_left_alone(header):
    assert _diagnose_config_header(header) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("profilePROFILEsso-_ \"'#;dev.:xs")), min_size=1, max_size=20))
def test_header_diagnosis_agrees_with_build_profile_map(header):
    """Whatever the header, we flag it exactly when botocore neither maps it nor knows it as a CLI section."""
    header = header.strip("[]") or "x"
    mapped = configloader.build_profile_map({header: {}})
    read = bool(mapped["profiles"] or mapped["sso_sessions"] or mapped["services"])
    diagnosis = _diagnose_config_header(header)
    assert (diagnosis is None) == (read or header in ("plugins", "preview")), header
    if diagnosis is not None and diagnosis[3] is not None and diagnosis[1] in ("profile", "sso-session"):
        fixed = configloader.build_profile_map({diagnosis[3]: {}})
        assert diagnosis[2] in fixed["sso_sessions" if diagnosis[1] == "sso-session" else "profiles"]


def test_sso103_groups_one_problem_per_file_and_points_at_each_header(tmp_path):
    write(tmp_path, "[dev]\nregion = eu-west-1\n\n[prod]\nregion = eu-west-1\n\n[Profile qa]\nx = 1\n",
          "[profile ops]\nregion = eu-west-1\n\n[sso-session corp]\nsso_region = eu-west-1\n")
    found = run(rules.section_ignored, tmp_path)
    assert brief(found) == [("SSO103", "warning", "dev", 1), ("SSO103", "warning", "qa", 7),
                            ("SSO103", "warning", "ops", 1), ("SSO103", "warning", "corp", 4)]
    assert dict(found[0].evidence)["sections"] == ("dev", "prod")
    assert found[2].location.path.endswith("credentials")
    assert "move it to the config file as [sso-session corp]" in found[3].message


def test_sso103_reports_a_section_a_later_one_replaces(tmp_path):
    write(tmp_path, '[profile dev]\nregion = eu-west-1\n\n[profile "dev"]\noutput = json\n\n'
                    "[default]\nregion = eu-west-1\n\n[profile default]\noutput = json\n")
    (f,) = run(rules.section_ignored, tmp_path)  # the default pair is SSO116's
    assert brief([f]) == [("SSO103", "warning", "dev", 1)]
    assert '[profile "dev"] (line 4)' in f.message
    (d,) = run(rules.duplicate_default_profile, tmp_path)
    assert brief([d]) == [("SSO116", "warning", "default", 7)]
    assert "its key region is lost" in d.message


# --- SSO108 severities -------------------------------------------------------------------------------------


def test_sso108_error_only_for_selected_and_login_only_only_when_chosen(tmp_path):
    write(tmp_path, (
        f"[sso-session corp]\nsso_start_url = {URL}\nsso_region = eu-west-1\n\n"
        "[profile half]\nsso_session = corp\nsso_account_id = 111122223333\n\n"
        "[profile login]\nsso_session = corp\n\n"
        "[profile chained]\nsso_session = corp\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = half\n"
    ))
    assert brief(run(rules.incomplete_sso_profile, tmp_path)) == [("SSO108", "warning", "half", 5)]
    assert brief(run(rules.incomplete_sso_profile, tmp_path, "half")) == [("SSO108", "error", "half", 5)]
    assert brief(run(rules.incomplete_sso_profile, tmp_path, "login")) == [
        ("SSO108", "warning", "half", 5), ("SSO108", "error", "login", 9)]
    # a login-only profile that gets credentials another way is fine; --all-profiles chooses nothing
    assert brief(run(rules.incomplete_sso_profile, tmp_path, "chained")) == [("SSO108", "warning", "half", 5)]
    assert brief(run(rules.incomplete_sso_profile, tmp_path, all_profiles=True)) == [("SSO108", "error", "half", 5)]
    assert brief(run(rules.incomplete_sso_profile, tmp_path, env={"AWS_PROFILE": "login"}))[-1] == (
        "SSO108", "error", "login", 9)


# --- SSO106 / SSO107 ----------------------------------------------------------------------------------------


def test_missing_keys_are_reported_on_the_session_once(tmp_path):
    write(tmp_path, (
        "[sso-session corp]\nsso_region = eu-west-1\n\n"
        "[profile a]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n\n"
        f"[profile b]\nsso_session = corp\nsso_start_url = {URL}\nsso_account_id = 1\nsso_role_name = r\n\n"
        "[profile login]\nsso_session = corp\n"
    ))
    (f,) = run(rules.missing_start_url, tmp_path)
    assert brief([f]) == [("SSO106", "error", "corp", 1)]
    assert profiles_of(f) == ["a"]  # b brings its own start URL; login gets no credentials either way
    assert run(rules.missing_sso_region, tmp_path) == []


def test_missing_key_in_a_profile_of_the_credentials_file_points_there(tmp_path):
    write(tmp_path, "[default]\nregion = eu-west-1\n",
          f"[default]\nx = 1\n\n[ci]\nsso_start_url = {URL}\nsso_account_id = 1\nsso_role_name = r\n")
    (f,) = run(rules.missing_sso_region, tmp_path)
    assert brief([f]) == [("SSO107", "error", "ci", 4)]
    assert f.location.path.endswith("credentials") and f.location.section == "ci"


# --- SSO110 ------------------------------------------------------------------------------------------------


def test_sso110_reuses_an_existing_session_for_the_same_portal(tmp_path):
    write(tmp_path, (
        f"[sso-session corp]\nsso_start_url = {URL}\nsso_region = eu-west-1\n\n"
        f"[profile old]\nsso_start_url = {URL}\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = r\n"
    ))
    (f,) = run(rules.legacy_sso_profile, tmp_path)
    assert brief([f]) == [("SSO110", "info", "old", 6)]
    config = str(tmp_path / "config")
    assert f.fix.commands == ()
    assert [(e.path, e.action, e.section, e.key, e.old, e.new, e.safe) for e in f.fix.edits] == [
        (f.location.path, "set", "profile old", "sso_session", None, "corp", True),
        (f.location.path, "delete", "profile old", "sso_start_url", URL, None, True),
        (f.location.path, "delete", "profile old", "sso_region", "eu-west-1", None, True),
    ]
    assert f.location.path.endswith("config") and config


@pytest.mark.parametrize(("url", "taken", "name"), [
    ("https://d-1234567890.awsapps.com/start", set(), "d-1234567890"),
    ("https://mycorp.awsapps.com/start/", {"mycorp"}, "mycorp-2"),
    ("https://ssoins-7223abcd.portal.eu-west-1.app.aws", set(), "ssoins-7223abcd"),
    ("https://identitycenter.amazonaws.com/ssoins-111", set(), "ssoins-111"),
    ("https://start.us-gov-home.awsapps.com/directory/d-9067", set(), "d-9067"),
    ("not a url", set(), "not-a-url"),
    ("https://", {"sso"}, "sso-2"),
])
def test_new_session_names(url, taken, name):
    assert _new_session_name(url, taken) == name


# --- SSO117 / SSO118 ----------------------------------------------------------------------------------------


def test_sso117_order_is_botocores_credential_chain(tmp_path, monkeypatch):
    """Our precedence is the installed botocore's: create_credential_resolver's provider order."""
    (tmp_path / "config").write_text("[profile x]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    methods = [p.METHOD for p in create_credential_resolver(botocore.session.Session(profile="x")).providers]
    ours = {"assume-role": "assume-role", "web-identity": "assume-role-with-web-identity", "sso": "sso",
            "credentials-file": "shared-credentials-file", "login": "login", "process": "custom-process",
            "config-file": "config-file"}
    assert list(ours) == list(rules._SOURCE_NAMES)
    assert [m for m in methods if m in ours.values()] == list(ours.values())


def test_sso117_names_the_source_botocore_uses(tmp_path):
    write(tmp_path, (
        f"[sso-session corp]\nsso_start_url = {URL}\nsso_region = eu-west-1\n\n"
        "[profile wi]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
        "role_arn = arn:aws:iam::1:role/x\nweb_identity_token_file = /tmp/t\n\n"
        "[profile keys]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n"
        "[profile stray]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\nsource_profile = keys\n"
    ))
    found = run(rules.conflicting_credential_sources, tmp_path)
    assert brief(found) == [("SSO117", "warning", "wi", 10), ("SSO117", "warning", "keys", 16),
                            ("SSO117", "warning", "stray", 23)]
    assert "botocore uses web identity (web_identity_token_file) and ignores the SSO settings" in found[0].message
    assert "botocore uses SSO and ignores static keys in the config file" in found[1].message
    assert "source_profile (meaningless without role_arn)" in found[2].message
    assert "wJalr" not in json.dumps([f.message for f in found])


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def test_sso118_login_only_profile_really_uses_the_static_keys(tmp_path):
    write(tmp_path, f"[sso-session corp]\nsso_start_url = {URL}\nsso_region = eu-west-1\n\n"
                    "[profile tool]\nsso_session = corp\n",
          f"[tool]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n")
    (f,) = run(rules.static_keys_alongside_sso, tmp_path)
    assert brief([f]) == [("SSO118", "warning", "tool", 2)]
    assert f.location.key == "aws_access_key_id"
    assert "botocore actually uses these static keys" in f.message


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_key_values_never_reach_the_output(tmp_path, fmt):
    home = tmp_path / "home"
    write(home, f"[sso-session corp]\nsso_start_url = {URL}\nsso_region = eu-west-1\n\n"
                f"[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
                f"aws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
                f"[profile other]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
                f"aws_secret_access_key = different-{SECRET}\n",
          f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n\n"
          f"[dev]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n")
    env = {k: None for k in os.environ} | {"HOME": str(home), "PATH": "/nonexistent", **windows_essentials(home)}
    result = CliRunner().invoke(app, ["check", "--offline", "--select", "SSO1", "-v", "--format", fmt], env=env)
    assert "SSO118" in result.output and "SSO117" in result.output
    assert KEY_ID not in result.output and SECRET not in result.output and "EXAMPLE" not in result.output


# --- performance ------------------------------------------------------------------------------------------


def test_2500_profiles_are_checked_well_under_a_second(tmp_path):
    body = [f"[sso-session s{s}]\nsso_start_url = https://d-{s:010d}.awsapps.com/start\nsso_region = eu-west-1\n"
            for s in range(20)]
    for i in range(2500):
        kind = i % 6
        if kind == 0:  # legacy
            body.append(f"[profile p{i}]\nsso_start_url = https://d-{i % 9:010d}.awsapps.com/start\n"
                        f"sso_region = eu-west-1\nsso_account_id = {i:012d}\nsso_role_name = R\n")
        elif kind == 1:  # missing session
            body.append(f"[profile p{i}]\nsso_session = gone{i % 4}\nsso_account_id = {i:012d}\nsso_role_name = R\n")
        elif kind == 2:  # inconsistent
            body.append(f"[profile p{i}]\nsso_session = s{i % 20}\nsso_region = us-east-1\nsso_account_id = 1\n")
        elif kind == 3:
            body.append(f"[p{i}]\nregion = eu-west-1\n")
        else:
            body.append(f"[profile p{i}]\nsso_session = s{i % 20}\nsso_account_id = {i:012d}\nsso_role_name = R\n"
                        "credential_process = /bin/true\n")
    write(tmp_path, "\n".join(body))
    start = time.process_time()
    outcome = runner.check(runner.CheckRequest(offline=True, all_profiles=True, select=("SSO1",),
                                               env={"HOME": str(tmp_path), **windows_essentials(tmp_path)}))
    spent = time.process_time() - start
    assert {f.rule_id for f in outcome.report.findings} >= {"SSO103", "SSO105", "SSO108", "SSO109", "SSO110",
                                                            "SSO117"}
    assert len(outcome.report.findings) < 120  # grouped, not thousands of lines
    assert spent < 1.0, f"{spent:.2f} s of CPU for 2,500 profiles"
