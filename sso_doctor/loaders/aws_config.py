"""Load the AWS config and credentials files exactly as botocore does, and remember where each value is.

botocore reads the files with `configparser.RawConfigParser` (`raw_config_parse`), turns indented
values into nested dicts (`_parse_nested`) and maps section names to profiles, sso-sessions and
services (`build_profile_map`). We read the same decoded text the same way and keep the line each
section, key and value line came from:

- `_read_fast` replays configparser's reader decision for decision, noting lines as it goes, for
  every file configparser accepts (a config with thousands of profiles loads in tens of ms);
- any file it declines (anything configparser would refuse, undecodable bytes) goes to configparser
  itself, wrapped to count the lines it consumes, so a refusal, its cause and its line are
  configparser's own; nesting is botocore's own `_parse_nested`.

tests/test_differential.py holds all of it to botocore on real and generated files.
"""

from __future__ import annotations

import ast
import errno
import gc
import io
import os
import re
import shlex
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import configparser

    from sso_doctor.platform import Platform

# Refuse to read more than this. botocore would try; we say so instead of eating the memory. A config
# with 2,500 SSO profiles is ~0.3 MiB; checking costs ~0.35 s of CPU and ~40 MiB of memory per MiB of
# profiles (up to ~0.6 s and ~100 MiB per MiB for 300,000 empty sections, the worst shape measured).
MAX_CONFIG_BYTES = 4 * 1024 * 1024


class Value(NamedTuple):
    """One `key = value` of a file as botocore reads it, and where it is written.

    The reader creates one per key line and every view shares it: a section's entries, the merged
    profile (config keys overridden by credentials keys), the sso-session values botocore copies onto
    a profile. An immutable NamedTuple rather than the house's frozen dataclass because a config with
    2,500 profiles makes 15,000 of them per run, and a frozen dataclass's `__init__` (one
    `object.__setattr__` per field) costs four times as much.
    """

    value: str | dict[str, str]
    path: Path
    line: int | None
    section: str  # the header of the section it is written in (for DEFAULT keys: the inheriting one)
    key: str


class Section(NamedTuple):
    """One `[header]` of a file, with its keys as botocore reads them (DEFAULT keys included)."""

    header: str
    line: int | None
    entries: Mapping[str, Value]

    @property
    def kind(self) -> str:
        """profile, sso-session, services, default or other — botocore's prefix test."""
        return _section_kind(self.header)

    @property
    def mapped_name(self) -> str | None:
        """The name botocore's build_profile_map gives this section, or None if it drops it."""
        return _mapped_name(self.header, _section_kind(self.header))


def _section_kind(header: str) -> str:
    if header.startswith("profile"):
        return "profile"
    if header.startswith("sso-session"):
        return "sso-session"
    if header.startswith("services"):
        return "services"
    if header == "default":
        return "default"
    return "other"


def _mapped_name(header: str, kind: str) -> str | None:
    """botocore's _parse_section: exactly two shlex tokens, the second is the name."""
    if kind == "default":
        return "default"
    if kind == "other":
        return None
    plain = _TWO_PLAIN_WORDS.fullmatch(header)
    if plain is not None:  # `profile dev`: what shlex would split in two, decided by one regex
        return plain.group(1)
    try:
        parts = _shlex_split(header)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


# shlex.split is a pure-Python lexer (~100 µs a call): too slow for thousands of sections. Without
# quotes or backslashes it only splits at its whitespace (space, tab, CR, LF; comments are off).
_SHLEX_SPECIAL = re.compile(r"['\"\\]")
_SHLEX_WHITESPACE = re.compile(r"[ \t\r\n]+")
# Two words of neither shlex whitespace nor quotes/backslashes: shlex.split gives exactly these two.
_TWO_PLAIN_WORDS = re.compile(r"[ \t\r\n]*[^ \t\r\n'\"\\]+[ \t\r\n]+([^ \t\r\n'\"\\]+)[ \t\r\n]*")


def _shlex_split(text: str) -> list[str]:
    """shlex.split(text), with a fast path for the common case."""
    if _SHLEX_SPECIAL.search(text) is None:
        return [part for part in _SHLEX_WHITESPACE.split(text) if part]
    return shlex.split(text)


class ParseProblem(NamedTuple):
    """Why configparser/botocore refuses a file, at which line. `refused`: it is sso-doctor that did not
    read the file (too large), not botocore that cannot parse it."""

    cause: str
    line: int | None
    refused: bool = False


