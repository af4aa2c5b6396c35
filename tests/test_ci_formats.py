"""SARIF, GitHub annotations and JUnit: every scenario's report in each format, checked against the
JSON report of the same run, the official SARIF schema, a real JUnit parser and GitHub's escaping rules."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from conftest import windows_essentials
from hypothesis import given
from hypothesis import strategies as st
from junitparser import Error, Failure, JUnitXml, Skipped
from scenarios import all_scenarios, prepare
from test_scenarios import run_cli

from sso_doctor.model import Location, Severity, fix, manual, rule
from sso_doctor.reporters import RenderOptions, finding_text, github

SCENARIOS = all_scenarios()
SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SARIF = jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
GH_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
RANK = {"info": 1, "warning": 2, "error": 3, "never": 99}


def fails(severity: str, fail_on: str) -> bool:
    """The exit code's rule: a finding at or above --fail-on fails the run."""
    return RANK[severity] >= RANK[fail_on]


def sarif_level(severity: str, fail_on: str) -> str:
    return "error" if fails(severity, fail_on) else ("note" if severity == "info" else "warning")


def gh_level(severity: str, fail_on: str) -> str:
    return "error" if fails(severity, fail_on) else ("notice" if severity == "info" else "warning")


def failing_rules(report: dict) -> set[str]:
    fail_on = report["inputs"]["fail_on"]
    return {f["rule_id"] for f in report["findings"] if fails(f["severity"], fail_on)}
ANNOTATION = re.compile(r"^::(error|warning|notice) (.*?)::(.*)$")


def _with_format(args: list[str], fmt: str) -> list[str]:
    out = list(args)
    out[out.index("--format") + 1] = fmt
    return out


