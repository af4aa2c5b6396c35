"""Wording and small truths (issue 13.7): every line of the report reads true."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import windows_essentials
from scenarios import validate_report
from test_scenarios import run_cli

from sso_doctor.model import Report, RuleResult, Severity, Status
from sso_doctor.reporters import RenderOptions
from sso_doctor.reporters import text as text_report
from sso_doctor.text import plural, suggestion

SSO_CONFIG = """[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[default]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""


def _env(tmp_path: Path, config: str = SSO_CONFIG, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    (home / ".aws" / "config").write_text(config, encoding="utf-8")
    return {"HOME": str(home), "PATH": "/nonexistent", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z",
            **windows_essentials(home), **extra}


def test_header_says_why_a_profile_was_chosen(tmp_path):
    first = run_cli(["check", "--offline"], _env(tmp_path)).stdout.splitlines()[0]
    assert '(from default)' not in first
    assert 'profile "default" (the fallback: no --profile, AWS_PROFILE or AWS_DEFAULT_PROFILE is set)' in first
    assert 'profile "dev" (from AWS_PROFILE)' in run_cli(["check", "--offline"],
                                                        _env(tmp_path, AWS_PROFILE="dev")).stdout
    assert 'profile "dev" (from --profile)' in run_cli(["check", "--offline", "-p", "dev"], _env(tmp_path)).stdout


def test_engine_group_only_when_a_check_crashed():
    from sso_doctor.rules import by_id

    from sso_doctor import engine
    from sso_doctor.context import Context, RunSettings
    from sso_doctor.model import rule

    @rule("SSO199", "always-crashes", Severity.WARNING)
    def crashing(ctx):
        """Crashes."""
        raise KeyError("boom")

    crash_rule = by_id()["SSO001"]
    ctx = Context(RunSettings(offline=True), env={"HOME": "/nonexistent"})
    report = engine.run([crash_rule, crashing], ctx, all_rules=[crash_rule, crashing])
    text = text_report.render(report, RenderOptions())
    assert "[✗] Engine" in text and "SSO001 rule-crashed" in text
    calm = engine.run([crash_rule], ctx, all_rules=[crash_rule])
    assert "Engine" not in text_report.render(calm, RenderOptions())
    assert "Engine" not in text_report.render(calm, RenderOptions(verbose=True))


def test_verbose_passes_read_as_answered_questions(tmp_path):
    out = run_cli(["check", "--offline", "-v", "-p", "dev"], _env(tmp_path)).stdout
    assert "✓ SSO101 config-file-missing? no" in out
    assert not re.search(r"✓ SSO\d{3} [a-z-]+$", out, re.M)  # never a bare problem name next to a tick
    assert "- SSO501 dns-failure? not checked: not run with --offline" in out


def test_plurals_everywhere(tmp_path):
    assert [plural(n, "error") for n in (0, 1, 2)] == ["0 errors", "1 error", "2 errors"]
    env = _env(tmp_path, config="[profile dev]\nsso_session = nowhere\nsso_account_id = 111111111111\n"
                                "sso_role_name = A\nregion = us-east-1\n")
    args = ["check", "--config", str(Path(env["HOME"]) / ".aws" / "config"), "--select", "SSO105"]
    text = run_cli(args, env).stdout
    assert re.search(r"^1 error, 0 warnings, 0 infos · 1 check run, \d+ skipped$", text, re.M), text
    gh = run_cli([*args, "--format", "github"], env).stdout
    assert "sso-doctor: 1 error, 0 warnings, 0 infos; 1 check run" in gh
    md = run_cli([*args, "--format", "markdown"], env).stdout
    assert "**1 error, 0 warnings, 0 infos** (1 check run" in md
    for out in (text, gh, md):
        assert "1 errors" not in out and "(s)" not in out


def test_suggestions_offer_alternatives_with_or():
    assert suggestion(["SSO409", "SSO309", "SSO209"]) == ' Did you mean "SSO409", "SSO309" or "SSO209"?'
    assert suggestion(["a", "b"]) == ' Did you mean "a" or "b"?'
    assert suggestion(["a"]) == ' Did you mean "a"?'


def test_evidence_values_are_data_not_json_in_strings(tmp_path):
    config = ("[profile a]\nsso_session = nowhere\nsso_account_id = 111111111111\nsso_role_name = A\n"
              "region = us-east-1\n\n[profile b]\nsso_session = nowhere\nsso_account_id = 111111111111\n"
              "sso_role_name = A\nregion = us-east-1\n")
    env = _env(tmp_path, config=config)
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--all-profiles"], env).stdout)
    validate_report(doc)
    [finding] = [f for f in doc["findings"] if f["rule_id"] == "SSO105"]
    assert finding["evidence"]["profiles"] == ["a", "b"]
    for f in doc["findings"]:
        for value in f["evidence"].values():
            if isinstance(value, str):
                assert not value.startswith(("[", "{")), (f["rule_id"], value)


def test_the_schema_types_evidence(tmp_path):
    import jsonschema
    import pytest

    config = "[profile a]\nsso_session = nowhere\nsso_account_id = 111111111111\nsso_role_name = A\nregion = us-east-1\n"
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "-p", "a"], _env(tmp_path, config=config)).stdout)
    finding = doc["findings"][0]
    finding["evidence"] = {"profiles": ["a", "b"], "seconds": 1.5, "status": 302, "location": None, "ok": True}
    validate_report(doc)
    finding["evidence"] = {"nested": {"not": "allowed"}}
    with pytest.raises(jsonschema.ValidationError):
        validate_report(doc)


def test_sso301_with_an_explicit_profile_says_what_really_happens(tmp_path):
    env = _env(tmp_path, AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE12", AWS_SECRET_ACCESS_KEY="not-a-real-secret")
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--select", "SSO301", "-p", "dev"],
                             env).stdout)
    [f] = doc["findings"]
    assert "only an explicit --profile does" not in f["message"]
    assert "`aws --profile dev` ignores them and uses SSO profile \"dev\"" in f["message"]
    assert "without --profile" in f["message"]
    without = json.loads(run_cli(["check", "--offline", "--format", "json", "--select", "SSO301"],
                                 {**env, "AWS_PROFILE": "dev"}).stdout)
    assert "only an explicit --profile does" in without["findings"][0]["message"]


def test_explain_cites_the_cli_changelog_for_version_rules():
    from sso_doctor.rules.tooling import PARTITION_REGRESSION, VANITY_URL_SINCE
    from typer.testing import CliRunner

    from sso_doctor.cli import app

    changelog = "https://github.com/aws/aws-cli/blob/v2/CHANGELOG.rst"
    for rid, versions in (("SSO407", [str(PARTITION_REGRESSION[0]), "2.35.15", "2.36.1", str(PARTITION_REGRESSION[1])]),
                          ("SSO408", [str(VANITY_URL_SINCE)])):
        out = CliRunner().invoke(app, ["explain", rid]).stdout
        assert changelog in out, rid
        for v in versions:
            assert f"- {v}: \"" in out, (rid, v)  # each version quotes its changelog line


def test_report_summary_never_claims_a_clean_bill_when_nothing_ran():
    from sso_doctor.rules import by_id

    rules = by_id()
    report = Report("0", {"profiles": ["dev"], "profile_source": "--profile", "offline": False}, (
        RuleResult(rules["SSO201"], Status.SKIPPED, reason='profile "dev" not found, see SSO104'),
    ))
    text = text_report.render(report, RenderOptions())
    assert "No problems found" not in text and "Nothing was checked" in text
