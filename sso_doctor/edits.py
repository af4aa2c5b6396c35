"""Apply structured config edits (sso_doctor.fixes.Edit) to the text of an INI file, exactly.

`apply(text, edits)` changes only the lines the edits name and keeps every other line, comment,
blank line, line ending and the order of sections byte for byte: the base of a future apply mode.
`changes(text, edits)` gives the same change as line-range replacements (what SARIF's
`artifactChanges` carry), and `diff(...)`/`snippet(...)` render edits for people.

The file is read the way configparser reads it (botocore's reader): a header is a line whose stripped
text starts with `[` and has a `]` after it (the name is what lies between the first `[` and the last
`]`); an option line is `key = value` or `key: value` (the key lower-cased, as configparser's
optionxform does); lines indented deeper than their option line continue its value (botocore's nested
blocks); lines starting with `#` or `;` are comments. Sections are named by their exact header text,
which configparser (strict) keeps unique in every file botocore accepts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sso_doctor.fixes import Edit


class EditError(ValueError):
    """An edit that does not fit the text (missing section or key, a section that already exists)."""


@dataclass(frozen=True)
class Change:
    """Replace lines [start, end) (0-based, end exclusive; start == end inserts) with `lines`."""

    start: int
    end: int
    lines: tuple[str, ...]  # each with its line ending


@dataclass
class _Option:
    key: str
    start: int  # the option line
    end: int  # one past its last continuation line


@dataclass
class _Section:
    header: str
    start: int  # the header line
    end: int  # one past the section's last line (the next header, or EOF)
    options: list[_Option]

    def option(self, key: str) -> _Option | None:
        key = key.lower()
        return next((o for o in self.options if o.key == key), None)

    def body_end(self, lines: Sequence[str]) -> int:
        """One past the section's last option line (or its header): where a new key goes."""
        last = self.options[-1].end if self.options else self.start + 1
        # trailing blank lines of a value are not part of it (configparser strips them)
        while last > self.start + 1 and not lines[last - 1].strip():
            last -= 1
        return last


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _split(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _header_of(line: str) -> str | None:
    value = line.strip()
    if not value.startswith("["):
        return None
    end = value.rfind("]")
    if end < 2:
        return None
    return value[1:end]


def _index(lines: Sequence[str]) -> list[_Section]:
    """Sections, options and continuation lines, decided as configparser decides them."""
    sections: list[_Section] = []
    current: _Section | None = None
    option: _Option | None = None
    indent_level = 0
    for i, line in enumerate(lines):
        value = line.strip()
        if not value or value[0] in "#;":
            continue
        indent = len(line) - len(line.lstrip())
        if option is not None and indent > indent_level:
            option.end = i + 1
            continue
        indent_level = indent
        header = _header_of(line)
        if header is not None:
            if current is not None:
                current.end = i
            current = _Section(header, i, len(lines), [])
            sections.append(current)
            option = None
            continue
        if current is None:
            option = None
            continue
        eq, colon = value.find("="), value.find(":")
        delim = eq if colon < 0 or 0 <= eq < colon else colon
        if delim <= 0:
            option = None
            continue
        option = _Option(value[:delim].rstrip().lower(), i, i + 1)
        current.options.append(option)
    return sections


def _option_line(key: str, value: str, nl: str) -> str:
    return f"{key} = {value}{nl}" if value else f"{key} ={nl}"


def _set_line(original: str, key: str, value: str, nl: str) -> str:
    """`key = value`, keeping the original line's indentation, key spelling and delimiter spacing."""
    body = original.rstrip("\r\n")
    stripped = body.lstrip()
    indent = body[: len(body) - len(stripped)]
    eq, colon = stripped.find("="), stripped.find(":")
    delim = eq if colon < 0 or 0 <= eq < colon else colon
    if delim <= 0:
        return indent + _option_line(key, value, nl)
    head = stripped[: delim + 1]
    after = stripped[delim + 1:]
    space = after[: len(after) - len(after.lstrip())] if after.strip() else " "
    return f"{indent}{head}{space}{value}{nl}" if value else f"{indent}{head}{nl}"


def apply(text: str, edits: Iterable[Edit]) -> str:
    """The text with the edits applied in order. Raises EditError when an edit does not fit.

    The file is cut once into blocks (the lines before the first header, then one block per section
    from its header to the next one); each edit works on its section's block only, so thousands of
    edits (SSO110 on a config with thousands of legacy profiles) cost one pass, not one per edit.
    """
    blocks, _ = _edited_blocks(text, edits)
    return "".join(line for block in blocks for line in block)


def _edited_blocks(text: str, edits: Iterable[Edit]) -> tuple[list[list[str]], list[tuple[int, list[str]]]]:
    """(the blocks after the edits, [(first line, lines) of each original block]). Blocks keep their
    identity and order; sections added by the edits are appended after the original ones."""
    lines = _split(text)
    nl = _newline(text)
    sections = _index(lines)
    blocks: list[list[str]] = [lines[: sections[0].start] if sections else list(lines)]
    by_header: dict[str, list[str]] = {}
    for sec in sections:
        block = lines[sec.start: sec.end]
        blocks.append(block)
        by_header[sec.header] = block
    original, at = [], 0
    for block in blocks:
        original.append((at, list(block)))
        at += len(block)
    for e in edits:
        _apply_one(blocks, by_header, e, nl)
    return blocks, original


def _apply_one(blocks: list[list[str]], by_header: dict[str, list[str]], e: Edit, nl: str) -> None:
    if e.action == "add_section":
        if e.section in by_header:
            raise EditError(f"[{e.section}] already exists")
        last = next((b for b in reversed(blocks) if b), None)
        if last is not None:
            if not last[-1].endswith(("\n", "\r")):
                last[-1] += nl
            if last[-1].strip():
                last.append(nl)  # a blank line between the last section and the new one
        block = [f"[{e.section}]{nl}"]
        blocks.append(block)
        by_header[e.section] = block
        return
    b = by_header.get(e.section)
    if b is None:
        raise EditError(f"no section [{e.section}]")
    (s,) = _index(b)  # the block's own section: its header is its first line
    if e.action == "rename_section":
        if not e.new or e.new in by_header:
            raise EditError(f"cannot rename [{e.section}] to [{e.new}]")
        line = b[s.start]
        b[s.start] = line[: line.index("[") + 1] + e.new + line[line.rindex("]"):]
        del by_header[e.section]
        by_header[e.new] = b
        return
    if e.action == "remove_section":
        keep = len(b)
        if b is not blocks[-1]:
            # comment lines just above the next header belong to it, not to the section removed
            while keep > 1 and b[keep - 1].lstrip().startswith(("#", ";")):
                keep -= 1
        b[:] = b[keep:]
        del by_header[e.section]
        return
    if not e.key:
        raise EditError(f"{e.action} needs a key")
    opt = s.option(e.key)
    if e.action == "delete":
        if opt is None:
            raise EditError(f"no {e.key} in [{e.section}]")
        del b[opt.start: opt.end]
        return
    if e.action == "set":
        value = e.new or ""
        if opt is None:
            at = s.body_end(b)
            if at > 0 and not b[at - 1].endswith(("\n", "\r")):
                b[at - 1] += nl
            b.insert(at, _option_line(e.key, value, nl))
            return
        new_line = _set_line(b[opt.start], e.key, value, nl if b[opt.start].endswith(("\n", "\r")) else "")
        # a nested block (continuation lines) is replaced whole by the one-line value
        end = opt.end
        while end > opt.start + 1 and not b[end - 1].strip():
            end -= 1
        b[opt.start: end] = [new_line]
        return
    raise EditError(f"unknown edit action {e.action!r}")


def changes(text: str, edits: Sequence[Edit]) -> list[Change]:
    """The edits as line-range replacements of the ORIGINAL text (for SARIF `replacements`), in file
    order and never overlapping, whatever order the edits came in.

    Each section's block is compared with what the edits made of it (a line diff of one section is
    cheap); sections the edits added are compared as part of the last original block, so every
    insertion at the end of the file is one change.
    """
    blocks, original = _edited_blocks(text, edits)
    n = len(original)
    after = blocks[: n - 1] + [[line for block in blocks[n - 1:] for line in block]]
    out = []
    for (start, before), now in zip(original, after):
        if before == now:
            continue
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, now, autojunk=False).get_opcodes():
            if tag != "equal":
                out.append(Change(start + i1, start + i2, tuple(now[j1:j2])))
    return out