@dataclass(frozen=True)
class ParsedFile:
    """One INI file as botocore will see it.

    state: ok, missing, unreadable (exists but can't be read: botocore silently treats it as absent
    or empty), unparseable (botocore raises ConfigParseError).
    """

    role: str  # "config" or "credentials"
    path: Path
    env_var: str | None  # AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE when that set the path
    state: str
    sections: tuple[Section, ...] = ()
    problem: ParseProblem | None = None
    unreadable_reason: str | None = None
    header_lines: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    @property
    def exists(self) -> bool:
        return self.state != "missing"

    def raw(self) -> dict[str, dict[str, Any]]:
        """The dict botocore's raw_config_parse returns for this file ({} unless state is ok)."""
        return {s.header: {k: e.value for k, e in s.entries.items()} for s in self.sections}

    def section(self, header: str) -> Section | None:
        for s in self.sections:
            if s.header == header:
                return s
        return None


@dataclass(frozen=True)
class Profile:
    """A profile after botocore's merge: config file keys, overridden per key by the credentials file."""

    name: str
    values: Mapping[str, Value]
    config_section: Section | None
    credentials_section: Section | None

    def get(self, key: str) -> str | None:
        v = self.values.get(key)
        if v is None or type(v.value) is not str:
            return None
        return v.value

    def has(self, key: str) -> bool:
        return key in self.values

    # Rules ask these of every profile many times over (a dozen rules x 2,500 profiles): each is
    # computed once per profile. The facts are frozen, so the answers cannot go stale.

    @cached_property
    def sso_session(self) -> str | None:
        return self.get("sso_session")

    @cached_property
    def uses_sso_credentials(self) -> bool:
        """botocore's SSO credential provider applies only when one of these two keys is set."""
        values = self.values
        return "sso_account_id" in values or "sso_role_name" in values

    @cached_property
    def has_sso_keys(self) -> bool:
        return not self.values.keys().isdisjoint(SSO_PROFILE_KEYS)


class SsoSession(NamedTuple):
    name: str
    section: Section
    path: Path

    @property
    def values(self) -> Mapping[str, Value]:
        return self.section.entries

    def get(self, key: str) -> str | None:
        e = self.section.entries.get(key)
        return e.value if e is not None and isinstance(e.value, str) else None


SSO_PROFILE_KEYS = ("sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name")


@dataclass(frozen=True)
class AwsConfig:
    """Everything botocore's Session.full_config sees, with locations."""

    config: ParsedFile
    credentials: ParsedFile
    profiles: Mapping[str, Profile]
    sso_sessions: Mapping[str, SsoSession]
    services: Mapping[str, Section]

    def profile_map(self) -> dict[str, Any]:
        """botocore's full_config shape: {'profiles': ..., 'sso_sessions': ..., 'services': ...}."""
        return {
            "profiles": {n: {k: v.value for k, v in p.values.items()} for n, p in self.profiles.items()},
            "sso_sessions": {n: {k: e.value for k, e in s.values.items()} for n, s in self.sso_sessions.items()},
            "services": {n: {k: e.value for k, e in s.entries.items()} for n, s in self.services.items()},
        }

    @property
    def sso_profiles(self) -> list[Profile]:
        """Every profile with an SSO key, in file order (computed once; a fresh list each call)."""
        found = self.__dict__.get("_sso_profiles")
        if found is None:
            found = self.__dict__["_sso_profiles"] = tuple(p for p in self.profiles.values() if p.has_sso_keys)
        return list(found)


# --- paths -------------------------------------------------------------------------------------


def _platform(env: Mapping[str, str], platform: Platform | None) -> Platform:
    from sso_doctor.platform import for_run

    return platform if platform is not None else for_run(env)


def config_path(env: Mapping[str, str], home: str | None = None, platform: Platform | None = None
                ) -> tuple[Path, str | None]:
    """The config file botocore reads, and the variable that chose it (None for the default).

    botocore's own resolution (expandvars then expanduser of AWS_CONFIG_FILE, default ~/.aws/config)
    with the real ntpath/posixpath of the run's OS: sso_doctor.platform. `home` is kept for callers
    of the old signature; `~` is what the OS's expanduser makes of the env, as for botocore."""
    plat = _platform(env, platform)
    path, var = plat.config_file()
    return plat.host_path(path), var


def credentials_path(env: Mapping[str, str], home: str | None = None, platform: Platform | None = None
                     ) -> tuple[Path, str | None]:
    """The credentials file botocore reads, and the variable that chose it (None for the default)."""
    plat = _platform(env, platform)
    path, var = plat.credentials_file()
    return plat.host_path(path), var


