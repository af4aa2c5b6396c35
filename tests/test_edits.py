"""Structured config edits: the applier is exact, and every rule's edits really fix what they claim.

The acceptance test (`test_edits_fix_the_finding`) takes every scenario whose findings carry edits,
applies each finding's edits to a fresh copy of the scenario's files with `sso_doctor.edits.apply`,
re-reads the files with botocore itself (raw_config_parse + build_profile_map must not raise), and
runs the same check again: the finding (same rule, same subject) must be gone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import pytest
from botocore import configloader
from botocore.exceptions import ConfigNotFound
from scenarios import all_scenarios, prepare
from test_scenarios import run_cli

from sso_doctor import edits
from sso_doctor.edits import EditError, apply, replacements
from sso_doctor.fixes import Edit

SCENARIOS = all_scenarios()

# Every rule that fixes a config file with edits. The acceptance test fails when one of them has no
# scenario that exercises its edits, or when a rule not listed here starts emitting edits untested.
EDIT_RULES = {
    "SSO103", "SSO105", "SSO106", "SSO107", "SSO108", "SSO109", "SSO110", "SSO111", "SSO112", "SSO113",
    "SSO114", "SSO115", "SSO116", "SSO117", "SSO118", "SSO119", "SSO121", "SSO122", "SSO210", "SSO408",
}


def E(action, section, key=None, old=None, new=None, safe=True):
    return Edit("/f", action, section, key, old, new, safe)


# --- the applier ------------------------------------------------------------------------------------

CONFIG = """\
# my AWS config
[default]
region = eu-west-1

[profile dev]   # inline text after a header
sso_start_url=https://d-1234567890.awsapps.com/start
Sso_Region : eu-west-1
; a comment inside the section
sso_account_id = 111122223333
s3 =
    max_concurrent_requests = 10

    addressing_style = path

# comment that belongs to the next section
[sso-session corp]
sso_region = eu-west-1
"""


def test_set_keeps_the_line_style_and_every_other_line():
    out = apply(CONFIG, [E("set", "profile dev", "sso_start_url", new="https://x.awsapps.com/start"),
                         E("set", "profile dev", "sso_region", new="us-east-1")])
    assert out.splitlines() == [
        *CONFIG.splitlines()[:5],
        "sso_start_url=https://x.awsapps.com/start",
        "Sso_Region : us-east-1",
        *CONFIG.splitlines()[7:],
    ]


def test_set_adds_a_missing_key_after_the_last_key_of_the_section():
    out = apply(CONFIG, [E("set", "sso-session corp", "sso_start_url", new="https://x")])
    assert out.endswith("sso_region = eu-west-1\nsso_start_url = https://x\n")
    out = apply(CONFIG, [E("set", "default", "output", new="json")])
    assert "region = eu-west-1\noutput = json\n\n[profile dev]" in out
    # after a nested block, not inside it (and not after its blank line)
    out = apply(CONFIG, [E("set", "profile dev", "region", new="eu-west-1")])
    assert "    addressing_style = path\nregion = eu-west-1\n\n# comment that belongs" in out


def test_set_replaces_a_nested_block_whole_and_delete_removes_it():
    out = apply(CONFIG, [E("set", "profile dev", "s3", new="x")])
    assert "s3 = x\n\n# comment that belongs" in out and "max_concurrent" not in out
    out = apply(CONFIG, [E("delete", "profile dev", "s3")])
    assert "s3" not in out and "addressing_style" not in out
    assert "sso_account_id = 111122223333\n\n# comment that belongs" in out


def test_delete_rename_add_and_remove_sections():
    out = apply(CONFIG, [E("delete", "profile dev", "sso_account_id")])
    assert "sso_account_id" not in out and "; a comment inside the section" in out
    out = apply(CONFIG, [E("rename_section", "profile dev", new='profile "dev two"')])
    assert '[profile "dev two"]   # inline text after a header\n' in out
    out = apply(CONFIG, [E("add_section", "sso-session new"), E("set", "sso-session new", "sso_region", new="x")])
    assert out == CONFIG + "\n[sso-session new]\nsso_region = x\n"
    out = apply(CONFIG, [E("remove_section", "profile dev")])
    assert out == CONFIG.replace(CONFIG[CONFIG.index("[profile dev]"):CONFIG.index("# comment that")], "")


def test_line_endings_and_a_missing_final_newline_are_kept():
    crlf = "[profile dev]\r\nregion = x\r\n"
    assert apply(crlf, [E("set", "profile dev", "output", new="json")]) == "[profile dev]\r\nregion = x\r\noutput = json\r\n"
    assert apply("[a]\nk = v", [E("set", "a", "z", new="1")]) == "[a]\nk = v\nz = 1\n"
    assert apply("[a]\nk = v", [E("add_section", "b")]) == "[a]\nk = v\n\n[b]\n"
    assert apply("", [E("add_section", "b"), E("set", "b", "k", new="v")]) == "[b]\nk = v\n"


def test_edits_that_do_not_fit_raise():
    for bad in (E("set", "profile nope", "k", new="v"), E("delete", "profile dev", "nope"),
                E("add_section", "default"), E("rename_section", "profile dev", new="default")):
        with pytest.raises(EditError):
            apply(CONFIG, [bad])


def _apply_regions(text: str, reps) -> str:
    """An independent applier of SARIF-style regions (1-based line/column, end exclusive)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + col - 1 if line - 1 < len(starts) else len(text)

    out = text
    for r in sorted(reps, key=lambda r: (r.start_line, r.start_column), reverse=True):
        a, b = offset(r.start_line, r.start_column), offset(r.end_line, r.end_column)
        out = out[:a] + r.text + out[b:]
    return out


