"""Recognise a pasted error: normalise what people paste, rank the known messages by specificity, and say
"not recognised" (with the nearest candidates) rather than give a wrong confident answer.

The messages themselves are data in `error_texts.KNOWN`; this module only reads them. Pure functions, no
I/O: `sso-doctor explain` and `sso-doctor run` both call `explain(text)`.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field

# Below this a candidate is only "near": a short or very common message matched, nothing specific.
RECOGNISED = 0.35
# Characters of matched message text for a confidence of 1 - 1/e.
_SCALE = 20.0
# How much less likely each further rule of one message is than the one before it.
_DECAY = 0.85
# A paste is read from its start (the command line of a terminal session) and its end (where the error is):
# the middle of a huge log is skipped, so explaining stays well under a second whatever is pasted.
HEAD_CHARS = 8 * 1024
TAIL_CHARS = 256 * 1024

# --- normalising --------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]")
_TRACE_FRAME = re.compile(r'^\s*File "[^"]*", line \d+(, in .*)?$')
_TRACE_NOISE = re.compile(r"^\s*(Traceback \(most recent call last\):|During handling of the above exception, "
                          r"another exception occurred:|The above exception was the direct cause of the "
                          r"following exception:|[\^~]+\s*)$")
_JAVA_FRAME = re.compile(r"^\s+at [\w$.<>/]+\(.*\)\s*$|^\s+at .*\((node:|file:|/|[A-Za-z]:).*\)\s*$")
# A command-line prompt at the start of a line: `$ `, `% `, `> `, `❯ `, `➜  dir `, `PS C:\x> `,
# `user@host:~/dir$ `, `C:\Users\me>`.
_PROMPT = re.compile(
    r"^\s*(?:\(\S+\)\s+)?(?:"
    r"[\w.-]+@[\w.-]+:[^$#\n]*[$#]\s+"  # user@host:~$
    r"|PS [A-Za-z]:\\[^>\n]*>\s*"  # PowerShell
    r"|[A-Za-z]:\\[^>\n]*>"  # cmd.exe
    r"|(?:➜|❯|λ|»)\s+(?:\S+\s+)?(?=\S)"  # zsh themes: `➜  ~ aws ...`
    r"|[$%#>]\s+"
    r")"
)
# a home directory at the start of a path (`/home/jane`, `/Users/jane`, `C:\\Users\\jane`, escaped or not)
_HOME = re.compile(r"(?i)(?<![\w.-])(?:[a-z]:)?(?:\\\\|\\|/)(?:users|home)(?:\\\\|\\|/)[^\\/\s'\"`:]+"
                   r"|/root(?=/)|\$HOME|%USERPROFILE%")
_ARN = re.compile(r"\barn:aws[\w-]*:[\w-]*:[\w-]*:\d{0,12}:[^\s\"'`,)]+")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_SHA1 = re.compile(r"\b[0-9a-f]{40}\b", re.IGNORECASE)
_ACCOUNT = re.compile(r"(?<![\w.-])\d{12}(?![\w-])")
_TIMES = re.compile(
    r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|UTC|[+-]\d\d:?\d\d)?\b"  # ISO / log lines
    r"|\b\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\b"  # Go log
    r"|\b\d{8}T\d{6}Z\b"  # SigV4
)


@dataclass(frozen=True)
class Pasted:
    """What the user pasted, ready to match, and what it tells about the failing command."""

    text: str  # normalised
    command: str | None = None  # the command line at the top of a terminal session, if any
    profile: str | None = None


def normalize(raw: str) -> Pasted:
    """Strip what differs between two pastes of the same error, keep what identifies it."""
    if len(raw) > HEAD_CHARS + TAIL_CHARS:
        raw = raw[:HEAD_CHARS] + "\n" + raw[-TAIL_CHARS:]
    text = _ANSI.sub("", raw).replace("\r\n", "\n")
    # progress lines rewritten in place with \r: keep the last state
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    command = None
    kept: list[str] = []
    skip_code = False
    for line in text.split("\n"):
        if _TRACE_FRAME.match(line):
            skip_code = True  # the next indented line is the source line of that frame
            continue
        if skip_code and line.startswith((" ", "\t")) and line.strip():
            skip_code = False
            continue
        skip_code = False
        if _TRACE_NOISE.match(line) or _JAVA_FRAME.match(line):
            continue
        m = _PROMPT.match(line)
        if m and line[m.end():].strip():
            line = line[m.end():]
            if command is None and _looks_like_command(line):
                command = line.strip()
        kept.append(line)
    text = "\n".join(kept)
    if command is None:
        command = _command_from_debug_log(text)
    text = _HOME.sub("~", text)
    text = re.sub(r"~[\\/][^\s'\"`]*", lambda m: m.group(0).replace("\\\\", "/").replace("\\", "/"), text)
    text = _ARN.sub("<ARN>", text)
    text = _UUID.sub("<UUID>", text)
    text = _SHA1.sub("<SHA1>", text)
    text = _TIMES.sub("<TIME>", text)
    text = _ACCOUNT.sub("<ACCOUNT>", text)
    profile = _profile_from_command(command) if command else None
    return Pasted(text=text, command=command, profile=profile or profile_in(text))


def _looks_like_command(line: str) -> bool:
    """A program name or path (`aws`, `./deploy.sh`, `~/bin/x`), or an environment assignment before one;
    not a quoted message line (`> Error loading ...`)."""
    word = line.strip().split(" ", 1)[0]
    return bool(re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*|[a-z./~][\w./~+-]*", word))


def _command_from_debug_log(text: str) -> str | None:
    # `aws ... --debug`: "Arguments entered to CLI: ['sso', 'login', '--profile', 'dev']"
    m = re.search(r"Arguments entered to CLI: \[([^\]]*)\]", text)
    if not m:
        return None
    args = re.findall(r"'([^']*)'", m.group(1))
    return "aws " + " ".join(shlex.quote(a) for a in args) if args else None


_PLACEHOLDER = re.compile(r"(?i)^(<.*>|\*+|x+|redacted|\[.*\]|\$\w+|\$\{.*\}|\.\.\.|profile_name|<redacted>)$")


def _usable(profile: str | None) -> str | None:
    """A profile name as typed, or None for a redaction/placeholder (`<profile>`, `XXXXXX`, `***`)."""
    if not profile:
        return None
    profile = profile.strip().strip("'\"`,;")
    if (not profile or _PLACEHOLDER.match(profile) or "redacted" in profile.lower() or len(profile) > 128
            or _CONTROL.search(profile)):
        return None
    return profile


def _profile_from_command(command: str) -> str | None:
    try:
        words = shlex.split(command, posix=True)
    except ValueError:
        words = command.split()
    for i, w in enumerate(words):
        if w == "--profile" and i + 1 < len(words):
            return _usable(words[i + 1])
        if w.startswith("--profile="):
            return _usable(w.split("=", 1)[1])
        if w.startswith(("AWS_PROFILE=", "AWS_DEFAULT_PROFILE=")):
            return _usable(w.split("=", 1)[1])
    return None


_PROFILE_HINTS = (
    r"--profile[= ]+['\"]?([^\s'\"]+)",
    r"'--profile', '([^']+)'",
    r"\bAWS_PROFILE=['\"]?([^\s'\"]+)",
    r"config profile \(([^)]+)\)",
    r"profile \"([^\"]+)\"",
    r"Profile '([^']+)'",
    r"profile=([^\s,.]+)",
)


def profile_in(text: str) -> str | None:
    """The profile the pasted text names, if it names one (and not a redaction of one)."""
    for pattern in _PROFILE_HINTS:
        for m in re.finditer(pattern, text):
            found = _usable(m.group(1))
            if found:
                return found
    return None


# --- redacting what people paste -------------------------------------------------------------------------

_SECRETS = (
    re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"),  # JWTs (client secrets, id tokens)
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # access key ids
    re.compile(r"(?i)((?:access[-_]?token|refresh[-_]?token|client[-_]?secret|aws_secret_access_key|"
               r"aws_session_token|secret[-_]?access[-_]?key|session[-_]?token|device[-_]?code|"
               r"x-amz-sso_bearer_token|password)[\"']?(?:\s*[:=]\s*|\s+)[\"']?)([^\s\"',}]+)"),
    re.compile(r"\b[A-Za-z0-9+/_-]{60,}={0,2}"),  # long opaque blobs (tokens) that named no key
    re.compile(r"(?i)(//[^:/@\s]+:)[^@\s]+(?=@)"),  # password in a URL
    re.compile(r"(?i)(\bbearer\s+)([^\s\"',}]+)"),
)


def redact_pasted(text: str) -> str:
    """Mask tokens, keys and passwords people paste along with an error, and make control characters
    visible (a pasted escape sequence must not drive the terminal it is echoed to), before echoing any of it."""
    for pattern in _SECRETS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "****", text)
        else:
            text = pattern.sub("****", text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


# C0 controls but tab and newline, DEL, and C1 controls (0x9b is a one-byte CSI on some terminals)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# --- matching and ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    rule: str
    confidence: float  # 0..1
    pattern: str  # the message pattern that matched (for "near" candidates: the nearest one)
    cause: str
    excerpt: str | None  # the matched part of the paste, redacted; None for "near" candidates
    src: str = ""


@dataclass(frozen=True)
class Explanation:
    pasted: Pasted
    recognised: bool
    candidates: tuple[Candidate, ...]  # best first; when not recognised: the nearest ones
    matches: tuple = field(default=())  # error_texts.Match, most specific first (compatibility)

    @property
    def rules(self) -> list[str]:
        return [c.rule for c in self.candidates]


def _specificity(known, matched: str) -> float:
    """How much a match says: the length of the message text it matched, less for a generic message,
    more for a narrower reading of a message another entry also matches."""
    length = min(len(matched.strip()), 60)
    if known.whole_line:
        length = max(length, 20)
    weight = 0.5 if known.generic else (1.25 if known.narrower else 1.0)
    return length * weight


def _confidence(score: float) -> float:
    # ~0.35 for an 8-character match, ~0.6 for "ForbiddenException", ~0.85 for a full message line
    return round(1 - math.exp(-score / _SCALE), 2)


def _hits(text: str):
    from sso_doctor import error_texts

    for index, known in enumerate(error_texts.KNOWN):
        best = None
        for m in known.pattern.finditer(text):
            if best is None or len(m.group(0)) > len(best.group(0)):
                best = m
        if best is not None:
            yield index, known, best


def explain(raw: str, limit: int = 3) -> Explanation:
    """Rank the rules that explain a pasted error text, most likely first."""
    from sso_doctor import error_texts

    pasted = normalize(raw)
    hits = sorted(_hits(pasted.text), key=lambda h: (-_specificity(h[1], h[2].group(0)), h[0]))
    present = _registered()
    scores: dict[str, tuple[float, int, object, str]] = {}
    order = 0
    for _index, known, m in hits:
        spec = _specificity(known, m.group(0))
        # a catalog id no rule answers to yet (error_texts.PLANNED_RULES) takes no place in the ranking
        for i, rule in enumerate(r for r in known.rules if r in present):
            score = spec * (_DECAY ** i)
            if rule not in scores or score > scores[rule][0]:
                scores[rule] = (score, scores[rule][1] if rule in scores else order, known, m.group(0))
            order += 1
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
    candidates = tuple(
        Candidate(rule=rule, confidence=_confidence(score), pattern=known.pattern.pattern,
                  cause=known.cause, excerpt=redact_pasted(matched.strip())[:200], src=known.src)
        for rule, (score, _o, known, matched) in ranked
    )
    matches = tuple(
        error_texts.Match(known, _usable(m.groupdict().get("profile")) if m.groupdict() else None)
        for _i, known, m in hits
    )
    if candidates and candidates[0].confidence >= RECOGNISED:
        return Explanation(pasted, True, candidates[:limit], matches)
    near = _nearest(pasted.text, limit, exclude={c.rule for c in candidates})
    return Explanation(pasted, False, (candidates + near)[:limit], matches)


def _registered() -> frozenset[str]:
    from sso_doctor.rules import by_id

    return frozenset(by_id())


def matches(text: str) -> list:
    """error_texts.match(): the known messages in the text, most specific first."""
    return list(explain(text).matches)


_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_STOP = frozenset(["the", "and", "for", "with", "this", "that", "not", "are", "was", "has", "have", "from", "any", "into", "but", "can", "could", "when", "you", "your", "its", "out", "run"])


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _pattern_words(pattern: str) -> set[str]:
    literal = re.sub(r"\(\?P<\w+>|\\[A-Za-z]|\[[^\]]*\]|[(){}*+?|^$.]", " ", pattern)
    return _words(literal.replace("\\", " "))


def _nearest(text: str, limit: int, exclude: set[str]) -> tuple[Candidate, ...]:
    """The known messages that share the most words with an unrecognised text (confidence < RECOGNISED)."""
    from sso_doctor import error_texts

    words = _words(text)
    if not words:
        return ()
    present = _registered()
    scored = []
    for index, known in enumerate(error_texts.KNOWN):
        if not any(r in present for r in known.rules):
            continue
        pw = _pattern_words(known.pattern.pattern)
        if not pw:
            continue
        common = len(words & pw)
        if common:
            scored.append((common / math.sqrt(len(pw) * len(words)), index, known))
    scored.sort(key=lambda s: (-s[0], s[1]))
    out: list[Candidate] = []
    seen = set(exclude)
    for similarity, _index, known in scored:
        rule = next(r for r in known.rules if r in present)
        if rule in seen:
            continue
        seen.add(rule)
        out.append(Candidate(rule=rule, confidence=round(min(RECOGNISED - 0.01, similarity * RECOGNISED), 2),
                             pattern=known.pattern.pattern, cause=known.cause, excerpt=None, src=known.src))
        if len(out) >= limit:
            break
    return tuple(out)


def next_check(result: Explanation, rules: dict) -> str:
    """The `sso-doctor check` that confirms the diagnosis on this machine: the profile the paste names,
    and --online when the likeliest rule needs the network (portal, endpoints)."""
    from sso_doctor.model import ONLINE_NEEDS
    from sso_doctor.text import shell_quote

    parts = ["sso-doctor", "check"]
    if result.pasted.profile:
        parts += ["--profile", shell_quote(result.pasted.profile)]
    top = rules.get(result.candidates[0].rule) if result.candidates else None
    if top is not None and top.needs & ONLINE_NEEDS:
        parts.append("--online")
    return " ".join(parts)
