"""The ready-made hooks: the pre-commit hook through the real `pre-commit`, and the GitHub Action's run step."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BROKEN = "[profile a]\nregion = eu-west-1\n[profile a]\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_hook_lints_staged_aws_files(tmp_path):
    """`pre-commit try-repo` installs this checkout into its own environment and runs the hook on the
    staged files of a temporary repository (about a minute: most of it is pip)."""
    repo = tmp_path / "dotfiles"
    repo.mkdir()
    _git(repo, "init", "-q")
    files = {
        ".aws/config": BROKEN,                                        # matched, broken
        "team/aws/credentials": "[default]\naws_access_key_id = x\n",  # matched, fine
        "app/config.yaml": "a: 1\n",                                   # not an AWS file
        "notes/config": BROKEN,                                        # not under an aws/ folder
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    (repo / "other" / ".aws").mkdir(parents=True)
    (repo / "other" / ".aws" / "config").write_text(BROKEN, encoding="utf-8")  # not staged

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SSO_DOCTOR_", "GIT_"))}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t", NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "sso-doctor", "--verbose", "--color", "never"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=540,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "sso-doctor (AWS SSO config)" in out and "Failed" in out
    assert "linting .aws/config, team/aws/credentials" in out
    assert "SSO102 config-unparseable  .aws/config:3" in out
    for not_linted in ("app/config.yaml", "notes/config", "other/.aws/config"):
        assert not_linted not in out
    assert "Traceback" not in out


def test_pre_commit_hook_definition():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "sso-doctor" and hook["entry"] == "sso-doctor check" and hook["language"] == "python"
    pattern = re.compile(hook["files"])
    for name in (".aws/config", ".aws/credentials", "home/user/.aws/config", "aws/credentials", "x/aws/config"):
        assert pattern.search(name), name
    for name in ("config", "notes/config", ".aws/config.bak", "app/config.yaml", ".aws/cli/alias", "myaws/config"):
        assert not pattern.search(name), name


# --- the composite GitHub Action ----------------------------------------------------------------------


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_uses_only_declared_inputs():
    action = _action()
    assert action["runs"]["using"] == "composite"
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([a-z][a-z0-9-]*)", text))
    assert used <= set(action["inputs"]), used - set(action["inputs"])


@pytest.fixture
def action_run(tmp_path):
    """Run the action's `Run sso-doctor` step as GitHub would, with sso-doctor from this test's venv."""
    step = next(s for s in _action()["runs"]["steps"] if s.get("id") == "check")
    runner_temp = tmp_path / "runner-temp"
    bindir = runner_temp / "sso-doctor-venv" / "bin"
    bindir.mkdir(parents=True)
    (bindir / "sso-doctor").symlink_to(Path(sys.executable).parent / "sso-doctor")
    workspace = tmp_path / "workspace"
    (workspace / ".aws").mkdir(parents=True)
    (workspace / ".aws" / "config").write_text(BROKEN, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()

    def run(**inputs: str) -> tuple[int, str, dict[str, str]]:
        out_file = tmp_path / "github-output"
        out_file.write_text("")
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "RUNNER_TEMP": str(runner_temp),
               "GITHUB_OUTPUT": str(out_file), "GITHUB_WORKSPACE": str(workspace)}
        for key in ("config", "format", "fail-on", "baseline", "output", "args"):
            env["INPUT_" + key.upper().replace("-", "_")] = inputs.get(key, _action()["inputs"][key]["default"])
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=env,
                              capture_output=True, text=True, timeout=60)
        outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
        return proc.returncode, proc.stdout, outputs

    run.workspace = workspace  # type: ignore[attr-defined]
    return run


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows)')
def test_action_annotates_and_fails_on_findings(action_run):
    code, stdout, outputs = action_run(config=".aws/config")
    assert code == 1 and outputs == {"exit-code": "1"}
    assert stdout.startswith("::error file=.aws/config,line=3,title=SSO102 config-unparseable::")


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows)')
def test_action_passes_format_fail_on_output_and_args(action_run):
    code, stdout, outputs = action_run(config=".aws/config", format="sarif", **{"fail-on": "never"},
                                       output="report.sarif", args="--select SSO102 --quiet")
    assert code == 0 and outputs == {"exit-code": "0"} and stdout == ""
    report = (action_run.workspace / "report.sarif").read_text()
    assert '"ruleId": "SSO102"' in report
    code, _, outputs = action_run(config=".aws/config", args="--ignore SSO102")
    assert code == 0 and outputs == {"exit-code": "0"}
