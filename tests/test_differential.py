"""Differential tests: sso-doctor's config loader against botocore's own configloader.

For every input — botocore's own test files, every fixture's ~/.aws files, and thousands of generated
INI files — what `sso_doctor.loaders.aws_config` makes of the config and credentials files must equal
what botocore makes of them (`raw_config_parse` + `build_profile_map`, merged the way
`Session.full_config` merges the credentials file), or both must refuse the file. When botocore
refuses one (ConfigParseError), our ParsedFile is "unparseable" and names the line the real cause is on:

- configparser errors: the line configparser itself reports (`ParsingError.errors[0]`, else `.lineno`);
- undecodable bytes: the line (as text-mode reading counts lines) holding the first bad byte;
- botocore's nested-value ValueError (`s3 =` followed by an indented line without '='): botocore gives
  no line at all. We name the physical line of the first indented part `_parse_nested` cannot split,
  in the option botocore fails on first. The oracle here finds that line without our code: the
  shortest prefix of the file on which that option's raw value already fails to nest.

Every located section and key is also checked against the file: the line we name holds that header
or key.
"""

from __future__ import annotations

import configparser
import filecmp
import io
import json
import locale
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore import configloader
from botocore.exceptions import ConfigNotFound, ConfigParseError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scenarios import validate_report
from sso_doctor.loaders import aws_config

ROOT = Path(__file__).resolve().parent.parent
PEER_COPY = Path(__file__).resolve().parent / "data" / "botocore-cfg"
PEER_SHARED = Path("/work/shared/peer-data/botocore-cfg")
PEER_FILES = sorted(p for p in PEER_COPY.iterdir() if p.name not in ("LICENSE.txt", "README.md"))
FIXTURE_AWS_FILES = sorted(
    p for p in ROOT.glob("fixtures/*/home/.aws/*") if p.is_file() and not p.is_symlink() and p.name != ".keep"
)


# --- the oracle: botocore itself ------------------------------------------------------------------------


def botocore_file(path: Path) -> tuple[str, Any]:
    """("ok", raw dict) / ("missing", None) / ("refused", the real cause) for one file, per botocore."""
    try:
        return "ok", configloader.raw_config_parse(str(path))
    except ConfigNotFound:
        return "missing", None
    except ConfigParseError as e:
        return "refused", e.kwargs["error"]


def botocore_full_config(config: Path, credentials: Path) -> dict[str, Any]:
    """Session.full_config (botocore/session.py) on explicit paths, statement for statement."""
    try:
        full = configloader.load_config(str(config))
    except ConfigNotFound:
        full = {"profiles": {}}
    try:
        cred_profiles = configloader.raw_config_parse(str(credentials))
    except ConfigNotFound:
        pass
    else:
        for profile in cred_profiles:
            cred_vars = cred_profiles[profile]
            if profile not in full["profiles"]:
                full["profiles"][profile] = cred_vars
            else:
                full["profiles"][profile].update(cred_vars)
    return full


def _text_lines(raw: bytes) -> list[str]:
    """The file's lines as botocore's text-mode open() yields them (locale encoding, universal newlines)."""
    return io.StringIO(raw.decode(locale.getpreferredencoding(False)), newline=None).readlines()


def _first_bad_byte_line(raw: bytes) -> int:
    """Independent of the loader: decode with surrogateescape (a bad byte becomes a lone surrogate, which
    valid text never holds) and find the first text-mode line holding one."""
    text = raw.decode(locale.getpreferredencoding(False), errors="surrogateescape")
    for n, line in enumerate(io.StringIO(text, newline=None), start=1):
        if any("\udc80" <= ch <= "\udcff" for ch in line):
            return n
    raise AssertionError("botocore raised UnicodeDecodeError but every byte decodes")


