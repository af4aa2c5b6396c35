"""Secret canaries: plant unique values where secrets live, then prove no output carries them.

Reusable by every area (tokens, proxy passwords, online runs):

    canaries = [new_canary("access"), new_canary("proxy-password")]
    ... plant them, run the tool, collect what it printed, logged and wrote ...
    assert_no_canaries(canaries, {"stdout": out, "stderr": err, "log": log_text})

A canary is found when the value itself, its JSON-escaped or percent-encoded form, or (for long
canaries) any 12-character piece of its random part appears: a truncated or partially masked token
is still a leak.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from urllib.parse import quote

FRAGMENT = 12
_PREFIX = "cnry"


def new_canary(label: str = "secret") -> str:
    """A unique, unmistakable value: `cnry-<label>-<32 hex digits>`."""
    return f"{_PREFIX}-{label}-{secrets.token_hex(16)}"


def _forms(canary: str, fragment: int) -> Iterator[str]:
    yield canary
    yield json.dumps(canary)[1:-1]
    yield quote(canary, safe="")
    random_part = canary.rsplit("-", 1)[-1] if canary.startswith(_PREFIX + "-") else canary
    if fragment and len(random_part) > fragment:
        for i in range(len(random_part) - fragment + 1):
            yield random_part[i:i + fragment]


def _text(value: str | bytes | Path) -> str:
    if isinstance(value, Path):
        value = value.read_bytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def find_canaries(canaries: Iterable[str], outputs: Mapping[str, str | bytes | Path],
                  fragment: int = FRAGMENT) -> list[str]:
    """Every (output name, canary) leak, as readable lines; empty when nothing leaked."""
    leaks = []
    texts = {name: _text(value) for name, value in outputs.items()}
    for canary in canaries:
        forms = list(dict.fromkeys(_forms(canary, fragment)))
        for name, text in texts.items():
            hit = next((f for f in forms if f in text), None)
            if hit is not None:
                at = text.index(hit)
                leaks.append(f"{name}: {canary!r} leaked as {hit!r} near {text[max(0, at - 60):at + 60]!r}")
    return leaks


def assert_no_canaries(canaries: Iterable[str], outputs: Mapping[str, str | bytes | Path],
                       fragment: int = FRAGMENT) -> None:
    """Fail with every leak listed when any canary appears in any output."""
    canaries = list(canaries)
    assert canaries, "no canaries given: this check would prove nothing"
    leaks = find_canaries(canaries, outputs, fragment)
    assert not leaks, "secret canaries leaked:\n" + "\n".join(leaks)
