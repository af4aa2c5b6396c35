"""`check --config PATH` / `check FILE...`: lint files kept in a repository, independent of this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scenarios import validate_report
from test_scenarios import run_cli

DUPLICATE = "[profile a]\nregion = eu-west-1\n[profile a]\n"
GOOD = "[profile a]\nregion = eu-west-1\n"


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A HOME whose own AWS files are broken, and a repository as the working directory."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(DUPLICATE, encoding="utf-8")
    (home / ".aws" / "credentials").write_text(DUPLICATE, encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    env = {"HOME": str(home), "PATH": "/nonexistent", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z",
           "AWS_PROFILE": "missing", "AWS_CONFIG_FILE": str(home / ".aws" / "config"), "AWS_REGION": "eu-west-1"}
    return {"home": home, "repo": repo, "env": env}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def lint(machine, *args: str) -> tuple[int, dict]:
    result = run_cli(["check", "--format", "json", *args], machine["env"])
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    validate_report(doc)
    return result.exit_code, doc


def test_lints_the_file_alone_whatever_this_machine_has(machine):
    _write(machine["repo"] / ".aws" / "config", GOOD)
    code, doc = lint(machine, "--config", ".aws/config")
    # not the broken ~/.aws files, not AWS_PROFILE=missing, not AWS_CONFIG_FILE
    assert code == 0 and doc["findings"] == [], doc["findings"]
    assert doc["inputs"]["config_file"] == ".aws/config"
    assert doc["inputs"]["files"] == [".aws/config"]
    assert doc["inputs"]["offline"] is True and doc["inputs"]["profile_source"] == "--all-profiles"
    # only the config-file rules run (the others say why they did not)
    assert {r["area"] for r in doc["rules"] if r["status"] != "skipped"} <= {"engine", "config"}


def test_online_checks_this_machine_with_the_file(machine):
    _write(machine["repo"] / ".aws" / "config", GOOD)
    code, doc = lint(machine, "--config", ".aws/config", "--online", "--select", "SSO104")
    assert code == 1
    assert [(f["rule_id"], f["subject"], f["location"]["env_var"]) for f in doc["findings"]] == [
        ("SSO104", "missing", "AWS_PROFILE")]


@pytest.mark.parametrize("given", ["relative", "absolute"])
def test_paths_are_relative_to_the_working_directory(machine, given):
    path = _write(machine["repo"] / "team" / "config", DUPLICATE)
    arg = "team/config" if given == "relative" else str(path)
    code, doc = lint(machine, "--config", arg)
    (f,) = doc["findings"]
    assert code == 1 and f["location"]["path"] == "team/config" and f["location"]["line"] == 3
    assert "(team/config:3)" in f["message"]


def test_a_file_outside_the_working_directory_keeps_its_absolute_path(machine, tmp_path):
    path = _write(tmp_path / "elsewhere" / "config", DUPLICATE)
    _, doc = lint(machine, "--config", str(path))
    assert doc["findings"][0]["location"]["path"] == str(path)


def test_the_credentials_file_beside_the_config_is_linted_with_it(machine):
    _write(machine["repo"] / "aws" / "config", GOOD)
    _write(machine["repo"] / "aws" / "credentials", DUPLICATE)
    code, doc = lint(machine, "--config", "aws/config")
    assert code == 1 and [f["location"]["path"] for f in doc["findings"]] == ["aws/credentials"]
    # an explicit --credentials wins over the sibling
    _write(machine["repo"] / "aws" / "other-credentials", GOOD)
    code, doc = lint(machine, "--config", "aws/config", "--credentials", "aws/other-credentials")
    assert code == 0 and doc["inputs"]["credentials_file"] == "aws/other-credentials"


def test_a_credentials_file_alone_is_not_missing_its_config(machine):
    # credentials sections carry no "profile " prefix ([profile a] there would be SSO103)
    _write(machine["repo"] / "aws" / "credentials", "[a]\nregion = eu-west-1\n")
    code, doc = lint(machine, "aws/credentials")
    assert code == 0 and doc["findings"] == []
    sso101 = next(r for r in doc["rules"] if r["id"] == "SSO101")
    assert sso101 == {**sso101, "status": "skipped", "reason": "no config file beside aws/credentials"}


def test_several_files_make_one_report(machine):
    _write(machine["repo"] / "a" / ".aws" / "config", DUPLICATE)
    _write(machine["repo"] / "a" / ".aws" / "credentials", DUPLICATE)
    _write(machine["repo"] / "b" / ".aws" / "config", DUPLICATE)
    _write(machine["repo"] / "c" / ".aws" / "config", GOOD)
    code, doc = lint(machine, "a/.aws/config", "a/.aws/credentials", "b/.aws/config", "c/.aws/config")
    assert code == 1
    assert sorted(f["location"]["path"] for f in doc["findings"]) == [
        "a/.aws/config", "a/.aws/credentials", "b/.aws/config"]
    assert doc["inputs"]["files"] == ["a/.aws/config", "a/.aws/credentials", "b/.aws/config", "c/.aws/config"]
    assert doc["summary"]["errors"] == 3
    assert next(r for r in doc["rules"] if r["id"] == "SSO102")["findings"] == 3


@pytest.mark.parametrize("args,needle", [
    (["--config", "nope/config"], "no such file: nope/config"),
    (["nope/credentials"], "no such file: nope/credentials"),
])
def test_a_missing_file_is_a_usage_error(machine, args, needle):
    result = run_cli(["check", *args], machine["env"])
    assert result.exit_code == 2 and needle in result.stderr
