"""Writing reports to a stdout that cannot carry every character.

A redirected stdout on Windows is often cp1252, a CI log may be ASCII, and a file name from the
token cache may hold bytes that are not UTF-8 at all (Python keeps them as lone surrogates). The
report must still come out whole: the marks sso-doctor draws (✓ ✗ ✎ ℹ →) fall back to ASCII
look-alikes, machine formats escape what the encoding lacks in their own syntax (JSON `\\uXXXX`,
XML `&#N;`) so they stay valid and lossless, and any other character becomes `?` (or `\\xNN` for a
byte that was never text).
"""

from __future__ import annotations

import codecs
import re
import sys
from typing import TextIO

HANDLER = "sso-doctor-ascii"

# What each non-ASCII character sso-doctor itself prints looks like in ASCII.
ASCII_MARKS = {
    "✓": "v",
    "✗": "x",
    "✎": "*edit*",
    "ℹ": "i",
    "→": "->",
    "—": "--",
    "…": "...",
    "·": "-",
    "µ": "u",
}


def _ascii_for(ch: str) -> str:
    mark = ASCII_MARKS.get(ch)
    if mark is not None:
        return mark
    if "\udc80" <= ch <= "\udcff":  # a byte that was not valid text (surrogateescape)
        return f"\\x{ord(ch) - 0xDC00:02x}"
    return "?"


def _handler(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    return "".join(_ascii_for(ch) for ch in err.object[err.start:err.end]), err.end


codecs.register_error(HANDLER, _handler)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:  # a surrogate pair, as JSON spells characters beyond the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _fits(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
        return True
    except (UnicodeEncodeError, LookupError):
        return False


# A `$ command` line (text) or annotation part (github, `%0A`-separated) that the encoding cannot
# carry is no longer right as printed: it becomes a step that needs an edit.
_COMMAND = re.compile(r"(^|\n|%0A)([ \t]*)\$ ([^\n]*?)(?=$|\n|%0A)")


def fit(text: str, encoding: str | None, fmt: str = "text") -> str:
    """`text` as it can be written in `encoding`: unchanged when it fits, else with each character the
    encoding lacks replaced the way `fmt` allows. JSON/SARIF/JUnit become pure ASCII (`\\uXXXX`,
    `&#N;`: valid and lossless in any ASCII-compatible encoding, UTF-8 included); for people, marks
    turn into ASCII look-alikes, other characters into `?`, and a `$ command` that lost a character
    is shown as a step that needs an edit."""
    encoding = encoding or "utf-8"
    if _fits(text, encoding):
        return text
    if fmt in ("json", "sarif"):  # non-ASCII only occurs inside JSON strings, where escapes are valid
        return "".join(ch if ch < "\x80" else _json_escape(ch) for ch in text)
    if fmt == "junit":
        return "".join(ch if ch < "\x80" else "?" if "\ud800" <= ch <= "\udfff" else f"&#{ord(ch)};" for ch in text)

    def demote(m: re.Match[str]) -> str:
        if _fits(m.group(3), encoding):
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}{ASCII_MARKS['✎']} {m.group(3)}"

    text = _COMMAND.sub(demote, text)
    if fmt == "markdown":
        text = _comment_out_broken_commands(text, encoding)
    return "".join(ch if _fits(ch, encoding) else _ascii_for(ch) for ch in text)


def _comment_out_broken_commands(text: str, encoding: str) -> str:
    """Markdown shows commands bare in ```sh blocks: one that lost characters becomes a comment, so a
    pasted block never runs it."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif fenced and not _fits(line, encoding):
            line = f"# needs an edit (? stands for what this output cannot show): {line}"
        out.append(line)
    return "\n".join(out)


def protect(stream: TextIO | None = None) -> None:
    """Never let a character the stream's encoding lacks abort the output (UnicodeEncodeError)."""
    stream = stream if stream is not None else sys.stdout
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:
        return
    try:
        reconfigure(errors=HANDLER)
    except (ValueError, OSError, AttributeError):  # a detached or closed stream: nothing to protect
        pass


def write(text: str, fmt: str = "text", stream: TextIO | None = None) -> None:
    """Write a whole report to stdout (or `stream`) in a form its encoding can carry."""
    stream = stream if stream is not None else sys.stdout
    stream.write(fit(text, getattr(stream, "encoding", None), fmt))
    stream.flush()
