"""The anonymizer skips the known values a report does not contain, and otherwise replaces exactly what
replacing every known value in turn, longest first, would (the definition, kept here as `sequential`)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sso_doctor.anonymize import _ACCOUNT, _START_URL, Anonymizer

KEY = b"k" * 32


def sequential(anon: Anonymizer, known: dict[str, str], text: str) -> str:
    """The obvious definition: start URLs, then every known value longest first, one at a time."""
    text = _START_URL.sub(lambda m: anon.placeholder("start-url", m.group(0).rstrip(".,;:"))
                          + m.group(0)[len(m.group(0).rstrip(".,;:")):], text)
    for value in sorted(known, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w.-])" + re.escape(value) + r"(?![\w-])")
        text = pattern.sub(anon.placeholder(known[value], value), text)
    return _ACCOUNT.sub(lambda m: anon.placeholder("account", m.group(0)), text)


WORDS = st.text(alphabet="abc-.1", min_size=3, max_size=6)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(WORDS, min_size=1, max_size=6, unique=True),
       glue=st.lists(st.sampled_from([" ", "-", ".", "/", "x", '"', "\n", ""]), min_size=1, max_size=12),
       picks=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=12))
@example(values=["abc", "abc-1"], glue=[" "], picks=[1, 0])
@example(values=["a.bc", "bc1"], glue=["."], picks=[0, 1])
@example(values=["111", ".11"], glue=[""], picks=[0, 1])  # a replacement makes a boundary for the next
def test_replaces_what_value_by_value_replacement_would(values, glue, picks):
    anon = Anonymizer(KEY)
    for v in values:
        anon.add("host", v)
    known = {v: "host" for v in values}
    text = "".join(values[p % len(values)] + glue[i % len(glue)] for i, p in enumerate(picks))
    assert anon.apply(text) == sequential(anon, known, text)


def test_hundreds_of_accounts_in_one_report():
    anon = Anonymizer(KEY)
    ids = [f"{100000000000 + i * 7919:012d}" for i in range(600)]
    for i in ids:
        anon.add("account", i)
    text = "\n".join(f"profile p{n}: account {i}" for n, i in enumerate(ids))
    out = anon.apply(text)
    assert not any(i in out for i in ids)
    assert out.count("<account-") == 600