def _names_no_file(env: Mapping[str, str], var: str) -> bool:
    """`export AWS_CONFIG_FILE=` (set but empty): botocore takes the empty string as the path, finds no
    file there and reads no file at all; it does NOT fall back to ~/.aws/config."""
    return var in env and not env[var]


# --- parsing -------------------------------------------------------------------------------------


class _LineCounter:
    """Iterates a text stream for configparser while remembering which line it has reached."""

    def __init__(self, stream: Iterator[str]):
        self._stream = stream
        self.lineno = 0

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        line = next(self._stream)
        self.lineno += 1
        return line


class _Pieces(list):
    """configparser's list of a value's lines (`[first, continuation, ...]`), with each one's line."""

    def __init__(self, items: list[str], counter: _LineCounter):
        super().__init__(items)
        self._counter = counter
        self.lines = [counter.lineno] * len(items)

    def append(self, item: str) -> None:
        super().append(item)
        self.lines.append(self._counter.lineno)


class _Tracker:
    """What the tracking dicts learn while configparser reads: where keys and value lines come from."""

    __slots__ = ("counter", "key_lines", "nested_pieces")

    def __init__(self, counter: _LineCounter) -> None:
        self.counter = counter
        self.key_lines: dict[int, dict[str, int]] = {}  # id(dict) -> key -> line
        # id(dict) -> key -> [(line, text)] for values whose first line is empty (botocore's nested values)
        self.nested_pieces: dict[int, dict[str, list[tuple[int, str]]]] = {}


def _tracking_dict(tracker: _Tracker) -> type[dict]:
    """A dict type for configparser that notes the line at which each new key is first stored.

    configparser stores a new section with `_sections[name] = self._dict()` and a new option with
    `section[option] = [value]` while reading the line that declares it; continuation lines are
    appended to that list (we note their lines too), and at the end `_join_multiline_values` rewrites
    every option with the joined string.
    """
    counter = tracker.counter

    class TrackingDict(dict):
        def __setitem__(self, key: str, value: Any) -> None:
            if key not in self:
                tracker.key_lines.setdefault(id(self), {})[key] = counter.lineno
                if type(value) is list:
                    value = _Pieces(value, counter)
            else:
                old = dict.get(self, key)
                if isinstance(old, _Pieces) and len(old) > 1 and old[0] == "":
                    tracker.nested_pieces.setdefault(id(self), {})[key] = list(zip(old.lines, old))
            super().__setitem__(key, value)

    return TrackingDict


def _decoded_line_of(raw: bytes, offset: int, encoding: str) -> int:
    """The line (as text-mode reading counts them: \\n, \\r\\n and \\r all end a line) holding byte `offset`."""
    prefix = raw[:offset].decode(encoding, errors="replace")
    return prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n") + 1


def _first_decode_error(raw: bytes, encoding: str) -> UnicodeDecodeError | None:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as e:
        return e
    except LookupError:
        return None
    return None


def _error_line(exc: BaseException) -> int | None:
    """The line configparser itself reports: the first of a ParsingError's lines, else exc.lineno."""
    import configparser  # the slow path only: files the fast reader declines

    if isinstance(exc, configparser.ParsingError):
        errors = getattr(exc, "errors", None)
        if errors:
            return errors[0][0]
    lineno = getattr(exc, "lineno", None)
    return lineno if isinstance(lineno, int) else None


def _first_line_of(text: str, pattern: str) -> int | None:
    for i, line in enumerate(io.StringIO(text, newline=None), start=1):
        if pattern in line:
            return i
    return None


def _header_lines(text: str) -> dict[str, tuple[int, ...]]:
    """Lines of every section header, duplicates included (configparser keeps only the first)."""
    import configparser  # the slow path only: files the fast reader declines

    found: dict[str, list[int]] = {}
    for i, line in enumerate(io.StringIO(text, newline=None), start=1):
        stripped = line.strip()
        if stripped.startswith(("#", ";")) or line[:1].isspace():
            continue
        m = configparser.RawConfigParser.SECTCRE.match(stripped)
        if m:
            found.setdefault(m.group("header"), []).append(i)
    return {k: tuple(v) for k, v in found.items()}


