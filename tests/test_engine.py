"""The engine: selection, severity overrides, crash isolation (SSO001), skips, the online time budget."""

from __future__ import annotations

import threading
import time

import pytest

from sso_doctor import engine
from sso_doctor.context import Context, RunSettings
from sso_doctor.model import Location, Severity, SkipRule, Status, fix, rule
from sso_doctor.rules import ALL_RULES


@rule("SSO990", "always-fires", Severity.WARNING)
def always_fires(ctx):
    """Test rule."""
    yield always_fires.finding("it fired", fix("nothing"), subject="x", location=Location(path="/p", line=3))


@rule("SSO991", "crashes", Severity.INFO)
def crashes(ctx):
    """Test rule."""
    raise KeyError("secret-looking-text")


@rule("SSO992", "skips", Severity.ERROR)
def skips(ctx):
    """Test rule."""
    raise SkipRule("not applicable here")


@rule("SSO993", "slow-online", Severity.ERROR, needs=("network",))
def slow_online(ctx):
    """Test rule."""
    time.sleep(30)
    return []


@rule("SSO994", "fast-online", Severity.ERROR, needs=("network",))
def fast_online(ctx):
    """Test rule."""
    yield fast_online.finding("online fired", fix("x"))


CRASH = next(r for r in ALL_RULES if r.id == "SSO001")
TEST_RULES = (CRASH, always_fires, crashes, skips)


def _ctx(**kw):
    return Context(RunSettings(**kw), env={"HOME": "/nonexistent"})


def test_crashing_rule_becomes_sso001_and_the_run_goes_on():
    report = engine.run(TEST_RULES, _ctx(), all_rules=TEST_RULES)
    statuses = {r.rule.id: r.status for r in report.results}
    assert statuses == {"SSO001": Status.FAILED, "SSO990": Status.FAILED, "SSO991": Status.ERRORED,
                        "SSO992": Status.SKIPPED}
    crash = [f for f in report.findings if f.rule_id == "SSO001"]
    assert len(crash) == 1
    assert "SSO991" in crash[0].message and "KeyError" in crash[0].message
    # the exception's text can hold file content or tokens: it is not in the message, only in -v detail
    assert "secret-looking-text" not in crash[0].message
    assert "Traceback" in (crash[0].detail or "")
    assert report.exit_code(Severity.ERROR) == 1
    assert report.exit_code(None) == 1  # a crash fails even --fail-on never


def test_skip_reason_is_reported():
    report = engine.run(TEST_RULES, _ctx(), all_rules=TEST_RULES)
    skipped = next(r for r in report.results if r.rule.id == "SSO992")
    assert skipped.reason == "not applicable here"


def test_exit_code_follows_fail_on():
    rules = (CRASH, always_fires)
    report = engine.run(rules, _ctx(), all_rules=rules)
    assert report.exit_code(Severity.ERROR) == 0
    assert report.exit_code(Severity.WARNING) == 1
    assert report.exit_code(Severity.INFO) == 1
    assert report.exit_code(None) == 0


def test_severity_override_changes_findings_not_rules():
    rules = (CRASH, always_fires)
    overrides = engine.parse_severity_overrides(rules, ["always-fires=error"])
    report = engine.run(rules, _ctx(), all_rules=rules, severity_overrides=overrides)
    assert [f.severity for f in report.findings] == [Severity.ERROR]
    assert report.exit_code(Severity.ERROR) == 1


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        ((), (), {"SSO001", "SSO990", "SSO991", "SSO992"}),
        (("SSO99",), (), {"SSO990", "SSO991", "SSO992"}),
        (("always-fires",), (), {"SSO990"}),
        (("sso990", "SSO001"), (), {"SSO990", "SSO001"}),
        (("ALL",), ("SSO991", "skips"), {"SSO001", "SSO990"}),
    ],
)
def test_selection_by_id_prefix_and_slug(select, ignore, expected):
    chosen, left_out = engine.select_rules(TEST_RULES, select, ignore)
    assert {r.id for r in chosen} == expected
    assert set(left_out) == {r.id for r in TEST_RULES} - expected