def _assert_valid_sarif(doc: dict) -> None:
    errors = sorted(SARIF.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def _artifact_path(run: dict, artifact: dict) -> str:
    uri = artifact["uri"]
    if "uriBaseId" in artifact:
        uri = run["originalUriBaseIds"][artifact["uriBaseId"]]["uri"] + uri
    parts = urlsplit(uri)
    assert parts.scheme == "file", uri
    return unquote(parts.path)


def _parse_annotation(line: str) -> tuple[str, dict[str, str], str]:
    m = ANNOTATION.match(line)
    assert m, line
    props = {}
    for item in m.group(2).split(","):
        key, _, value = item.partition("=")
        props[key] = github.unescape_property(value)
    return m.group(1), props, github.unescape_data(m.group(3))


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_in_every_ci_format(sc, tmp_path):
    from sso_doctor.rules import by_id

    if sys.platform == "win32" and (sc.meta.get("setup") or (sc.folder / "bin").exists()):
        pytest.skip("POSIX-only mechanics (chmod/chown/symlink set-up, #!/bin/sh stand-ins for aws) on Windows")

    prepared = prepare(sc, tmp_path)
    env = {**prepared.env, "GITHUB_WORKSPACE": str(tmp_path)}
    report = json.loads(run_cli(prepared.args, env).stdout)
    findings = report["findings"]

    # --- SARIF: valid against the official schema, and the same findings as the JSON report
    result = run_cli(_with_format(prepared.args, "sarif"), env)
    assert result.exit_code == sc.expected.get("exit_code", result.exit_code)
    doc = json.loads(result.stdout)
    _assert_valid_sarif(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r["id"] for r in report["rules"]]
    registry = by_id()
    for r in rules:
        own = registry[r["id"]]
        assert r["name"] == own.slug
        assert r["help"]["markdown"] == own.doc and r["shortDescription"]["text"] == own.summary
        assert r["fullDescription"]["text"]
        assert r["defaultConfiguration"]["level"] == LEVEL[own.severity.label]
    assert len(run["results"]) == len(findings)
    for res, f in zip(run["results"], findings):
        assert res["ruleId"] == f["rule_id"] and rules[res["ruleIndex"]]["id"] == f["rule_id"]
        assert res["level"] == sarif_level(f["severity"], report["inputs"]["fail_on"])
        assert res["message"]["text"].startswith(f["message"])
        assert res["partialFingerprints"] == {"ssoDoctorFingerprint/v1": f["fingerprint"]}
        if f["location"]["path"]:
            physical = res["locations"][0]["physicalLocation"]
            # a relative path (e.g. a CA bundle written literally as "~/certs/x.pem", which botocore does not
            # expand) resolves against the working directory, as botocore itself would resolve it
            assert _artifact_path(run, physical["artifactLocation"]) == os.path.abspath(f["location"]["path"])
            assert physical["region"]["startLine"] == (f["location"]["line"] or 1)

    # --- JUnit: a real parser agrees with the report's counts, one testcase per rule
    result = run_cli(_with_format(prepared.args, "junit"), env)
    xml = JUnitXml.fromstring(result.stdout)
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    summary = report["summary"]
    failing = failing_rules(report)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
        len(report["rules"]), len(failing), summary["rules_errored"], summary["rules_skipped"])
    assert (suite.failures + suite.errors > 0) == (result.exit_code == 1)
    cases = {case.name.split()[0]: case for case in suite}
    assert list(cases) == [r["id"] for r in report["rules"]]
    kinds = {"failed": Failure, "errored": Error, "skipped": Skipped}
    for r in report["rules"]:
        got = cases[r["id"]].result
        if r["status"] == "passed" or (r["status"] == "failed" and r["id"] not in failing):
            assert got == []  # below --fail-on: listed in system-out, not a failure
        else:
            assert [type(x) for x in got] == [kinds[r["status"]]]
        if r["status"] == "skipped":
            assert got[0].message == r["reason"]
        if r["status"] == "failed" and r["id"] in failing:
            for f in findings:
                if f["rule_id"] == r["id"]:
                    assert f["message"] in got[0].text
    xml.update_statistics()  # junitparser recounts from the testcases: still the same numbers
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (
        len(report["rules"]), len(failing), summary["rules_errored"], summary["rules_skipped"])

    # --- GitHub: one annotation per finding; file= relative to the workspace; escaping round-trips
    result = run_cli(_with_format(prepared.args, "github"), env)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("::")]
    assert len(lines) == len(findings)
    for line, f in zip(lines, findings):
        level, props, message = _parse_annotation(line)
        assert level == gh_level(f["severity"], report["inputs"]["fail_on"])
        assert props["title"] == f"{f['rule_id']} {f['slug']}"
        assert f["message"] in message
        path = f["location"]["path"]
        if path and Path(os.path.abspath(path)).is_relative_to(tmp_path):
            assert props["file"] == Path(path).relative_to(tmp_path).as_posix()
            if f["location"]["line"]:
                assert props["line"] == str(f["location"]["line"])
        else:
            assert "file" not in props  # outside the workspace GitHub can't place it on a file


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository folder as the working directory, holding an AWS config with a duplicate section."""
    root = tmp_path / "repo"
    (root / ".aws").mkdir(parents=True)
    (root / ".aws" / "config").write_text(
        "[profile dev]\nregion = eu-west-1\n\n[profile dev]\nregion = eu-west-2\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "PATH": "/nonexistent", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z",
            **windows_essentials(home), **extra}


def test_sarif_of_a_linted_file_points_into_the_repository(repo, tmp_path):
    result = run_cli(["check", "--config", ".aws/config", "--format", "sarif"], _env(tmp_path))
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    _assert_valid_sarif(doc)
    run = doc["runs"][0]
    (res,) = run["results"]
    physical = res["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": ".aws/config", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 4}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"
    assert res["ruleId"] == "SSO102" and res["level"] == "error"


def test_github_annotation_on_a_linted_file(repo, tmp_path):
    result = run_cli(["check", "--config", ".aws/config", "--format", "github"], _env(tmp_path))
    assert result.exit_code == 1
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("::")]
    assert line.startswith("::error file=.aws/config,line=4,title=SSO102 config-unparseable::")
    # a workspace that does not contain the file: no file=, the path goes into the message
    other = tmp_path / "elsewhere"
    other.mkdir()
    result = run_cli(["check", "--config", ".aws/config", "--format", "github"],
                     _env(tmp_path, GITHUB_WORKSPACE=str(other)))
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("::")]
    level, props, message = _parse_annotation(line)
    assert "file" not in props and "line" not in props
    assert message.startswith(".aws/config:4: botocore cannot parse")


def test_junit_lists_every_finding_of_a_failed_rule(repo, tmp_path):
    (repo / ".aws" / "credentials").write_text("[a]\nx = 1\n[a]\n", encoding="utf-8")
    result = run_cli(["check", "--config", ".aws/config", "--format", "junit"], _env(tmp_path))
    suite = next(iter(JUnitXml.fromstring(result.stdout)))
    case = next(c for c in suite if c.name.startswith("SSO102"))
    (failure,) = case.result
    assert failure.message.startswith("2 findings; first: ")
    assert ".aws/config:4" in failure.text and ".aws/credentials:3" in failure.text
    assert failure.text.count("Fix: ") == 2


# --- GitHub escaping ------------------------------------------------------------------------------------


@given(st.text())
def test_escaped_data_round_trips_and_stays_on_one_line(text):
    escaped = github.escape_data(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert github.unescape_data(escaped) == text


@given(st.text())
def test_escaped_property_round_trips_and_cannot_end_the_property(text):
    escaped = github.escape_property(text)
    assert not set(escaped) & {"\n", "\r", ",", ":"}
    assert github.unescape_property(escaped) == text


@rule("SSO999", "test-only", Severity.WARNING)
def _nasty(ctx):  # pragma: no cover - only its metadata is used to build findings
    """A rule for reporter tests; never registered."""
    return iter(())


@given(message=st.text(min_size=1), subject=st.text(),
       path=st.from_regex(r"[a-z%:, ]{1,8}(/[a-z%:,\n]{1,8}){0,2}", fullmatch=True))
def test_annotation_round_trips_any_message_and_path(message, subject, path):
    f = _nasty.finding(message, fix("Do: this, then %that", manual("edit a:b,c")), subject=subject,
                       location=Location(path="/ws/" + path, line=7))
    line = github.annotation(f, RenderOptions(cwd="/ws", workspace="/ws"))
    assert "\n" not in line and "\r" not in line
    level, props, text = _parse_annotation(line)
    assert level == "warning"
    assert props == {"file": path, "line": "7", "title": "SSO999 test-only"}
    assert text == finding_text(f)


def test_the_vendored_schema_rejects_what_code_scanning_would_reject(repo, tmp_path):
    doc = json.loads(run_cli(["check", "--config", ".aws/config", "--format", "sarif"], _env(tmp_path)).stdout)
    doc["runs"][0]["results"][0]["level"] = "info"  # SARIF says "note"
    assert not SARIF.is_valid(doc)
    del doc["runs"][0]["results"][0]["level"]
    del doc["runs"][0]["results"][0]["message"]
    assert not SARIF.is_valid(doc)


# --- the CI formats agree with the exit code under every --fail-on ---------------------------------------

# an error (SSO105, missing sso-session), a warning (SSO115, inline comment) and an info (SSO122, no scopes)
MIXED_CONFIG = """[profile dev]
sso_session = nowhere
sso_account_id = 111111111111
sso_role_name = Admin
region = eu-west-1