def parse_file(role: str, path: Path, env_var: str | None) -> ParsedFile:
    """Parse one config/credentials file the way botocore's raw_config_parse does."""
    # botocore: `if not os.path.isfile(path): raise ConfigNotFound` — a missing file, a directory, a
    # dangling link and a symlink loop all look "missing" to it. We tell them apart for the user.
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return ParsedFile(role, path, env_var, "unreadable", unreadable_reason="it is a dangling symbolic link")
        return ParsedFile(role, path, env_var, "missing")
    except OSError as e:
        return ParsedFile(role, path, env_var, "unreadable", unreadable_reason=_os_reason(e))
    if stat.S_ISDIR(st.st_mode):
        return ParsedFile(role, path, env_var, "unreadable", unreadable_reason="it is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        return ParsedFile(role, path, env_var, "unreadable", unreadable_reason="it is not a regular file")
    if st.st_size > MAX_CONFIG_BYTES:
        early = _problem_in_head(role, path, env_var)
        if early is not None and early.problem is not None:  # botocore fails there too: its real cause
            size = f"{st.st_size / (1024 * 1024):.0f} MiB"
            return replace(early, problem=early.problem._replace(
                cause=f"{early.problem.cause} (the file is {size}; sso-doctor read only its beginning)"))
        return ParsedFile(
            role, path, env_var, "unparseable",
            problem=ParseProblem(f"it is {st.st_size / (1024 * 1024):.0f} MiB, over the {MAX_CONFIG_BYTES // (1024 * 1024)} "
                                 "MiB sso-doctor reads; an AWS config file is a few KiB", None, refused=True),
        )
    try:
        raw = path.read_bytes()
    except OSError as e:
        return ParsedFile(role, path, env_var, "unreadable", unreadable_reason=_os_reason(e))
    return parse_bytes(role, path, env_var, raw)


def _problem_in_head(role: str, path: Path, env_var: str | None) -> ParsedFile | None:
    """For a file too large to read, a problem botocore meets in its first lines (it reads in order, so
    it fails there too): configparser's verdict on the first 64 KiB, or a decoding error anywhere in
    the first MAX_CONFIG_BYTES (decoding is cheap; parsing is only repeated when it fails). None when
    the head is fine: the file is then refused unread."""
    try:
        with path.open("rb") as fh:
            head = fh.read(MAX_CONFIG_BYTES)
    except OSError:
        return None
    for size in (_HEAD_PARSE_BYTES, MAX_CONFIG_BYTES):
        part = head[:size]
        cut = part.rfind(b"\n")
        part = part[: cut + 1] if cut >= 0 else part
        if size == MAX_CONFIG_BYTES:
            try:
                part.decode(io.TextIOWrapper(io.BytesIO(b""), encoding=None).encoding)
                return None
            except (UnicodeDecodeError, LookupError):
                pass
        parsed = parse_bytes(role, path, env_var, part)
        if parsed.state == "unparseable" and parsed.problem is not None:
            return parsed
    return None


_HEAD_PARSE_BYTES = 64 * 1024


def _os_reason(e: OSError) -> str:
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ELOOP:
        return "it is a symbolic link loop"
    if e.errno == errno.EISDIR:
        return "it is a directory, not a file"
    if e.errno == errno.ENOTDIR:
        return "a component of its path is not a directory"
    return e.strerror or type(e).__name__


class _NotPlain(Exception):
    """The fast reader met a line configparser would refuse: configparser itself must judge the file."""


class _FastSection:
    """One section as _read_fast collects it: a Value per option as soon as its line is read, plus
    configparser's list of stripped value lines for the few options that continuation lines extend."""

    __slots__ = ("continuation_lines", "entries", "pieces")

    def __init__(self) -> None:
        self.entries: dict[str, Value] = {}
        self.pieces: dict[str, list[str]] = {}
        self.continuation_lines: dict[str, list[int]] = {}

    def located_pieces(self, option: str) -> list[tuple[int, str]]:
        lines = [self.entries[option].line, *self.continuation_lines.get(option, [])]
        return list(zip(lines, self.pieces.get(option, [self.entries[option].value])))

    def joined(self) -> dict[str, Value | list[tuple[int, str]]]:
        """The options continuation lines extended, as configparser joins them and botocore nests
        them: a Value, or the located lines when botocore's _parse_nested would raise."""
        out: dict[str, Value | list[tuple[int, str]]] = {}
        for option, pieces in self.pieces.items():
            value: Any = "\n".join(pieces).rstrip()
            if value.startswith("\n"):
                try:
                    value = _parse_nested(value)
                except ValueError:
                    out[option] = self.located_pieces(option)
                    continue
            out[option] = self.entries[option]._replace(value=value)
        return out


def _read_fast(text: str, path: Path) -> tuple[dict[str, _FastSection], _FastSection, dict[str, int],
                                               dict[str, tuple[int, ...]]]:
    """configparser.RawConfigParser._read with botocore's (default) settings, for files it accepts.

    The same decisions as CPython's `_read`, statement for statement (comment prefixes '#' and ';' on
    the stripped line, no inline comments, '=' or ':' as delimiter, strict, empty lines kept inside
    values, continuation when indented deeper than the option line, `[DEFAULT]` special), but it raises
    _NotPlain where configparser would raise or collect an error, and it notes the line of every header,
    key and value line as it goes. Several times faster than configparser plus our tracking, which is
    what a config with thousands of profiles needs. tests/test_differential.py holds it to
    configparser on thousands of files, and to our configparser path on every file both accept.

    Returns (sections, DEFAULT, section header lines, every header's lines). Every value is located in
    `path` and its section (DEFAULT's in "DEFAULT": the caller relocates them into the inheriting ones).
    """
    sections: dict[str, _FastSection] = {}
    defaults = _FastSection()
    section_lines: dict[str, int] = {}
    header_lines: dict[str, tuple[int, ...]] = {}  # a [DEFAULT] may appear more than once
    cursect: _FastSection | None = None
    entries: dict[str, Value] = {}  # cursect's
    sectname = ""
    optname: str | None = None  # the current option, while continuation lines may follow
    indent_level = 0
    # configparser appends '' to the current option's value for each blank line, and the final join
    # rstrip()s them away unless a continuation line follows: keep their lines aside until one does
    # (most options are followed by blank lines only: the one before the next section).
    blanks: list[int] = []
    # A line at column 0 is never a continuation line, so whether it is a `key = value` line, and
    # its key and value, depend on the line alone. Configs repeat such lines from section to section
    # (`region = us-east-1`, `output = json`): each distinct one is split once, and every Value made
    # from it shares its key and value strings (fewer allocations, and a smaller heap to grow).
    known: dict[str, tuple[str, str]] = {}
    # Value(...) runs NamedTuple's Python-level __new__; this makes the same tuple without that frame.
    new_value = tuple.__new__
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the text after the last newline is not a line
    for lineno, line in enumerate(lines, start=1):
        pair = known.get(line)
        if pair is not None:  # (a section is open: `known` only learns lines read inside one)
            optname, value = pair
            if blanks:
                blanks.clear()
            indent_level = 0
            if optname in entries:
                raise _NotPlain("DuplicateOptionError")
            entries[optname] = new_value(Value, (value, path, lineno, sectname, optname))
            continue
        value = line.strip()
        if not value:
            if optname is not None:  # a blank line inside a value (not a comment)
                blanks.append(lineno)
            continue
        first = value[0]
        if first in "#;":
            continue
        indent = 0 if line[0] == first else len(line) - len(line.lstrip())
        if optname is not None and indent > indent_level:
            for blank in blanks:
                _continue_value(cursect, optname, "", blank)  # type: ignore[arg-type]
            blanks.clear()
            _continue_value(cursect, optname, value, lineno)  # type: ignore[arg-type]
            continue
        if blanks:
            blanks.clear()
        indent_level = indent
        if first == "[":
            end = value.rfind("]")
            if end >= 2:
                sectname = value[1:end]
                if sectname in sections:
                    raise _NotPlain("DuplicateSectionError")
                if sectname == "DEFAULT":
                    cursect = defaults
                else:
                    cursect = sections[sectname] = _FastSection()
                    section_lines[sectname] = lineno
                entries = cursect.entries
                header_lines[sectname] = header_lines.get(sectname, ()) + (lineno,)
                optname = None
                continue
        if cursect is None:
            raise _NotPlain("MissingSectionHeaderError")
        eq, colon = value.find("="), value.find(":")
        delim = eq if colon < 0 or 0 <= eq < colon else colon
        if delim < 0:
            raise _NotPlain("ParsingError")
        optname = value[:delim].rstrip().lower()
        if not optname:
            raise _NotPlain("ParsingError")
        if optname in entries:  # configparser's (section name, option) set: one _FastSection per name
            raise _NotPlain("DuplicateOptionError")
        value = value[delim + 1:].strip()
        entries[optname] = new_value(Value, (value, path, lineno, sectname, optname))
        if not indent:
            known[line] = (optname, value)
    return sections, defaults, section_lines, header_lines


def _continue_value(section: _FastSection, option: str, text: str, lineno: int) -> None:
    pieces = section.pieces.get(option)
    if pieces is None:
        pieces = section.pieces[option] = [section.entries[option].value]  # type: ignore[list-item]
    pieces.append(text)
    section.continuation_lines.setdefault(option, []).append(lineno)


def _parse_fast(role: str, path: Path, env_var: str | None, raw: bytes, encoding: str) -> ParsedFile | None:
    """The file through _read_fast and botocore's nesting, or None when configparser must judge it."""
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if "\r" in text:  # text mode's universal newlines
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        sections, defaults, section_lines, header_lines = _read_fast(text, path)
    except _NotPlain:
        return None
    default_joined = defaults.joined() if defaults.pieces else {}
    out = []
    for header, own in sections.items():
        entries = own.entries
        # botocore walks cp.options(): the section's own keys, then DEFAULT's it does not override,
        # and raises at the first value that fails to nest. (Most sections have no continued values.)
        if own.pieces or default_joined:
            for option, joined in [*own.joined().items(), *default_joined.items()]:
                if joined is default_joined.get(option) and option in entries:
                    continue
                if isinstance(joined, list):
                    problem = _nested_problem(option, header, joined)
                    return ParsedFile(role, path, env_var, "unparseable", problem=problem)
                if option in entries:
                    entries[option] = joined
        if defaults.entries:
            inherited = {k: default_joined.get(k, e)._replace(section=header)  # type: ignore[union-attr]
                         for k, e in defaults.entries.items() if k not in entries}
            entries = {**entries, **inherited}
        out.append(Section(header, section_lines[header], entries))
    return ParsedFile(role, path, env_var, "ok", sections=tuple(out), header_lines=header_lines)


def _parse_nested(value: str) -> dict[str, str]:
    """botocore's own `_parse_nested` (imported on first use: most configs have no nested values, and
    the offline path should not pay for importing botocore when it does not need it)."""
    from botocore import configloader

    return configloader._parse_nested(value)  # noqa: SLF001


def _nested_problem(option: str, header: str, pieces: list[tuple[int, str]]) -> ParseProblem:
    bad_line, bad_text = _nested_error(pieces)
    return ParseProblem(
        f"the indented lines under '{option}' in [{header}] must all be 'key = value' pairs, but this one "
        f"has no '=': {bad_text}", bad_line,
    )


def parse_bytes(role: str, path: Path, env_var: str | None, raw: bytes) -> ParsedFile:
    """Parse file content as botocore would: decode with the locale encoding, RawConfigParser, nesting."""
    encoding = io.TextIOWrapper(io.BytesIO(b""), encoding=None).encoding  # what open(path) would use
    return _parse_fast(role, path, env_var, raw, encoding) or _parse_with_configparser(role, path, env_var, raw)


def _parse_with_configparser(role: str, path: Path, env_var: str | None, raw: bytes) -> ParsedFile:
    """configparser itself, with line tracking: the judge of every file the fast reader declines."""
    import configparser  # the slow path only: files the fast reader declines

    # botocore's `open(path)` in text mode: locale encoding, universal newlines, 8 KiB decode chunks.
    # TextIOWrapper(encoding=None) over the same bytes is that, chunking included — which matters: a bad
    # byte in the first chunk stops the read before configparser sees line 1, a later one only after
    # configparser may already have raised for an earlier line.
    stream = io.TextIOWrapper(io.BytesIO(raw), encoding=None, newline=None)
    tracker = _Tracker(_LineCounter(iter(stream)))
    cp = configparser.RawConfigParser(dict_type=_tracking_dict(tracker))
    try:
        cp.read_file(tracker.counter, source=str(path))
    except UnicodeDecodeError:
        # The incremental decoder's offsets are relative to its chunk: find the first bad byte again
        # in the whole file.
        first = _first_decode_error(raw, stream.encoding)
        if _utf16(raw):
            return ParsedFile(role, path, env_var, "unparseable", problem=ParseProblem(_utf16_cause(raw, stream.encoding), 1))
        if first is None:
            problem = ParseProblem(f"the file can't be decoded as {stream.encoding}", None)
        else:
            problem = ParseProblem(
                f"byte 0x{raw[first.start]:02x} can't be decoded as {stream.encoding}",
                _decoded_line_of(raw, first.start, stream.encoding),
            )
        return ParsedFile(role, path, env_var, "unparseable", problem=problem)
    except configparser.Error as e:
        if _utf16(raw):  # decoded without error (NULs are valid UTF-8; cp1252 decodes anything) into junk
            return ParsedFile(role, path, env_var, "unparseable", problem=ParseProblem(_utf16_cause(raw, stream.encoding), 1))
        return ParsedFile(role, path, env_var, "unparseable", problem=ParseProblem(_cause(e, raw), _error_line(e)))

    key_lines = tracker.key_lines
    section_lines = key_lines.get(id(cp._sections), {})  # noqa: SLF001 - configparser's own storage
    default_lines = key_lines.get(id(cp._defaults), {})  # noqa: SLF001
    sections = []
    for header in cp.sections():
        own = cp._sections[header]  # noqa: SLF001
        own_lines = key_lines.get(id(own), {})
        entries: dict[str, Value] = {}
        for option in cp.options(header):
            value: Any = cp.get(header, option)
            if value.startswith("\n"):
                try:
                    value = _parse_nested(value)
                except ValueError:
                    owner = own if option in own else cp._defaults  # noqa: SLF001
                    pieces = tracker.nested_pieces.get(id(owner), {}).get(option, [])
                    problem = _nested_problem(option, header, pieces)
                    if problem.line is None:
                        problem = ParseProblem(problem.cause, own_lines.get(option, default_lines.get(option)))
                    return ParsedFile(role, path, env_var, "unparseable", problem=problem)
            entries[option] = Value(value, path, own_lines.get(option, default_lines.get(option)), header, option)
        sections.append(Section(header, section_lines.get(header), entries))
    text = raw.decode(stream.encoding, errors="replace")
    return ParsedFile(role, path, env_var, "ok", sections=tuple(sections), header_lines=_header_lines(text))


def _utf16(raw: bytes) -> bool:
    """UTF-16 text, as Notepad saves "Unicode" (with a BOM), or without a BOM: NULs in every other byte."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    head = raw[:200]
    return len(head) >= 8 and (head[1::2].count(0) >= len(head) // 2 * 0.9 or head[0::2].count(0) >= len(head) // 2 * 0.9)


def _utf16_cause(raw: bytes, encoding: str) -> str:
    bom = "with" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "without"
    return (f"the file is UTF-16 text {bom} a byte-order mark (Notepad's \"Unicode\" encoding), which botocore "
            f"reads as {encoding} and cannot parse; it must be saved as UTF-8")


def _nested_error(pieces: list[tuple[int, str]]) -> tuple[int | None, str]:
    """The line botocore's _parse_nested chokes on, and how to show it.

    _parse_nested splits the joined value with str.splitlines() and fails on the first non-blank part
    without '='. Every part comes from one physical line (configparser strips each line and joins
    them with newlines), so that line is the answer. Note splitlines() also splits at form feeds and
    other separators that text-mode reading keeps inside a line: one line can yield several parts.
    """
    for line, text in pieces:
        for part in text.splitlines():
            part = part.strip()
            if part and "=" not in part:
                return line, _shown(part)
    return None, "''"


# A line is quoted in a finding only up to its key: the value may be a secret (a pasted access key
# before the first section header, an `aws_secret_access_key` line with a typo). A first word of
# lower-case letters only is shown too: keys and tokens always mix in capitals or digits.
_KEY_PART = re.compile(r"([^=:]{0,60}?)\s*([=:])")
_PLAIN_WORD = re.compile(r"[a-z_-]{1,40}(?=\s|$)")


def _shown(line: str) -> str:
    """A line as a finding may quote it: headers in full, `key = …` without the value, else nothing."""
    s = line.strip()
    if s.startswith("["):
        return repr(s if len(s) <= 60 else s[:57] + "...")
    m = _KEY_PART.match(s)
    if m and m.group(1):
        rest = s[m.end():].strip()
        return repr(f"{m.group(1)} {m.group(2)} …" if rest else f"{m.group(1)} {m.group(2)}")
    m = _PLAIN_WORD.match(s)
    if m:
        return repr(s if m.end() == len(s) else f"{m.group(0)} …")
    return f"a line of {len(s)} characters (not quoted: it may be a secret)"


def _cause(e: configparser.Error, raw: bytes) -> str:
    import configparser  # the slow path only: files the fast reader declines

    if isinstance(e, configparser.DuplicateSectionError):
        return f"section [{e.section}] appears twice"
    if isinstance(e, configparser.DuplicateOptionError):
        return f"key '{e.option}' appears twice in section [{e.section}]"
    if isinstance(e, configparser.MissingSectionHeaderError):
        if raw.startswith(b"\xef\xbb\xbf"):
            return "the file starts with a UTF-8 byte-order mark (BOM); botocore reads it as text before the first section header"
        return f"text before the first [section] header: {_shown(e.line or '')}"
    if isinstance(e, configparser.ParsingError):
        errors = getattr(e, "errors", [])
        if errors:
            line = errors[0][1]  # configparser stores repr(line)
            try:
                line = ast.literal_eval(line)
            except (ValueError, SyntaxError):
                pass
            return f"line is neither a [section], a 'key = value' nor an indented continuation: {_shown(str(line))}"
    return str(e).splitlines()[0]


# --- the merged view ------------------------------------------------------------------------------


def build(config: ParsedFile, credentials: ParsedFile) -> AwsConfig:
    """Merge two parsed files the way botocore's Session.full_config does."""
    profiles: dict[str, dict[str, Value]] = {}
    config_sections: dict[str, Section] = {}
    cred_sections: dict[str, Section] = {}
    sso_sessions: dict[str, SsoSession] = {}
    services: dict[str, Section] = {}

    if config.ok:
        # build_profile_map iterates sections in file order; a later section with the same mapped
        # name replaces the earlier one whole ([default] vs [profile default]).
        for s in config.sections:
            kind = _section_kind(s.header)
            name = _mapped_name(s.header, kind)
            if name is None:
                continue
            if kind in ("profile", "default"):
                config_sections[name] = s
            elif kind == "sso-session":
                sso_sessions[name] = SsoSession(name, s, config.path)
            else:
                services[name] = s
        for name, s in config_sections.items():
            profiles[name] = dict(s.entries)  # the reader's Values, located in the section that holds them
    if credentials.ok:
        for s in credentials.sections:
            cred_sections[s.header] = s
            merged = profiles.get(s.header)
            if merged is None:
                profiles[s.header] = dict(s.entries)
            else:
                merged.update(s.entries)

    return AwsConfig(
        config=config,
        credentials=credentials,
        profiles={
            n: Profile(n, vals, config_sections.get(n), cred_sections.get(n)) for n, vals in profiles.items()
        },
        sso_sessions=sso_sessions,
        services=services,
    )


def load(env: Mapping[str, str], home: str | None = None, platform: Platform | None = None) -> AwsConfig:
    """Both files as botocore's Session.full_config finds and merges them."""
    plat = _platform(env, platform)
    with _gc_paused():
        files = []
        for role, (path, var) in (("config", config_path(env, home, plat)),
                                  ("credentials", credentials_path(env, home, plat))):
            if var is not None and _names_no_file(env, var):
                files.append(ParsedFile(role, path, var, "missing"))
            else:
                files.append(parse_file(role, path, var))
        return build(files[0], files[1])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading 2,500 profiles allocates some 60,000 small objects and no reference cycles; meanwhile
    the cyclic garbage collector would run ~150 times and walk every live object in some of them:
    measured, that is half the load time. Pause it, and restore it as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- selection and SSO resolution -------------------------------------------------------------------


def selected_profile_names(explicit: tuple[str, ...], env: Mapping[str, str]) -> tuple[tuple[str, ...], str]:
    """Which profiles a run is about, and why: botocore's order (explicit, AWS_DEFAULT_PROFILE,
    AWS_PROFILE, 'default')."""
    if explicit:
        return explicit, "--profile"
    # Presence, not truthiness: botocore takes a set-but-empty variable as the profile "" and fails
    # with `The config profile () could not be found`.
    if "AWS_DEFAULT_PROFILE" in env:
        return (env["AWS_DEFAULT_PROFILE"],), "AWS_DEFAULT_PROFILE"
    if "AWS_PROFILE" in env:
        return (env["AWS_PROFILE"],), "AWS_PROFILE"
    return ("default",), "default"


class SsoSettings(NamedTuple):
    """A profile's SSO settings after botocore copies its sso-session's keys onto it."""

    profile: Profile
    session: SsoSession | None  # None for legacy profiles, or when the session is missing
    session_name: str | None
    values: Mapping[str, Value]

    @property
    def legacy(self) -> bool:
        return self.session_name is None

    def get(self, key: str) -> str | None:
        v = self.values.get(key)
        return v.value if v is not None and isinstance(v.value, str) else None

    @property
    def start_url(self) -> str | None:
        return self.get("sso_start_url")

    @property
    def region(self) -> str | None:
        return self.get("sso_region")


def resolve_sso(profile: Profile, sessions: Mapping[str, SsoSession]) -> SsoSettings:
    """Copy the sso-session's keys onto the profile as botocore's SSOProvider does (session wins).

    Rules ask this for every selected profile, a dozen rules over: with 2,500 profiles that was
    30,000 merges per run. The answer is remembered on the profile for this `sessions` mapping (the
    facts are frozen). Don't mutate the returned values.
    """
    memo = profile.__dict__.get("_resolved_sso")
    if memo is not None and memo[0] is sessions:
        return memo[1]
    name = profile.sso_session
    session = sessions.get(name) if name is not None else None
    if session is None:
        values: dict[str, Value] = dict(profile.values)
    else:
        values = {**profile.values, **session.values}  # the session's own Values: botocore's copy
    resolved = SsoSettings(profile, session, name, values)
    profile.__dict__["_resolved_sso"] = (sessions, resolved)  # frozen dataclass: a memo, not a field
    return resolved