@pytest.mark.parametrize("batch", [
    [E("set", "profile dev", "sso_region", new="us-east-1")],
    [E("delete", "profile dev", "s3"), E("set", "default", "output", new="json")],
    [E("add_section", "sso-session n"), E("set", "sso-session n", "a", new="1"), E("remove_section", "default")],
    [E("remove_section", "sso-session corp")],
    [E("rename_section", "profile dev", new="profile d"), E("delete", "sso-session corp", "sso_region")],
])
def test_replacements_reproduce_apply(batch):
    reps = replacements(CONFIG, batch)
    assert _apply_regions(CONFIG, reps) == apply(CONFIG, batch)
    total = len(CONFIG.splitlines())
    for r in reps:  # every position names an existing line
        assert r.start_line >= 1 and r.end_line >= 1
        assert r.start_line <= total and r.end_line <= total


def test_snippet_reads_as_ini():
    lines = edits.snippet([E("add_section", "sso-session corp"), E("set", "sso-session corp", "sso_region", new="x"),
                           E("set", "profile dev", "sso_session", new="corp"),
                           E("delete", "profile dev", "sso_start_url", old="https://x"),
                           E("set", "profile dev", "region", new="<region>", safe=False)])
    assert lines == ["[sso-session corp]", "sso_region = x", "[profile dev]", "sso_session = corp",
                     "# delete: sso_start_url = https://x", "# check this value: a guess or a placeholder",
                     "region = <region>"]


# --- every rule's edits, applied and re-read by botocore ------------------------------------------------


def _botocore_reads(home_files: list[Path]) -> None:
    """botocore's own reader accepts every edited file (raw_config_parse, and build_profile_map for
    the config file)."""
    for path in home_files:
        try:
            raw = configloader.raw_config_parse(str(path))
        except ConfigNotFound:
            continue
        configloader.build_profile_map(raw)


def _rebase(path: str, old_root: Path, new_root: Path) -> Path:
    assert path.startswith(str(old_root) + os.sep), path
    return new_root / os.path.relpath(path, old_root)