[profile app]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = eu-west-1
output = json ; or table

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1
"""


@pytest.mark.parametrize("fail_on", ["error", "warning", "info", "never"])
def test_ci_formats_fail_exactly_what_the_exit_code_fails(repo, tmp_path, fail_on):
    (repo / ".aws" / "config").write_text(MIXED_CONFIG, encoding="utf-8")
    base = ["check", "--config", ".aws/config", "--fail-on", fail_on]
    report = json.loads(run_cli([*base, "--format", "json"], _env(tmp_path)).stdout)
    severities = {f["severity"] for f in report["findings"]}
    assert severities == {"error", "warning", "info"}, report["findings"]
    expected_exit = 0 if fail_on == "never" else 1  # there is an error, which every threshold but never fails

    result = run_cli([*base, "--format", "junit"], _env(tmp_path))
    assert result.exit_code == expected_exit
    suite = next(iter(JUnitXml.fromstring(result.stdout)))
    failing = failing_rules(report)
    failed_cases = {c.name.split()[0] for c in suite if any(isinstance(x, Failure) for x in c.result)}
    assert failed_cases == failing
    assert suite.failures == len(failing)
    assert (suite.failures + suite.errors > 0) == (result.exit_code == 1)
    # info findings are failures only under --fail-on info; never under --fail-on never
    assert ("SSO122" in failed_cases) == (fail_on == "info")
    assert ("SSO115" in failed_cases) == (fail_on in ("warning", "info"))
    assert ("SSO105" in failed_cases) == (fail_on != "never")
    # a finding below the threshold is still shown, in the testcase's system-out
    info_case = next(c for c in suite if c.name.startswith("SSO122"))
    if fail_on != "info":
        assert "SSO122" in (info_case.system_out or "")

    sarif = json.loads(run_cli([*base, "--format", "sarif"], _env(tmp_path)).stdout)
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert {rid for rid, lv in levels.items() if lv == "error"} == failing
    assert levels["SSO122"] == ("error" if fail_on == "info" else "note")

    gh = run_cli([*base, "--format", "github"], _env(tmp_path))
    assert gh.exit_code == expected_exit
    commands = {}
    for line in gh.stdout.splitlines():
        if line.startswith("::"):
            level, props, _message = _parse_annotation(line)
            commands[props["title"].split()[0]] = level
    assert {rid for rid, lv in commands.items() if lv == "error"} == failing
