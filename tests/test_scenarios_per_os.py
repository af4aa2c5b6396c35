"""The whole scenario corpus (fixtures/) under each emulated OS: Windows, macOS and Linux (#14.6).

Each scenario runs through the real CLI as in tests/test_scenarios.py, with the OS switched by
SSO_DOCTOR_PLATFORM (ctx.platform and sso_doctor/platform.py decide home, paths, shell and OS facts from
it). Under Windows the fake home is `%USERPROFILE%` and HOME is removed: botocore on Windows never reads
HOME, so a scenario that still passes proves the paths come from USERPROFILE. The shell is the one each
OS detects with no hint (PowerShell on Windows, bash elsewhere), so Windows findings are rendered in
PowerShell: none may carry an `export` or `unset`.

Every expected difference between OSes is listed in ONE place, `PER_OS`, below. A scenario not listed
must give exactly its expected.json findings and rule statuses on every OS.

Runtime: ~300 CLI runs in-process, ~25 s on 2 cores (the host's own OS is not re-run: tests/test_scenarios.py
already runs the corpus natively).
"""

from __future__ import annotations

import json
import os
import re
import sys

import pytest
from scenarios import all_scenarios, normalise, prepare, sort_key, validate_report
from test_scenarios import _edits_text
from typer.testing import CliRunner

from sso_doctor import fixes
from sso_doctor.cli import app

SCENARIOS = all_scenarios()
OSES = ("win32", "darwin", "linux")

# --- every expected difference between OSes, in one place ----------------------------------------------
#
# Everywhere (no entry needed): paths are shown in the OS's own form (`%USERPROFILE%\.aws\config` on
# Windows: `shown_as_posix` maps them back), and fix commands are rendered for the OS's shell (the
# expected.json needles are written in bash, so commands are compared re-rendered for bash from their
# op and args: the same command data, whatever the shell).
#
# (os, scenario) -> what differs there, and why. "findings": the findings expected instead of
# expected.json's; "rules": rule statuses expected instead; "contains": needles expected instead.
PER_OS: dict[tuple[str, str], dict] = {
    # Windows has no `~`: a cache path in a command is `"$HOME/…"` (PowerShell's $HOME, cmd's %USERPROFILE%)
    ("win32", "sso206-directory-named-like-the-token"): {"contains": {"SSO206": [
        'rm -r \\"$HOME/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json\\"']}},
    ("win32", "sso206-truncated-json"): {"contains": {"SSO206": [
        'rm \\"$HOME/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json\\"']}},
    # POSIX permission bits mean nothing on Windows (NTFS ACLs decide): SSO207 is skipped there
    ("win32", "sso207-world-readable-token"): {"findings": [], "rules": {"SSO207": "skipped"}, "contains": {}},
    ("win32", "sso207-open-empty-cache"): {"findings": [], "rules": {"SSO207": "skipped"}, "contains": {}},
    # a Notepad UTF-16 file: on Windows the fix is Notepad's own "Save as UTF-8", not iconv
    ("win32", "sso102-notepad-unicode-utf16"): {"contains": {"SSO102": ["then file > save as with encoding"]}},
    # the AWS CLI installs differently: the MSI on Windows, the pkg on macOS (the Linux zip elsewhere)
    ("win32", "sso401-no-aws-on-path"): {"contains": {"SSO401": ["msiexec.exe /i https://awscli.amazonaws.com/awscliv2.msi"]}},
    # the scenario's install is the Linux installer's /usr/local/bin/aws, which Windows never looks at
    ("win32", "sso401-v2-installed-but-not-on-path"): {"contains": {"SSO401": [
        "msiexec.exe /i https://awscli.amazonaws.com/awscliv2.msi"]}},
    ("darwin", "sso401-no-aws-on-path"): {"contains": {"SSO401": ["sudo installer -pkg awscliv2.pkg -target /"]}},
    ("darwin", "sso404-device-code-only"): {"contains": {"SSO404": ["sudo installer -pkg awscliv2.pkg -target /"]}},
    # a Windows virtualenv keeps its Python in Scripts\python.exe
    ("win32", "sso801-old-botocore-in-virtualenv"): {"contains": {"SSO801": [
        r'scripts\\python.exe -m pip install -U \"botocore>=1.29.10\"']}},
    # a Mac needs no DISPLAY for a browser, and WSL is a Linux
    ("darwin", "sso406-linux-without-display"): {"findings": [], "rules": {"SSO406": "passed"}, "contains": {}},
    ("darwin", "sso406-wsl-without-browser"): {"findings": [], "rules": {"SSO406": "passed"}, "contains": {}},
    ("darwin", "sso406-wsl-device-code-no-browser"): {"findings": [], "rules": {"SSO406": "passed"}, "contains": {}},
}

