"""Baselines and fingerprints: moving lines keeps fingerprints; only new problems fail the build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_scenarios import run_cli

# [profile dev] appears twice (SSO102 at its second header); other blocks around it move.
BLOCKS = {
    "dev": "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n",
    "dev-again": "[profile dev]\nregion = eu-west-1\n",
    "prod": "[profile prod]\nsso_session = corp\nsso_account_id = 444455556666\nsso_role_name = Admin\n",
    "session": "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
}


def config_text(order: list[str], padding: int = 0) -> str:
    return "# team AWS config\n" + "\n" * padding + "\n".join(BLOCKS[name] for name in order)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "checkout-a"
    (root / ".aws").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "PATH": "/nonexistent", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z"}


def lint(tmp_path: Path, *args: str, files: tuple[str, ...] = (".aws/config",)) -> tuple[int, dict, str]:
    result = run_cli(["check", "--format", "json", *files, *args], env(tmp_path))
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


def by_fingerprint(doc: dict) -> dict[str, tuple[str, str | None, str | None, int | None]]:
    return {f["fingerprint"]: (f["rule_id"], f["subject"], f["location"]["path"], f["location"]["line"])
            for f in doc["findings"]}


def test_moving_a_profile_block_keeps_the_fingerprints(repo, tmp_path):
    config = repo / ".aws" / "config"
    config.write_text(config_text(["session", "dev", "prod", "dev-again"]), encoding="utf-8")
    _, before, _ = lint(tmp_path)
    # prod moves to the top and blank lines are added: every line number after it changes
    config.write_text(config_text(["prod", "session", "dev", "dev-again"], padding=3), encoding="utf-8")
    _, after, _ = lint(tmp_path)
    a, b = by_fingerprint(before), by_fingerprint(after)
    assert a and set(a) == set(b)
    assert [v[:3] for v in a.values()] == [v[:3] for v in b.values()]
    lines_before = {v[3] for v in a.values()}
    lines_after = {v[3] for v in b.values()}
    assert None not in lines_before and lines_before != lines_after  # the lines really moved


def test_fingerprints_do_not_depend_on_where_the_repository_is_checked_out(repo, tmp_path, monkeypatch):
    (repo / ".aws" / "config").write_text(config_text(["dev", "dev-again"]), encoding="utf-8")
    _, here, _ = lint(tmp_path)
    elsewhere = tmp_path / "another" / "checkout-b"
    shutil.copytree(repo, elsewhere)
    monkeypatch.chdir(elsewhere)
    _, there, _ = lint(tmp_path)
    assert by_fingerprint(here) and by_fingerprint(here) == by_fingerprint(there)
    assert here["findings"][0]["location"]["path"] == ".aws/config"  # relative to the working directory


def test_a_new_problem_fails_the_build_while_baselined_ones_do_not(repo, tmp_path):
    (repo / ".aws" / "config").write_text(config_text(["session", "dev", "prod", "dev-again"]), encoding="utf-8")
    baseline = repo / ".sso-doctor-baseline.json"

    # without a baseline the known problem fails the build
    code, doc, _ = lint(tmp_path)
    assert code == 1 and [f["rule_id"] for f in doc["findings"]] == ["SSO102"]

    # writing the baseline accepts today's findings (exit 0) and lists them for people
    code, doc, err = lint(tmp_path, "--write-baseline", str(baseline))
    assert code == 0 and len(doc["findings"]) == 1
    assert "wrote 1 finding to the baseline" in err
    written = json.loads(baseline.read_text())
    (row,) = written["findings"]
    assert row["fingerprint"] == doc["findings"][0]["fingerprint"]
    assert row["rule_id"] == "SSO102" and row["message"] == doc["findings"][0]["message"] and "subject" in row

    # with it, the same (and moved) problem passes
    (repo / ".aws" / "config").write_text(config_text(["prod", "dev", "session", "dev-again"], 2), encoding="utf-8")
    code, doc, _ = lint(tmp_path, "--baseline", str(baseline))
    assert code == 0 and doc["findings"] == []
    assert doc["inputs"]["baselined"] == 1
    rule = next(r for r in doc["rules"] if r["id"] == "SSO102")
    assert rule["status"] == "passed" and "suppressed by baseline" in rule["reason"]

    # a new problem in the credentials file beside it fails, and only it is reported
    (repo / ".aws" / "credentials").write_text("[dev]\naws_access_key_id = x\n[dev]\n", encoding="utf-8")
    code, doc, _ = lint(tmp_path, "--baseline", str(baseline))
    assert code == 1
    assert [(f["rule_id"], f["location"]["path"]) for f in doc["findings"]] == [("SSO102", ".aws/credentials")]


@pytest.mark.parametrize("content,needle", [
    (None, "does not exist (create it with --write-baseline"),
    ("{not json", "is not JSON"),
    ('{"findings": []}', "is not an sso-doctor baseline"),
    ('{"sso_doctor_baseline": 1, "findings": [{"rule_id": "SSO102"}]}', "findings[0] has no fingerprint"),
    ('{"sso_doctor_baseline": 9, "findings": []}', "version 9 baseline"),
])
def test_a_bad_baseline_is_a_usage_error(repo, tmp_path, content, needle):
    (repo / ".aws" / "config").write_text(config_text(["dev"]), encoding="utf-8")
    path = repo / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli(["check", ".aws/config", "--baseline", str(path)], env(tmp_path))
    assert result.exit_code == 2 and needle in result.stderr and result.stdout == ""


def test_per_profile_findings_keep_their_fingerprints_when_blocks_move(repo, tmp_path):
    """Every rule that reports about profiles in the file, whatever the build registers."""
    blocks = [
        "[profile legacy]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 12345\nsso_role_name = Dev\n",
        "[profile inline]\nsso_session = corp\nsso_account_id = 111122223333 # prod\nsso_role_name = Dev\n"
        "region = eu-west-1 ; main\n",
        "[profile lost]\nsso_session = nowhere\nsso_account_id = 111122223333\nsso_role_name = Dev\n",
        "[sso-session corp]\nsso_start_url = http://corp.awsapps.com/start/\nsso_region = eu-wst-1\n",
        "[Profile typo]\nregion = us-east-1\n",
    ]
    config = repo / ".aws" / "config"
    config.write_text("\n".join(blocks), encoding="utf-8")
    _, before, _ = lint(tmp_path)
    if not any(f["subject"] for f in before["findings"]):
        pytest.skip("no rule about profile content is registered in this build")
    config.write_text("# moved\n\n" + "\n".join(reversed(blocks)), encoding="utf-8")
    _, after, _ = lint(tmp_path)
    a, b = by_fingerprint(before), by_fingerprint(after)
    changed = sorted({v[:2] for k, v in a.items() if k not in b} | {v[:2] for k, v in b.items() if k not in a})
    # A finding that names several profiles must not take its subject from whichever comes first.
    assert not changed, f"fingerprints changed when blocks moved: {changed}"
    assert {k: v[:3] for k, v in a.items()} == {k: v[:3] for k, v in b.items()}