@pytest.mark.parametrize("bad", [("SSO9999",), ("no-such-slug",)])
def test_unknown_selection_is_an_error(bad):
    with pytest.raises(engine.SelectionError, match="matches no rule"):
        engine.select_rules(TEST_RULES, bad, ())
    with pytest.raises(engine.SelectionError):
        engine.select_rules(TEST_RULES, (), bad)


def test_bad_severity_override_is_an_error():
    with pytest.raises(engine.SelectionError):
        engine.parse_severity_overrides(TEST_RULES, ["SSO990"])
    with pytest.raises(ValueError, match="unknown severity"):
        engine.parse_severity_overrides(TEST_RULES, ["SSO990=fatal"])


def test_online_rules_are_skipped_offline():
    rules = (CRASH, fast_online)
    report = engine.run(rules, _ctx(offline=True), all_rules=rules)
    res = next(r for r in report.results if r.rule.id == "SSO994")
    assert res.status == Status.SKIPPED and "offline" in res.reason


def test_online_phase_has_one_time_budget():
    rules = (CRASH, slow_online, fast_online)
    start = time.monotonic()
    report = engine.run(rules, _ctx(timeout=0.5), all_rules=rules)
    elapsed = time.monotonic() - start
    assert elapsed < 5, elapsed
    by_id = {r.rule.id: r for r in report.results}
    assert by_id["SSO993"].status == Status.SKIPPED and "time budget" in by_id["SSO993"].reason
    assert by_id["SSO994"].status == Status.FAILED
    # the straggler is a daemon thread: it can't keep the process alive
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("sso-doctor-"))


def test_registry_ids_and_slugs_are_unique_and_ordered():
    ids = [r.id for r in ALL_RULES]
    assert len(ids) == len(set(ids))
    assert len({r.slug for r in ALL_RULES}) == len(ids)
    assert ids == sorted(ids)


def test_every_rule_has_four_part_docs():
    for r in ALL_RULES:
        doc = r.doc
        for part in ("## What it checks", "## Why it matters", "## How to fix", "## Example"):
            assert part in doc, f"{r.id} docs lack {part!r}"
        assert r.summary and not r.summary.startswith("#")


def test_fingerprint_ignores_line_numbers():
    a = always_fires.finding("m", fix("f"), subject="s", location=Location(path="/p", line=3, section="profile x"))
    b = always_fires.finding("m2", fix("f"), subject="s", location=Location(path="/p", line=90, section="profile x"))
    c = always_fires.finding("m", fix("f"), subject="t", location=Location(path="/p", line=3, section="profile x"))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_empty_profile_variable_selects_the_empty_profile_like_botocore(tmp_path):
    """botocore takes AWS_DEFAULT_PROFILE="" as the profile "" (ProfileNotFound), not as unset."""
    import botocore.exceptions
    import botocore.session

    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n")
    env = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_DEFAULT_PROFILE": "",
           "AWS_PROFILE": "dev"}
    ctx = Context(RunSettings(), env=env)
    assert ctx.selected_names == ("",) and ctx.selection_source == "AWS_DEFAULT_PROFILE"
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, env, clear=True):
        session = botocore.session.Session()
        assert session.profile == ""
        with pytest.raises(botocore.exceptions.ProfileNotFound):
            session.get_scoped_config()


def test_static_secret_keys_in_the_files_are_registered_secrets(tmp_path):
    (tmp_path / "credentials").write_text("[dev]\naws_access_key_id = AKIAEXAMPLE\n"
                                          "aws_secret_access_key = wJalrSECRETcanary0123\n")
    ctx = Context(RunSettings(), env={"HOME": str(tmp_path),
                                      "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")})
    ctx.config  # noqa: B018 - loading registers them
    assert ctx.secrets.redact("key wJalrSECRETcanary0123 here") == "key **** here"
