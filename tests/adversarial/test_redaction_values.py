"""Secrets are masked in values, never in serialised output, and never by hunting short words.

`AWS_SECRET_ACCESS_KEY=test` (moto's and localstack's usual value) once turned `<testsuites>` into
`<****suites>`; a secret equal to a JSON key renamed the key. Here every format must stay well-formed
and keep its own syntax whatever the secret, and `Secrets.redact` must agree with a plain per-secret
replacement on generated secrets and texts (overlaps, prefixes, URL passwords) while scanning once.
"""

from __future__ import annotations

import json
import os
import xml.dom.minidom

import pytest
from conftest import windows_essentials
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sso_doctor.cli import app
from sso_doctor.redact import MASK, Secrets

FORMATS = ["text", "json", "sarif", "github", "junit", "markdown"]
# short values and words that are format syntax or JSON keys; "severity"/"findings" are 8 characters,
# so they are hunted in values, and must still never touch a key or a tag
SECRETS = ["test", "rule", "rule_id", "testsuite", "severity", "findings", "message", "error"]


def _env(home, secret: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k != "AWS_EC2_METADATA_DISABLED"}
    env.update({"HOME": str(home), **windows_essentials(home), "PATH": "/usr/bin:/bin", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z",
                "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE000000001", "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_SESSION_TOKEN": secret, "AWS_PROFILE": "test"})
    return env


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("secret", SECRETS)
def test_every_format_keeps_its_syntax_whatever_the_secret(tmp_path, secret, fmt):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[profile test]\nregion = us-east-1\n")
    result = CliRunner().invoke(app, ["check", "--offline", "--format", fmt, "-v"], env=_env(home, secret))
    assert result.exit_code == 1, result.output
    out = result.stdout
    if fmt == "junit":
        doc = xml.dom.minidom.parseString(out.encode())
        assert doc.documentElement.tagName == "testsuites"
    elif fmt in ("json", "sarif"):
        doc = json.loads(out)
        if fmt == "json":
            assert {"schema_version", "tool", "inputs", "summary", "rules", "findings"} <= set(doc)
            assert all("rule_id" in f and "severity" in f and "message" in f for f in doc["findings"])
            assert doc["inputs"]["profiles"] == ["test"]  # a value under 8 characters is not hunted
        else:
            assert doc["runs"][0]["results"]
    elif fmt == "github":
        assert all(line.startswith(("::error ", "::warning ", "::notice ", "sso-doctor: "))
                   for line in out.splitlines())
    else:
        assert "SSO301" in out
    if len(secret) < 8:
        assert MASK not in out.replace(f"{MASK}@", "")  # never hunted in free text


def test_a_long_secret_is_still_masked_in_values():
    s = Secrets()
    s.add("hunter2hunter2")
    s.add("short")  # under 8 characters: never hunted
    assert s.redact("pw=hunter2hunter2 and a short word") == f"pw={MASK} and a short word"


def test_a_url_password_of_any_length_is_masked_by_shape():
    s = Secrets()
    assert s.redact('Could not connect to the endpoint URL: "http://u:pw@127.0.0.1:9/"') == \
        f'Could not connect to the endpoint URL: "http://u:{MASK}@127.0.0.1:9/"'
    shown = s.add_url("https://jdoe:p@ss@d-1234567890.awsapps.com/start?token=abcdefgh", start_url=True)
    assert shown == f"https://jdoe:{MASK}@d-1234567890.awsapps.com/start?{MASK}"
    assert s.redact("at https://jdoe:p@ss@d-1234567890.awsapps.com/start?token=abcdefgh.") == f"at {shown}."


def _naive(text: str, secrets: list[str]) -> str:
    """Every occurrence of every secret masked (the union of their spans), the slow obvious way."""
    hidden = [False] * len(text)
    for sec in secrets:
        start = text.find(sec)
        while start >= 0:
            for i in range(start, start + len(sec)):
                hidden[i] = True
            start = text.find(sec, start + 1)
    return "".join("\0" if h else c for c, h in zip(text, hidden))


_ALPHABET = "ab-_/=+x9 \n\"@"  # no ":", so no text here is a URL with a password


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET, min_size=8, max_size=40), min_size=1, max_size=8),
       st.lists(st.text(alphabet=_ALPHABET, max_size=30), max_size=8), st.randoms(use_true_random=False))
def test_redact_finds_every_occurrence_like_a_plain_search(secrets, fillers, rnd):
    s = Secrets()
    for sec in secrets:
        s.add(sec)
    parts = fillers + [rnd.choice(secrets) for _ in range(len(fillers) + 1)]
    rnd.shuffle(parts)
    text = "".join(parts)
    out = s.redact(text)
    expected = _naive(text, [sec for sec in secrets if len(sec) >= 8])
    # nothing but the secrets' characters is removed, and no secret is left anywhere ('*' is not in the
    # alphabet, so every MASK in the output is one we put there; '@' and ':' do not make a URL here)
    assert out.replace(MASK, "") == expected.replace("\0", "")
    assert not any(sec in out for sec in secrets)


def test_one_scan_over_thousands_of_secrets():
    """5,000 token-sized secrets and a 1 MB text: every planted one masked, nothing else touched."""
    import random

    rnd = random.Random(7)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    secrets = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(8, 1200))) for _ in range(5000)]
    s = Secrets()
    for sec in secrets:
        s.add(sec)
    planted = rnd.sample(secrets, 300)
    words = [f'"file": "/home/u/.aws/sso/cache/{rnd.getrandbits(160):040x}.json",' for _ in range(12000)]
    for i, sec in enumerate(planted):
        words.insert(rnd.randrange(len(words)), f'"leak{i}": "{sec}",')
    text = "\n".join(words)
    out = s.redact(text)
    assert not any(sec in out for sec in planted)
    assert out.count(MASK) == len(planted)
    assert out == "\n".join(w.split(": ")[0] + f': "{MASK}",' if w.startswith('"leak') else w for w in words)
