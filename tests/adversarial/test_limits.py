"""Inputs above the size limits are refused with a finding that says so; below them the results are the
same as before the linear rewrites (issue #10, item 8). The timings are in benchmarks/bench_hostile.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import certifi
from conftest import windows_essentials

from sso_doctor import runner
from sso_doctor.loaders import ca_bundle
from sso_doctor.loaders.aws_config import MAX_CONFIG_BYTES
from sso_doctor.loaders.ca_bundle import MAX_BUNDLE_BYTES

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
PROFILE = ("[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n"
           "region = us-east-1\n\n[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\n"
           "sso_region = us-east-1\n\n")


def run(home: Path, **env: str) -> runner.Outcome:
    full = {"HOME": str(home), **windows_essentials(home), "PATH": str(home / "no-bin"), "AWS_PROFILE": "dev", **env}
    return runner.check(runner.CheckRequest(offline=True, env=full, now=NOW, output_format="json", isolated=True))


def findings(outcome: runner.Outcome, rule_id: str) -> list:
    return [f for f in outcome.report.findings if f.rule_id == rule_id]


def test_config_over_the_limit_is_a_warning_that_says_it_was_not_read(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    block = PROFILE.replace("dev", "p{}").replace("corp", "s{}")
    with (tmp_path / ".aws" / "config").open("w") as fh:
        fh.write(PROFILE)
        i = 0
        while fh.tell() <= MAX_CONFIG_BYTES:
            fh.write(block.format(i, i, i, i))
            i += 1
    out = run(tmp_path)
    [f] = findings(out, "SSO102")
    assert f.severity.label == "warning"
    assert "sso-doctor did not read the config file" in f.message and "over the 4 MiB" in f.message
    assert not findings(out, "SSO001")


def test_config_just_under_the_limit_is_read(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text(PROFILE + "# padding\n" * ((MAX_CONFIG_BYTES - 1000) // 10))
    out = run(tmp_path)
    assert not findings(out, "SSO102")
    status = {r.rule.id: r.status.value for r in out.report.results}
    assert status["SSO201"] != "skipped"  # the profile was read and its token looked for


def test_ca_bundle_over_the_limit_is_a_warning_not_an_error(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text(PROFILE)
    roots = Path(certifi.where()).read_bytes()
    bundle = tmp_path / "huge.pem"
    with bundle.open("wb") as fh:
        while fh.tell() <= MAX_BUNDLE_BYTES:
            fh.write(roots)
    out = run(tmp_path, AWS_CA_BUNDLE=str(bundle))
    [f] = findings(out, "SSO304")
    assert f.severity.label == "warning"
    assert "did not read the certificates" in f.message and "MiB" in f.message
    assert dict(f.evidence)["limit"] == str(MAX_BUNDLE_BYTES)


def test_certificate_line_numbers_are_those_of_their_begin_lines(tmp_path: Path) -> None:
    """The running line count gives every certificate the line of its BEGIN marker."""
    data = b"# corporate bundle\n\n" + Path(certifi.where()).read_bytes() * 2
    bundle = tmp_path / "b.pem"
    bundle.write_bytes(data)
    facts = ca_bundle.inspect(bundle)
    lines = data.split(b"\n")
    begins = [i + 1 for i, line in enumerate(lines) if line.startswith(b"-----BEGIN CERTIFICATE-----")]
    assert [c.line for c in facts.certificates] == begins[: len(facts.certificates)]
    assert len(facts.certificates) == len(begins)


def test_alternatives_still_named_with_many_sessions_on_one_portal(tmp_path: Path) -> None:
    """5,000 sessions on one portal, one of them logged in: every other group's SSO201 names that token
    (the per-portal index finds it without comparing every pair)."""
    url = "https://d-1234567890.awsapps.com/start"
    parts = []
    for i in range(300):
        parts.append(f"[profile p{i}]\nsso_session = s{i}\nsso_account_id = 111111111111\nsso_role_name = A\n\n"
                     f"[sso-session s{i}]\nsso_start_url = {url}\nsso_region = us-east-1\n\n")
    (tmp_path / ".aws" / "sso" / "cache").mkdir(parents=True)
    (tmp_path / ".aws" / "config").write_text("".join(parts))
    key = hashlib.sha1(b"s7").hexdigest()
    (tmp_path / ".aws" / "sso" / "cache" / f"{key}.json").write_text(json.dumps({
        "startUrl": url, "region": "us-east-1", "accessToken": "limits-test-token-0123456789",
        "expiresAt": "2026-06-01T20:00:00Z"}))
    full = {"HOME": str(tmp_path), **windows_essentials(tmp_path), "PATH": str(tmp_path / "no-bin")}
    out = runner.check(runner.CheckRequest(offline=True, env=full, now=NOW, output_format="json", isolated=True,
                                           all_profiles=True, select=("SSO201",)))
    not_logged_in = findings(out, "SSO201")
    assert len(not_logged_in) == 299
    assert all('the key of sso-session "s7"' in f.message and key in f.message for f in not_logged_in)
