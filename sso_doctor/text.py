"""Small text helpers shared by rules and reporters."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path


def closest(name: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The candidates most like `name`, best first ("did you mean"). Case-insensitive."""
    pool = list(dict.fromkeys(candidates))
    lowered = {c.lower(): c for c in pool}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=cutoff)
    # a candidate that contains the name (or vice versa) is a good guess even when short
    for c in pool:
        if len(hits) >= n:
            break
        if c.lower() not in hits and name and (name.lower() in c.lower() or c.lower() in name.lower()):
            hits.append(c.lower())
    return [lowered[h] for h in hits]


def name_list(names: Sequence[str], limit: int = 5, quote: bool = True, conjunction: str = "and") -> str:
    """'a', 'b' and 'c' — or the first `limit` and "N more". `conjunction="or"` for alternatives."""
    shown = [f'"{n}"' if quote else n for n in names[:limit]]
    rest = len(names) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" {conjunction} {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" {conjunction} " + shown[-1]


def suggestion(hits: Sequence[str]) -> str:
    """' Did you mean "a", "b" or "c"?' for suggestions already found, '' for none."""
    return f" Did you mean {name_list(list(hits), conjunction='or')}?" if hits else ""


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 error', '2 errors', '0 errors' ('1 info', '2 infos')."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    return suggestion(closest(name, candidates))


def shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def tilde(path: str | Path, home: str | None) -> str:
    """Shorten a path under HOME to ~/... for people."""
    p = str(path)
    if home and (p == home or p.startswith(home.rstrip("/") + "/")):
        return "~" + p[len(home.rstrip("/")):]
    return p
