"""Every fixtures/<scenario> runs through the real CLI; JSON output is validated against the schema."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest
from typer.testing import CliRunner

from scenarios import all_scenarios, normalise, prepare, sort_key, validate_report
from sso_doctor.cli import app

SCENARIOS = all_scenarios()


def run_cli(args: list[str], env: dict[str, str]):
    # CliRunner merges env into os.environ; clear everything else so the developer's AWS setup can't leak in.
    full = {k: None for k in os.environ}
    full.update(env)
    return CliRunner().invoke(app, args, env=full, catch_exceptions=False)


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(sc, tmp_path):
    if sys.platform not in ("linux", "linux2"):
        pytest.skip("expected.json is what Linux gives; on this OS tests/test_scenarios_per_os.py runs the corpus "
                    "natively with the per-OS differences (PER_OS, %USERPROFILE% paths, PowerShell fixes)")
    if sys.platform == "win32" and (sc.meta.get("setup") or (sc.folder / "bin").exists()):
        pytest.skip("POSIX-only mechanics (chmod/chown/symlink set-up, #!/bin/sh stand-ins for aws) on Windows; "
                    "tests/test_scenarios_per_os.py runs the corpus under emulated Windows instead")
    prepared = prepare(sc, tmp_path)
    result = run_cli(prepared.args, prepared.env)
    assert "Traceback" not in result.output
    doc = json.loads(result.stdout)
    validate_report(doc)

    got = sorted((normalise(f, prepared.home, prepared.bin) for f in doc["findings"]), key=sort_key)
    want = sorted(sc.expected["findings"], key=sort_key)
    assert got == want, json.dumps(doc["findings"], indent=1)
    assert result.exit_code == sc.expected.get("exit_code", 1 if any(f["severity"] == "error" for f in want) else 0)

    by_rule: dict[str, list[str]] = {}
    for f in doc["findings"]:
        by_rule.setdefault(f["rule_id"], []).append(f["message"] + "\n" + json.dumps(f["fix"]) + _edits_text(f))
    for rule_id, needles in sc.expected.get("contains", {}).items():
        text = "\n".join(by_rule.get(rule_id, [])).lower()
        for needle in needles:
            assert needle.lower() in text, f"{rule_id}: {needle!r} not in {text!r}"
    assert_safe_steps_are_complete(doc)
    assert_one_login_style(doc)
    statuses = {r["id"]: r["status"] for r in doc["rules"]}
    for rule_id, status in sc.expected.get("rules", {}).items():
        assert statuses[rule_id] == status


# `<region>`, `<12-digit account id>`, `https://<your-subdomain>.awsapps.com/start`: a value a person must
# supply. (`<<'EOF'` here-documents and `2>&1` are shell syntax, not placeholders.)
PLACEHOLDER = re.compile(r"(?<![<\w])<[^<>\n'\"$&]+>")


def assert_safe_steps_are_complete(doc: dict) -> None:
    """Every `$` command and every safe edit is right as printed: no `<…>` placeholder in it (#13.4)."""
    for f in doc["findings"]:
        for c in f["fix"]["commands"]:
            if c["safe"]:
                assert not PLACEHOLDER.search(c["command"]), f"{f['rule_id']}: $ {c['command']}"
        for e in f["fix"].get("edits", []):
            if e["safe"]:
                assert not PLACEHOLDER.search(e["new"] or ""), f"{f['rule_id']}: safe edit {e}"


def assert_one_login_style(doc: dict) -> None:
    """One fix plan (#13.3): every `aws sso login` of a report carries --use-device-code, or none does
    (all of them when SSO406 fires), and names an sso-session with --sso-session."""
    logins = [c["args"] for f in doc["findings"] for c in f["fix"]["commands"]
              if c.get("op") == "run" and c["args"][:3] == ["aws", "sso", "login"]]
    device = {"--use-device-code" in a for a in logins}
    assert len(device) <= 1, f"login commands disagree: {logins}"
    if any(f["rule_id"] == "SSO406" for f in doc["findings"]):
        assert device == {True}, logins


def _edits_text(f: dict) -> str:
    """A finding's config edits as the INI snippet people read, for the "contains" needles."""
    from sso_doctor import edits
    from sso_doctor.fixes import Edit

    steps = [Edit(**d) for d in f["fix"].get("edits", [])]
    return "".join("\n" + "\n".join(edits.snippet(group)) for group in edits.by_path(steps).values())


def test_every_rule_has_a_firing_and_a_near_miss_scenario():
    from sso_doctor.rules import ALL_RULES

    fires = {s.rule for s in SCENARIOS if s.kind == "fires" and any(f["rule_id"] == s.rule for f in s.expected["findings"])}
    near = {s.rule for s in SCENARIOS if s.kind == "near-miss" and not any(f["rule_id"] == s.rule for f in s.expected["findings"])}
    # SSO001 fires only when a rule crashes: tests/test_engine.py proves it with a crashing rule.
    # Administrator rules talk to AWS APIs: tests/test_triage.py covers them against moto.
    # Online rules (needs network/api) need live servers, not static fixtures: tests/test_online_e2e.py
    # proves each of them against real local servers and enforces the same firing + near-miss coverage.
    ids = {r.id for r in ALL_RULES if not r.online and "admin" not in r.needs} - {"SSO001"}
    assert sorted(ids - fires) == [], "rules without a firing scenario"
    assert sorted(ids - near) == [], "rules without a near-miss scenario"