def _run(sc, root: Path):
    root.mkdir(parents=True)
    prepared = prepare(sc, root)
    result = run_cli(prepared.args, prepared.env)
    return prepared, json.loads(result.stdout)


EDIT_SCENARIOS = [s for s in SCENARIOS if not s.meta.get("online")]


def _findings_with_edits(sc, tmp_path):
    _, doc = _run(sc, tmp_path / "before")
    return [f for f in doc["findings"] if f["fix"].get("edits")]


# What a person types for a `<placeholder>`: a valid value of the key. Only edits marked not safe carry
# placeholders; the test fills them in as the person would, then holds the rule to its word.
_FILL = {"region": "us-east-1", "sso_region": "us-east-1", "sso_account_id": "123456789012",
         "sso_role_name": "ReadOnly", "sso_start_url": "https://d-1234567890.awsapps.com/start"}


def _filled_in(e: Edit) -> Edit:
    if e.new is None or not re.search(r"<[^<>]+>", e.new):
        return e
    assert not e.safe, f"a safe edit with a placeholder: {e}"
    offered = re.search(r"\b[a-z]{2}(?:-[a-z]+)+-\d\b", e.new)  # `<aws-cn region: cn-north-1 or ...>`
    return dataclasses.replace(e, new=offered.group(0) if offered and "region" in e.key else _FILL[e.key])


def _identity(f: dict, root: Path) -> tuple:
    """A finding, wherever the scenario's files were copied: rule, subject and location."""
    loc = f["location"]
    path = loc["path"]
    if path and path.startswith(str(root) + os.sep):
        path = os.path.relpath(path, root)
    return f["rule_id"], f["subject"], path, loc["section"], loc["key"], loc["env_var"]


_RUN: dict[str, set[str]] = {"scenarios": set(), "rules": set()}


@pytest.mark.parametrize("sc", EDIT_SCENARIOS, ids=[s.name for s in EDIT_SCENARIOS])
def test_edits_fix_the_finding(sc, tmp_path):
    before_root = tmp_path / "before"
    findings = _findings_with_edits(sc, tmp_path)
    _RUN["scenarios"].add(sc.name)
    for i, f in enumerate(findings):
        assert f["rule_id"] in EDIT_RULES, f"{f['rule_id']} emits edits: add it to EDIT_RULES"
        _RUN["rules"].add(f["rule_id"])
        root = tmp_path / f"fix{i}"
        root.mkdir()
        fresh = prepare(sc, root)  # a fresh copy of the scenario's files
        by_file: dict[Path, list[Edit]] = {}
        for d in f["fix"]["edits"]:
            e = _filled_in(Edit(**d))
            by_file.setdefault(_rebase(e.path, before_root, root), []).append(e)
        for path, file_edits in by_file.items():
            text = path.read_text() if path.exists() else ""
            try:
                new = apply(text, file_edits)
            except EditError as err:
                pytest.fail(f"{f['rule_id']} edits do not fit {path.name}: {err}\n{json.dumps(f['fix'], indent=1)}")
            path.write_text(new)
        home = root / "home"
        _botocore_reads([*by_file, home / ".aws" / "config", home / ".aws" / "credentials"])
        after = json.loads(run_cli(fresh.args, fresh.env).stdout)
        again = [g for g in after["findings"] if _identity(g, root) == _identity(f, before_root)]
        assert not again, (f"{f['rule_id']} still fires after its edits:\n{json.dumps(f['fix'], indent=1)}\n"
                           f"{json.dumps(again, indent=1)}")


def test_edit_rules_all_have_scenarios_with_edits():
    """Runs last in this file (pytest keeps file order): by now every scenario above has run."""
    if len(_RUN["scenarios"]) < len(EDIT_SCENARIOS):
        pytest.skip("only meaningful after every scenario of test_edits_fix_the_finding ran")
    missing = EDIT_RULES - _RUN["rules"]
    assert not missing, f"rules that emit edits but no scenario applied them: {sorted(missing)}"


