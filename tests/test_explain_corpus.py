"""Score `sso-doctor explain` on the corpus of real error texts (tests/data/real_world/).

Every entry names the rules that explain it, decided from the catalog before running the tool. An entry
is a top-1 hit when explain recognises the text and ranks one of those rules first, a top-3 hit when one
of them is among its first three candidates. "Not recognised" (only nearest candidates) counts as a miss
for both. Entries whose rules are all not implemented yet (other tools, SSO8xx) are pending, not scored.
The figures are printed in the terminal summary of every run (see conftest.py).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from sso_doctor.rules import by_id

from sso_doctor import error_match

CORPUS = Path(__file__).parent / "data" / "real_world"
FILES = ("reports.toml", "source_messages.toml")
REQUIRED = {"id", "kind", "source", "text", "cause", "rules", "verbatim", "resolved"}
OPTIONAL = {"heldout", "note"}
TOP1_GOAL, TOP3_GOAL = 0.85, 0.95


def load() -> list[dict]:
    entries = []
    for name in FILES:
        for e in tomllib.loads((CORPUS / name).read_text(encoding="utf-8"))["entry"]:
            entries.append({**e, "file": name})
    return entries


ENTRIES = load()


def test_corpus_is_big_enough_and_well_formed():
    assert len(ENTRIES) >= 150
    assert sum(e["kind"] == "report" for e in ENTRIES) >= 90
    ids = [e["id"] for e in ENTRIES]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for e in ENTRIES:
        assert REQUIRED <= set(e) - {"file"} <= REQUIRED | OPTIONAL, (e["id"], set(e) ^ REQUIRED)
        assert e["kind"] in ("report", "source"), e["id"]
        assert e["text"].strip() and e["cause"].strip(), e["id"]
        assert e["rules"] and all(re.fullmatch(r"SSO\d{3}", r) for r in e["rules"]), e["id"]
        if e["kind"] == "report":
            assert re.fullmatch(r"[\w.-]+/[\w.-]+#\d+|[\w.-]+\.\w+/\S+", e["source"]), (e["id"], e["source"])


def test_corpus_holds_no_secrets_or_real_account_ids():
    examples = {"111122223333", "000000000000", "123456789012"}
    for e in ENTRIES:
        text = e["text"]
        assert not re.search(r"\b(AKIA|ASIA)(?!X{16})[A-Z0-9]{16}\b", text), e["id"]
        assert not re.search(r"\beyJ[\w-]{10,}\.[\w-]{10,}\.", text), e["id"]
        assert not re.search(r"(?i)(accessToken|refreshToken|clientSecret)\"?\s*[:=]\s*\"?[A-Za-z0-9]", text), e["id"]
        for number in re.findall(r"(?<!\w)\d{12}(?!\w)", text):
            assert number in examples, (e["id"], number)


def score(entries: list[dict]) -> dict:
    known = set(by_id())
    scored = top1 = top3 = 0
    pending, misses = [], []
    for e in entries:
        if not set(e["rules"]) & known:
            pending.append(e["id"])
            continue
        scored += 1
        result = error_match.explain(e["text"])
        ranked = result.rules if result.recognised else []
        hit1 = bool(ranked) and ranked[0] in e["rules"]
        hit3 = any(r in e["rules"] for r in ranked[:3])
        top1 += hit1
        top3 += hit3
        if not hit3:
            misses.append((e["id"], e["rules"], result.rules, result.recognised))
    return {"scored": scored, "top1": top1, "top3": top3, "pending": pending, "misses": misses}


def test_explain_scores_on_the_corpus(request):
    figures = {}
    lines = []
    for label, subset in (("reports", [e for e in ENTRIES if e["kind"] == "report"]),
                          ("reports held out (collected after the matcher)", [e for e in ENTRIES if e.get("heldout")]),
                          ("source messages", [e for e in ENTRIES if e["kind"] == "source"]),
                          ("all", ENTRIES)):
        s = score(subset)
        figures[label] = s
        lines.append(f"explain corpus, {label}: {s['scored']} scored, top-1 {s['top1'] / s['scored']:.1%}, "
                     f"top-3 {s['top3'] / s['scored']:.1%} ({len(s['pending'])} pending: rules not implemented)")
    total = figures["all"]
    lines.append("explain corpus misses (top-3): " + (", ".join(m[0] for m in total["misses"]) or "none"))
    request.config.summary_lines = [*getattr(request.config, "summary_lines", []), *lines]
    assert total["top3"] / total["scored"] >= TOP3_GOAL, total["misses"]
    assert total["top1"] / total["scored"] >= TOP1_GOAL


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["kind"] == "source"], ids=lambda e: e["id"])
def test_every_source_message_is_recognised(entry):
    """The patterns are written from these templates: each must be recognised with its rule in the top 3."""
    known = set(by_id())
    if not set(entry["rules"]) & known:
        pytest.skip("rules not implemented yet")
    result = error_match.explain(entry["text"])
    assert result.recognised
    assert set(result.rules[:3]) & set(entry["rules"]), (result.rules, entry["rules"])