@dataclass(frozen=True)
class Replacement:
    """A change as SARIF wants it: a region of the original text (1-based lines and columns, columns
    counted in Unicode code points, the end exclusive) and the text that replaces it."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str


def replacements(text: str, edits: Sequence[Edit]) -> list[Replacement]:
    """The edits as regions of the original text and what replaces each (SARIF `replacements`).

    A region that would end past the last line's line break (a change at the end of the file) is moved
    one character back, so every position names a character of an existing line.
    """
    lines = _split(text)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    out = []
    for ch in changes(text, edits):
        o1, o2, new = offsets[ch.start], offsets[ch.end], "".join(ch.lines)
        if o2 == len(text) and o1 > 0 and (text[o1 - 1] + new).endswith(text[-1]):
            new = (text[o1 - 1] + new)[: -1]
            o1, o2 = o1 - 1, o2 - 1
        out.append(Replacement(*_position(lines, offsets, o1), *_position(lines, offsets, o2), new))
    return out


def _position(lines: Sequence[str], offsets: Sequence[int], offset: int) -> tuple[int, int]:
    """(line, column), 1-based, of a character offset."""
    import bisect

    i = bisect.bisect_right(offsets, offset) - 1
    if i >= len(lines):  # the very end of a file without lines, or after its last line break
        return len(lines) + 1, 1
    return i + 1, offset - offsets[i] + 1


# Keys whose values a diff never shows: credentials, and a credential_process command line (it may carry
# a password or a token as an argument).
SECRET_KEYS = frozenset({"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
                         "credential_process"})


_URL_SECRETS = re.compile(r"(://[^/\s:@]*:)[^@\s/]*@|(\?)[^\s#]+")


def _masked(line: str) -> str:
    """An INI line for display: the value of a secret key replaced by ****, and in any URL its password
    (`https://user:****@host`) and query string (`?****`): the diff quotes the file, past the report's
    redaction."""
    line = _URL_SECRETS.sub(lambda m: f"{m.group(1)}****@" if m.group(1) else "?****", line)
    stripped = line.strip()
    eq, colon = stripped.find("="), stripped.find(":")
    delim = eq if colon < 0 or 0 <= eq < colon else colon
    if delim > 0 and stripped[:delim].strip().lower() in SECRET_KEYS and stripped[delim + 1:].strip():
        at = line.index(stripped[delim]) if stripped[delim] in line else len(line)
        return line[: at + 1] + " ****" + ("\n" if line.endswith("\n") else "")
    return line


def diff(text: str, edits: Sequence[Edit], name: str) -> str:
    """A unified diff of the file before and after the edits (for `-v`), secret values masked."""
    before = [_masked(x) for x in _split(text)]
    after = [_masked(x) for x in _split(apply(text, edits))]
    return "".join(
        line if line.endswith("\n") else line + "\n"
        for line in difflib.unified_diff(before, after, fromfile=name, tofile=f"{name} (fixed)", n=1)
    )


def snippet(edits: Sequence[Edit], max_sections: int | None = None) -> list[str]:
    """The edits of one file as INI lines a person can read and copy: each section once, with its new
    keys; deletions, renames and guesses as comment lines (an INI comment line is inert). With
    `max_sections`, the edits of the first few sections only, and a line saying how many more."""
    out: list[str] = []
    current: str | None = None
    sections = list(dict.fromkeys(e.section for e in edits))
    if max_sections is not None and len(sections) > max_sections + 1:
        shown = set(sections[:max_sections])
        rest = len(sections) - max_sections
        return snippet([e for e in edits if e.section in shown]) + [
            f"# ... and the same in {rest} more sections (all of them with --format json or -v)"]
    for e in edits:
        if e.action == "rename_section":
            out += [f"# rename [{e.section}] to:", f"[{e.new}]"]
            current = e.new
            continue
        if e.action == "remove_section":
            out += [f"# delete the whole [{e.section}] section"]
            current = None
            continue
        if e.action == "add_section":
            out += [f"[{e.section}]"]
            current = e.section
            continue
        if current != e.section:
            out.append(f"[{e.section}]")
            current = e.section
        if e.action == "delete":
            shown = e.old is not None and (e.key or "").lower() not in SECRET_KEYS
            out.append(f"# delete: {e.key} = {e.old}" if shown else f"# delete the {e.key} line")
        else:
            if not e.safe:
                out.append("# check this value: a guess or a placeholder")
            out.append(f"{e.key} = {e.new}" if e.new else f"{e.key} =")
    return out


def by_path(edits: Iterable[Edit]) -> dict[str, list[Edit]]:
    """Edits grouped by file, files in first-seen order, edits in their order."""
    out: dict[str, list[Edit]] = {}
    for e in edits:
        out.setdefault(e.path, []).append(e)
    return out