# --- SARIF fixes: the same edits as regions of the file -----------------------------------------------


def test_sarif_fixes_apply_to_the_file_and_fix_the_finding(tmp_path):
    """sso109's edits are exact: SARIF carries them as artifactChanges whose replacements, applied by
    an independent region applier to the file, give what sso_doctor.edits.apply gives and make the
    finding go away. Guesses (SSO113's restored zeros) are not offered as SARIF fixes."""
    from urllib.parse import unquote, urlparse

    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    validator = jsonschema.Draft4Validator(schema)
    sc = next(s for s in SCENARIOS if s.name == "sso109-inconsistent-region")
    root = tmp_path / "a"
    root.mkdir()
    prepared = prepare(sc, root)
    args = [a for a in prepared.args if a not in ("--format", "json")] + ["--format", "sarif"]
    doc = json.loads(run_cli(args, prepared.env).stdout)
    validator.validate(doc)
    results = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "SSO109"]
    assert results and all("fixes" in r for r in results)
    config = prepared.home / ".aws" / "config"
    original = config.read_text()
    want = original
    for r in results:  # each result's fix, on the file as it is now, is exactly its edits
        its_edits = [Edit(**d) for d in r["properties"]["fix"]["edits"]]
        want = apply(want, its_edits)
        reps = []
        for change in r["fixes"][0]["artifactChanges"]:
            assert Path(unquote(urlparse(change["artifactLocation"]["uri"]).path)) == config
            for rep in change["replacements"]:
                reg = rep["deletedRegion"]
                reps.append(edits.Replacement(reg["startLine"], reg["startColumn"], reg["endLine"], reg["endColumn"],
                                              rep.get("insertedContent", {}).get("text", "")))
        assert _apply_regions(original, reps) == apply(original, its_edits)
    config.write_text(want)
    _botocore_reads([config])
    after = json.loads(run_cli(prepared.args, prepared.env).stdout)
    assert not [f for f in after["findings"] if f["rule_id"] == "SSO109"]

    sc = next(s for s in SCENARIOS if s.name == "sso113-invalid-account-ids")
    root = tmp_path / "b"
    root.mkdir()
    prepared = prepare(sc, root)
    args = [a for a in prepared.args if a not in ("--format", "json")] + ["--format", "sarif"]
    doc = json.loads(run_cli(args, prepared.env).stdout)
    validator.validate(doc)
    by_subject = {r["properties"]["subject"]: r for r in doc["runs"][0]["results"] if r["ruleId"] == "SSO113"}
    assert "fixes" in by_subject["quoted"]  # quotes removed: the id as written
    assert "fixes" not in by_subject["lost-zero"]  # a restored leading zero is a guess


def test_thousands_of_edits_apply_in_one_pass():
    """SSO110 on a config with 1,000 legacy profiles: 3,000 edits plus a new section. apply() and
    replacements() work section by section (one pass, not one re-read per edit), and agree."""
    import time

    text = "".join(f"[profile p{i}]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n"
                   f"sso_account_id = {i:012d}\n\n" for i in range(1000))
    batch = [E("add_section", "sso-session x"), E("set", "sso-session x", "sso_start_url", new="https://x.awsapps.com/start")]
    for i in range(1000):
        batch += [E("set", f"profile p{i}", "sso_session", new="x"), E("delete", f"profile p{i}", "sso_start_url"),
                  E("delete", f"profile p{i}", "sso_region")]
    started = time.perf_counter()
    out = apply(text, batch)
    reps = replacements(text, batch)
    elapsed = time.perf_counter() - started
    assert _apply_regions(text, reps) == out
    assert out.count("sso_session = x\n") == 1000 and "sso_region" not in out.split("[sso-session x]")[0]
    assert elapsed < 10, elapsed  # seconds; it is ~0.1 s, the old re-read per edit took minutes