# Whole groups that cannot run under an emulated OS, and why.
def not_comparable(os_name: str, sc) -> str | None:
    if os_name == "win32" and (sc.folder / "bin").exists():
        return ("the scenario's `aws` is a POSIX script named `aws`; Windows finds aws.exe/aws.cmd through "
                "PATHEXT, so it is not on PATH there (aws discovery per OS is #14.2)")
    return None


def shown_as_posix(text: str) -> str:
    """`%USERPROFILE%\\.aws\\config` (Windows' own form) → `~/.aws/config`, to compare with the needles."""
    return re.sub(r"%USERPROFILE%((?:\\[^\s\\,;:()\"'`]+)*)", lambda m: "~" + m.group(1).replace("\\", "/"), text)


def _as_bash(fix: dict, norm) -> dict:
    """The fix with each command rendered for bash from its op and args (what expected.json quotes)."""
    commands = []
    for c in fix["commands"]:
        if "op" in c:
            cmd = fixes.Command(c["op"], tuple(norm(a) for a in c["args"]), c["safe"], c.get("comment"))
            c = {**c, "args": list(cmd.args), "command": cmd.render("bash"), "safe": cmd.safe_in("bash")}
        commands.append(c)
    return {**fix, "summary": norm(fix["summary"]), "commands": commands}


def _host() -> str:
    return "win32" if sys.platform == "win32" else "darwin" if sys.platform == "darwin" else "linux"


def _env_for(os_name: str, env: dict[str, str]) -> dict[str, str]:
    env = dict(env)
    if "SSO_DOCTOR_PLATFORM" in env:
        return env  # the scenario is about one OS already
    env["SSO_DOCTOR_PLATFORM"] = os_name
    if os_name == "win32":
        home = env.pop("HOME", None)
        if home is not None:
            env["USERPROFILE"] = home
    return env


CASES = [(o, sc) for o in OSES for sc in SCENARIOS]


@pytest.mark.parametrize("os_name,sc", CASES, ids=[f"{o}-{sc.name}" for o, sc in CASES])
def test_scenario_under_emulated_os(os_name, sc, tmp_path):
    if os_name == _host() == "linux":
        # elsewhere the host's own OS runs here, natively, with its PER_OS differences and path forms
        pytest.skip("the host's own OS: tests/test_scenarios.py runs the corpus natively")
    if sys.platform == "win32" and (sc.meta.get("setup") or (sc.folder / "bin").exists()):
        pytest.skip("POSIX-only mechanics (chmod/chown/symlink set-up, #!/bin/sh fake aws) on a Windows host")
    reason = not_comparable(os_name, sc)
    if reason:
        pytest.skip(reason)
    prepared = prepare(sc, tmp_path)
    env = _env_for(os_name, prepared.env)
    full = {k: None for k in os.environ}
    full.update(env)
    result = CliRunner().invoke(app, prepared.args, env=full, catch_exceptions=False)
    assert "Traceback" not in result.output
    doc = json.loads(result.stdout)
    validate_report(doc)
    diff = PER_OS.get((os_name, sc.name), {})

    got = sorted((normalise(f, prepared.home, prepared.bin) for f in doc["findings"]), key=sort_key)
    want = sorted(diff.get("findings", sc.expected["findings"]), key=sort_key)
    assert got == want, json.dumps(doc["findings"], indent=1)
    default_code = 1 if any(f["severity"] == "error" for f in want) else 0
    assert result.exit_code == (sc.expected.get("exit_code", default_code) if "findings" not in diff else default_code)
    statuses = {r["id"]: r["status"] for r in doc["rules"]}
    for rule_id, status in {**sc.expected.get("rules", {}), **diff.get("rules", {})}.items():
        assert statuses[rule_id] == status, rule_id

    shell = doc["inputs"]["shell"]
    by_rule: dict[str, list[str]] = {}
    for f in doc["findings"]:
        norm = shown_as_posix if os_name == "win32" else (lambda t: t)
        by_rule.setdefault(f["rule_id"], []).append(norm(f["message"]) + "\n" + json.dumps(_as_bash(f["fix"], norm))
                                                   + _edits_text(f))
    for rule_id, needles in diff.get("contains", sc.expected.get("contains", {})).items():
        text = "\n".join(by_rule.get(rule_id, [])).lower()
        for needle in needles:
            assert needle.lower() in text, f"{rule_id}: {needle!r} not in {text!r}"

    commands = [c for f in doc["findings"] for c in f["fix"]["commands"]]
    if os_name == "win32" and "SSO_DOCTOR_PLATFORM" not in sc.meta.get("env", {}):
        assert shell == "powershell"
        posix = [c["command"] for c in commands if c["command"].startswith(("export ", "unset "))]
        assert posix == [], posix
        # what cannot be said in PowerShell is never offered as safe to run there
        assert all(not c["safe"] for c in commands if c["op"] == "sh")