def _nested_error_line(path: Path, workdir: Path) -> int:
    """The line botocore's nested-value ValueError is about (see the module docstring)."""
    raw_values = configloader.raw_config_parse(str(path), parse_subsections=False)
    target = None
    for section, options in raw_values.items():  # botocore's own iteration order
        for option, value in options.items():
            if value.startswith("\n"):
                try:
                    configloader._parse_nested(value)  # noqa: SLF001
                except ValueError:
                    target = (section, option)
                    break
        if target:
            break
    assert target is not None, "botocore raised ValueError but no value fails to nest"
    # Which section's text holds that value: the section itself, or [DEFAULT] (configparser copies
    # DEFAULT's keys into every section). A parser with no default section keeps them apart.
    def own_values(p: Path) -> configparser.RawConfigParser:
        cp = configparser.RawConfigParser(default_section="\x00", strict=False)
        cp.read(p, encoding=locale.getpreferredencoding(False))
        return cp

    owner = target[0] if own_values(path).has_option(*target) else "DEFAULT"
    lines = _text_lines(path.read_bytes())
    probe = workdir / "prefix"

    def fails_within(n: int) -> bool:
        probe.write_text("".join(lines[:n]), encoding=locale.getpreferredencoding(False))
        cp = own_values(probe)
        if not cp.has_option(owner, target[1]):
            return False
        value = cp.get(owner, target[1])
        if not value.startswith("\n"):
            return False
        try:
            configloader._parse_nested(value)  # noqa: SLF001
        except ValueError:
            return True
        return False

    lo, hi = 1, len(lines)  # fails_within is monotonic: a prefix's value is a prefix of the value
    assert fails_within(hi)
    while lo < hi:
        mid = (lo + hi) // 2
        if fails_within(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def expected_error_line(error: BaseException, path: Path, workdir: Path) -> int:
    if isinstance(error, UnicodeDecodeError):
        return _first_bad_byte_line(path.read_bytes())
    if isinstance(error, configparser.Error):
        errors = getattr(error, "errors", None)
        return errors[0][0] if errors else error.lineno
    assert type(error) is ValueError, f"unexpected botocore cause {error!r}"
    return _nested_error_line(path, workdir)


# --- the comparison -------------------------------------------------------------------------------------


def ours(config: Path, credentials: Path) -> aws_config.AwsConfig:
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    return aws_config.load(env, home=None)


def assert_locations(parsed: aws_config.ParsedFile) -> None:
    """Every section, header and key we locate is really on the line we name."""
    lines = _text_lines(parsed.path.read_bytes())
    for header, at in parsed.header_lines.items():
        for n in at:
            assert lines[n - 1].strip().startswith(f"[{header}]"), (header, n)
    for s in parsed.sections:
        assert s.line is not None, s.header
        assert lines[s.line - 1].strip().startswith(f"[{s.header}]"), (s.header, s.line)
        assert parsed.header_lines[s.header][0] == s.line
        for key, entry in s.entries.items():
            assert entry.line is not None, key
            assert lines[entry.line - 1].strip().lower().startswith(key), (s.header, key, entry.line)


def assert_both_readers_agree(parsed: aws_config.ParsedFile) -> None:
    """The loader reads files with a fast replica of configparser's reader and hands every file it
    declines to configparser itself. Both must see the same; the fast one must decline only files
    botocore refuses (else it is merely slow, but we want to know)."""
    raw = parsed.path.read_bytes()
    slow = aws_config._parse_with_configparser(parsed.role, parsed.path, parsed.env_var, raw)  # noqa: SLF001
    assert (slow.state, slow.sections, slow.problem) == (parsed.state, parsed.sections, parsed.problem)
    fast = aws_config._parse_fast(parsed.role, parsed.path, parsed.env_var, raw,  # noqa: SLF001
                                  locale.getpreferredencoding(False))
    if parsed.state == "ok":
        assert fast is not None, "the fast reader declined a file botocore reads"


def assert_agree(config: Path, credentials: Path, workdir: Path) -> str:
    """Compare botocore and us on one pair of files; returns what happened (for coverage stats)."""
    got = ours(config, credentials)
    outcome = []
    for role, path, parsed in (("config", config, got.config), ("credentials", credentials, got.credentials)):
        state, value = botocore_file(path)
        if state != "missing":
            assert_both_readers_agree(parsed)
        if state == "refused":
            assert parsed.state == "unparseable", (role, value, parsed)
            assert parsed.problem is not None
            want = expected_error_line(value, path, workdir)
            assert parsed.problem.line == want, (role, repr(value), parsed.problem, want)
            outcome.append(f"{role}-refused-{type(value).__name__}")
        elif state == "missing":
            assert parsed.state == "missing", (role, parsed)
        else:
            assert parsed.state == "ok", (role, parsed)
            assert parsed.raw() == value
            assert_locations(parsed)
            outcome.append(f"{role}-ok")
    if got.config.state == "unparseable" or got.credentials.state == "unparseable":
        return " ".join(outcome)

    want = botocore_full_config(config, credentials)
    mine = got.profile_map()
    assert mine["profiles"] == want["profiles"]
    assert mine["sso_sessions"] == want.get("sso_sessions", {})
    assert mine["services"] == want.get("services", {})
    # and the merged values remember which file each came from
    for name, profile in got.profiles.items():
        for key, v in profile.values.items():
            section = got.credentials.section(name) if v.path == credentials else None
            if section is not None:
                assert section.entries[key].value == v.value
    return " ".join(outcome)


def _write(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(data)


# --- real inputs ------------------------------------------------------------------------------------


def test_peer_copy_is_botocores_files_unchanged():
    if not PEER_SHARED.is_dir():
        pytest.skip("the shared peer-data folder is not on this machine; the copy is all we have")
    names = sorted(p.name for p in PEER_SHARED.iterdir())
    assert names == sorted(p.name for p in PEER_COPY.iterdir() if p.name != "README.md")
    for name in names:
        assert filecmp.cmp(PEER_SHARED / name, PEER_COPY / name, shallow=False), name


@pytest.mark.parametrize("config", [*PEER_FILES, None], ids=lambda p: p.name if p else "no-config")
def test_botocore_test_files(config, tmp_path):
    """Every peer file as the config file, next to every peer file as the credentials file."""
    missing = tmp_path / "missing"
    seen = set()
    for credentials in [*PEER_FILES, None]:
        seen.add(assert_agree(config or missing, credentials or missing, tmp_path))
    assert seen


def test_botocore_test_files_cover_refusals(tmp_path):
    """The peer set really exercises each way botocore refuses a file (so the line checks ran)."""
    missing = tmp_path / "missing"
    causes = {p.name: botocore_file(p)[1] for p in PEER_FILES if botocore_file(p)[0] == "refused"}
    kinds = {type(c).__name__ for c in causes.values()}
    assert {"MissingSectionHeaderError", "UnicodeDecodeError", "ValueError"} <= kinds, causes
    for name in causes:
        got = ours(PEER_COPY / name, missing).config
        assert got.state == "unparseable" and got.problem.line is not None


def test_the_full_config_oracle_is_botocores_session(tmp_path, monkeypatch):
    """botocore_full_config above is Session.full_config: check it against a real Session."""
    import botocore.session

    for config in PEER_FILES:
        for credentials in (PEER_COPY / "aws_config_other", PEER_COPY / "aws_bad_profile", tmp_path / "none"):
            if "refused" in (botocore_file(config)[0], botocore_file(credentials)[0]):
                continue
            session = botocore.session.Session()
            session.set_config_variable("config_file", str(config))
            session.set_config_variable("credentials_file", str(credentials))
            assert botocore_full_config(config, credentials) == session.full_config


@pytest.mark.skipif(not FIXTURE_AWS_FILES, reason="no fixture files")
def test_fixture_files(tmp_path):
    """Each fixture home as it is, and each of its files alone as config and as credentials."""
    missing = tmp_path / "missing"
    homes = sorted({p.parent for p in FIXTURE_AWS_FILES})
    for aws in homes:
        assert_agree(aws / "config", aws / "credentials", tmp_path)
    for path in FIXTURE_AWS_FILES:
        assert_agree(path, missing, tmp_path)
        assert_agree(missing, path, tmp_path)


def test_empty_config_variable_means_no_file(tmp_path):
    """`export AWS_CONFIG_FILE=` : botocore reads no config file at all (no fallback to ~/.aws/config)."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    (home / ".aws" / "credentials").write_text("[dev]\naws_access_key_id = AKIAEXAMPLE\n")
    env = {"HOME": str(home), "AWS_CONFIG_FILE": "", "AWS_SHARED_CREDENTIALS_FILE": ""}
    script = "import botocore.session, json; print(json.dumps(botocore.session.Session().full_config))"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    want = json.loads(out.stdout)
    got = aws_config.load(env, str(home))
    assert got.config.state == "missing" and got.credentials.state == "missing"
    assert got.profile_map()["profiles"] == want["profiles"] == {}


# Where the 8 KiB decode chunk boundary puts the first bad byte decides which error botocore reports.
@pytest.mark.parametrize("pad", [100, 20_000])
def test_bad_byte_and_duplicate_section_order(pad, tmp_path):
    body = b"[profile a]\nregion = x\n[profile a]\n" + b"# padding\n" * (pad // 10) + b"[profile b]\nk = \xff\n"
    (tmp_path / "config").write_bytes(body)
    state, cause = botocore_file(tmp_path / "config")
    assert state == "refused"
    assert isinstance(cause, UnicodeDecodeError) == (pad < 8192)
    assert_agree(tmp_path / "config", tmp_path / "missing", tmp_path)


# --- generated inputs -----------------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "dev", "default", "x y", "Dev", "é", "b"])
JUNK = "ab=:#;[]\"' \t\x0c\x1c\x85\u2028é€\\\r"
JUNK_NAME = st.text(alphabet=JUNK.replace("\r", ""), max_size=8)
HEADER = st.one_of(
    st.builds("[profile {}]".format, NAMES),
    st.builds("[profile {}]".format, JUNK_NAME),  # quotes, backslashes, odd whitespace: shlex's corners
    st.builds("[sso-session {}]".format, JUNK_NAME),
    st.builds('[profile "{}"]'.format, NAMES),
    st.builds("[sso-session {}]".format, NAMES),
    st.builds("[services {}]".format, NAMES),
    st.builds("[{}]".format, NAMES),
    st.sampled_from([
        "[default]", "[DEFAULT]", "[Profile x]", "[profilefoo]", "[profile a b]", '[profile "q x"]',
        '[profile "unbalanced]', "[profile 'single quoted']", "[profile]", "[ profile a ]", "[other]",
        "[services]", "[sso-session]", "[profile a] # note", "[]", "[[x]]", "[profile a]]", "[profile\ta]",
        "[profilefoo bar]", '[sso-session "my s"]', "[profile a\\ b]",
    ]),
)
KEY = st.sampled_from([
    "region", "Region", "sso_session", "sso_start_url", "sso_region", "s3", "endpoint_url",
    "aws_access_key_id", "x y", "k", "dynamodb", "services", "REGION",
])
VALUE = st.one_of(
    st.sampled_from([
        "us-east-1", "us-east-1 # prod", "v ; c", "https://d-1.awsapps.com/start#", '"quoted"', "a=b",
        "  spaced  ", "dev", "a: b",
    ]),
    st.text(alphabet=JUNK, max_size=10),
)
SEP = st.sampled_from([" = ", "=", ": ", ":", " =", "\t=\t", " : "])
KEY_LINE = st.builds(lambda k, s, v: f"{k}{s}{v}", KEY, SEP, VALUE)
NESTED_START = st.builds(lambda k, s: f"{k}{s}", KEY, st.sampled_from([" =", "=", ":", " = ", "=\t"]))
INDENT = st.sampled_from(["  ", "\t", "    ", " ", "\x0c "])
CONTINUATION = st.builds(
    lambda i, body: i + body,
    INDENT,
    st.one_of(
        KEY_LINE, KEY_LINE, KEY_LINE,
        st.sampled_from(["bad", "# comment", "; c", "x @ y", "a\x0cb = c", "k = v\x1cbad", "=", "= v"]),
        st.text(alphabet=JUNK, max_size=10),
    ),
)
NESTED_BLOCK = st.builds(lambda start, body: [start, *body], NESTED_START, st.lists(CONTINUATION, max_size=4))
COMMENT_OR_BLANK = st.sampled_from(["# comment", "; comment", "   # indented comment", "#", ";", "", "   ", "\t"])
BROKEN_LINE = st.one_of(KEY, st.text(alphabet=JUNK, max_size=16))  # a bare key, or junk
BODY_LINES = st.one_of(
    *[st.builds(lambda x: [x], KEY_LINE)] * 4,
    NESTED_BLOCK,
    st.builds(lambda x: [x], CONTINUATION),
    *[st.builds(lambda x: [x], COMMENT_OR_BLANK)] * 2,
    st.builds(lambda x: [x], BROKEN_LINE),
)
SECTION = st.builds(lambda h, body: [h] + [line for chunk in body for line in chunk], HEADER, st.lists(BODY_LINES, max_size=5))
PIECE = st.one_of(SECTION, SECTION, SECTION, BODY_LINES)
BAD_BYTES = st.sampled_from([b"\xff", b"\xc3", b"\xe9t\xe9", b"\x80\x80", b"\xed\xa0\x80", b"\xf0\x9f"])


CLEAN_VALUE = st.one_of(VALUE.filter(lambda v: "\r" not in v), st.sampled_from(["", "x"]))
# _parse_nested wants '=' in every part str.splitlines() makes (\x0c, \x1c, \x85, \u2028 split too).
SUBKEY_LINE = st.builds(
    lambda i, k, s, v: f"{i}{k}{s}{v}", INDENT, KEY, st.sampled_from([" = ", "=", "\t= "]),
    CLEAN_VALUE.filter(lambda v: len(v.splitlines()) <= 1),
)


@st.composite
def clean_section(draw: st.DrawFn, header: str) -> list[str]:
    """A section botocore accepts: unique keys, nested blocks of `key = value` lines, comments."""
    lines = [header]
    for key in draw(st.lists(KEY, unique_by=str.lower, max_size=5)):
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"{key}{draw(st.sampled_from([' =', '=', ':']))}")
            lines += draw(st.lists(st.one_of(SUBKEY_LINE, SUBKEY_LINE, COMMENT_OR_BLANK), min_size=1, max_size=3))
        else:
            lines.append(f"{key}{draw(SEP)}{draw(CLEAN_VALUE)}")
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(COMMENT_OR_BLANK))
    return lines


def _section_name(header: str) -> str:
    return configparser.RawConfigParser.SECTCRE.match(header).group("header")


CLEAN_HEADERS = st.lists(HEADER.filter(lambda h: h != "[]"), unique_by=_section_name, min_size=1, max_size=5)


@st.composite
def ini_files(draw: st.DrawFn) -> bytes:
    """Half of them clean (botocore accepts them: the comparison of values and locations runs), half
    wild (junk, duplicates, bad continuations, a BOM, undecodable bytes: the refusals and their lines)."""
    clean = draw(st.booleans())
    if clean:
        pieces = [draw(clean_section(h)) for h in draw(CLEAN_HEADERS)]
    else:
        # Mostly a section first: text before the first header refuses the whole file at line 1.
        first = [draw(SECTION)] if draw(st.integers(0, 9)) else []
        pieces = first + draw(st.lists(PIECE, max_size=5))
    lines = [line for piece in pieces for line in piece]
    eol_style = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "mixed"]))
    out = []
    for line in lines:
        eol = draw(st.sampled_from(["\n", "\r\n", "\r"])) if eol_style == "mixed" else eol_style
        out.append(line.encode("utf-8") + eol.encode())
    if out and draw(st.booleans()):
        out[-1] = out[-1].rstrip(b"\r\n")  # no newline at the end
    if not clean and draw(st.integers(0, 4)) == 0:  # non-UTF-8 bytes somewhere
        at = draw(st.integers(0, len(out)))
        out.insert(at, draw(BAD_BYTES) + (b"\n" if draw(st.booleans()) else b""))
    data = b"".join(out)
    if not clean and draw(st.integers(0, 5)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("differential")


GENERATED: dict[str, int] = {}


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(config=st.one_of(st.none(), ini_files()), credentials=st.one_of(st.none(), ini_files()))
@example(config=b"[profile a]\ns3 =\n  # a comment, not a key\n  x = 1\n  bad\n", credentials=None)
@example(config=b"[DEFAULT]\ns3 =\n  bad\n[profile a]\nk = v\n", credentials=None)
@example(config=b"[profile a]\ns3 =\n  x = 1\x0cbad\n", credentials=None)
@example(config=b"[default]\r\nregion = a\r\r\xff\n", credentials=b"[default]\nregion = b\n")
@example(config=b"[profile a]\nregion = x\n", credentials=b"\xef\xbb\xbf[a]\nk = v\n")
@example(config=b"[default]\nk = v\n[profile default]\nj = w\n", credentials=b"[default]\nk = cred\n")
def test_generated_ini_files(config, credentials, workdir):
    config_path, credentials_path = workdir / "config", workdir / "credentials"
    _write(config_path, config)
    _write(credentials_path, credentials)
    outcome = assert_agree(config_path, credentials_path, workdir)
    GENERATED[outcome] = GENERATED.get(outcome, 0) + 1


def test_generated_inputs_cover_every_outcome():
    """Runs after the generator (same module, file order): it must have produced both good files and
    every way of being refused, or the 2,000 examples proved little."""
    if not GENERATED:
        pytest.skip("test_generated_ini_files did not run in this session")
    seen = " ".join(GENERATED)
    for needle in ("config-ok", "credentials-ok", "UnicodeDecodeError", "MissingSectionHeaderError",
                   "ParsingError", "DuplicateSectionError", "DuplicateOptionError", "ValueError"):
        assert needle in seen, (needle, GENERATED)


# --- repeated lines -------------------------------------------------------------------------------------

# The fast reader splits each distinct `key = value` line at column 0 once and reuses its key and
# value for every later copy (such a line is never a continuation: its reading depends on the line
# alone). Files made of a few lines repeated in every context hold that shortcut to botocore:
# copies in other sections (the shortcut taken), as duplicates, in [DEFAULT], after blank lines that
# belong to the option before, followed by continuation lines; and near misses that must not take
# it: the same text indented (a continuation, or a key line at a deeper indent), with trailing
# blanks, after \x1c.
REPEATED_HEADER = st.sampled_from(["[a]", "[b]", "[c]", "[DEFAULT]", "  [d]", "[e] = 1"])
REPEATED_KEY = st.sampled_from(["k = v", "region = r", "s3 =", "[]=x", "j = w"])  # distinct keys
REPEATED_INDENTED = st.sampled_from(["  k = v", "\tk = v", " c", "  x = 1"])
REPEATED_BLANK = st.sampled_from(["", "  "])
REPEATED_BODY = st.one_of(
    REPEATED_KEY, REPEATED_KEY, REPEATED_KEY, REPEATED_INDENTED, REPEATED_INDENTED, REPEATED_BLANK,
    st.sampled_from(["K=v", "k: v", "k = v ", "\x1ck = v", "# k = v", "bad"]),
)


@st.composite
def repeated_lines(draw: st.DrawFn) -> list[str]:
    """Mostly sections whose lines are unique within each (so many files are accepted and repeat
    lines across sections); else a copy between the blank lines of the option before it and
    continuation lines of its own; else a header and any of those lines in any order."""
    shape = draw(st.integers(0, 5))
    if shape == 0:
        anything = st.lists(st.one_of(REPEATED_HEADER, REPEATED_BODY), max_size=16)
        return [draw(REPEATED_HEADER), *draw(anything)]
    if shape == 1:
        first, second = draw(st.lists(REPEATED_HEADER, unique=True, min_size=2, max_size=2))
        copy = draw(REPEATED_KEY)
        blanks = draw(st.lists(REPEATED_BLANK, min_size=1, max_size=2))
        continuation = draw(st.lists(REPEATED_INDENTED, min_size=1, max_size=2))
        return [first, copy, second, draw(REPEATED_KEY), *blanks, copy, *continuation]
    lines = []
    for header in draw(st.lists(REPEATED_HEADER, unique=True, min_size=1, max_size=5)):
        lines += [header, *draw(st.lists(REPEATED_BODY, unique=True, min_size=1, max_size=6))]
    return lines


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=repeated_lines())
# a copy after a blank line: the blank belongs to s3, not to region, whose continuation follows
@example(lines=["[a]", "region = r", "[b]", "s3 =", "", "region = r", "  y = 2"])
# a copy resets the indentation continuation lines are measured against
@example(lines=["[a]", "k = v", "[b]", "  j = w", "k = v", " c"])
# a copy in the same section, and in a second [DEFAULT]
@example(lines=["[a]", "k = v", "k = v"])
@example(lines=["[DEFAULT]", "k = v", "[a]", "k = v", "[DEFAULT]", "k = v"])
# an indented line read as a key line, then the same line as a continuation
@example(lines=["[a]", "  k = v", "[b]", "j =", "  k = v"])
# a '[' line that is a key, not a header
@example(lines=["[a]", "[]=x", "[b]", "[]=x"])
def test_repeated_lines(lines, workdir):
    config = workdir / "config-repeated"
    config.write_bytes("".join(f"{line}\n" for line in lines).encode())
    assert_agree(config, workdir / "no-credentials", workdir)


# --- the finding users see ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "snippet"),
    [
        ("aws_config_bad", 1, "text before the first [section] header"),
        ("aws_credentials", 1, "text before the first [section] header"),
        ("aws_config_badbytes", 1, "can't be decoded"),
        ("aws_config_nested_bad", 5, "under 's3' in [default]"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_sso102_finding_for_refused_botocore_files(name, line, snippet, fmt, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8",
           "AWS_CONFIG_FILE": str(PEER_COPY / name)}
    proc = subprocess.run(
        [sys.executable, "-m", "sso_doctor", "check", "--offline", "--format", fmt, "--select", "SSO1"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    if fmt == "text":
        assert f"{PEER_COPY / name}:{line}" in proc.stdout
        assert snippet in proc.stdout
        return
    doc = json.loads(proc.stdout)
    validate_report(doc)
    found = [f for f in doc["findings"] if f["rule_id"] == "SSO102"]
    assert len(found) == 1, doc["findings"]
    assert found[0]["location"]["line"] == line
    assert found[0]["location"]["path"] == str(PEER_COPY / name)
    assert snippet in found[0]["message"]
    assert found[0]["fix"]["commands"], found[0]
    assert {r["id"]: r["status"] for r in doc["rules"]}["SSO102"] == "failed"


def test_resolve_sso_copies_session_keys_over_profile_keys_and_remembers(tmp_path):
    """botocore's SSOProvider copies every [sso-session] key onto the profile, the session's value
    winning; resolving twice gives the same answer without redoing the work."""
    (tmp_path / "config").write_text(
        "[sso-session corp]\nsso_start_url = https://a.awsapps.com/start\nsso_region = eu-west-1\n\n"
        "[profile dev]\nsso_session = corp\nsso_region = us-east-1\nsso_account_id = 111122223333\n\n"
        "[profile legacy]\nsso_start_url = https://b.awsapps.com/start\nsso_region = us-west-2\n"
    )
    cfg = ours(tmp_path / "config", tmp_path / "none")
    dev = aws_config.resolve_sso(cfg.profiles["dev"], cfg.sso_sessions)
    assert {k: v.value for k, v in dev.values.items()} == {
        "sso_session": "corp", "sso_region": "eu-west-1", "sso_account_id": "111122223333",
        "sso_start_url": "https://a.awsapps.com/start",
    }
    assert dev.values["sso_region"].section == "sso-session corp" and dev.values["sso_region"].line == 3
    assert aws_config.resolve_sso(cfg.profiles["dev"], cfg.sso_sessions) is dev
    other = dict(cfg.sso_sessions)
    again = aws_config.resolve_sso(cfg.profiles["dev"], other)
    assert again is not dev and again == dev
    legacy = aws_config.resolve_sso(cfg.profiles["legacy"], cfg.sso_sessions)
    assert legacy.legacy and legacy.start_url == "https://b.awsapps.com/start"
    assert [p.name for p in cfg.sso_profiles] == ["dev", "legacy"]
    assert cfg.sso_profiles is not cfg.sso_profiles  # a fresh list each time


def _botocore_section_name(header: str) -> str | None:
    """botocore's configloader._parse_section applied to a `profile ...` header: two shlex tokens."""
    import shlex

    try:
        parts = shlex.split(header)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=" \t\r\n\x0b\"'\\ab-é", max_size=12))
@example("dev")
@example("  dev  ")
@example("a b")
@example('"a b"')
@example("\x0bdev")
def test_section_names_as_botocore_maps_them(tail):
    # the one-regex shortcut for `profile dev` must agree with shlex on every header
    header = "profile" + tail
    assert aws_config._mapped_name(header, "profile") == _botocore_section_name(header)  # noqa: SLF001
