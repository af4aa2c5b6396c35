"""Keep secrets out of every output.

One mechanism for every secret, wherever it comes from:

- Loaders register each secret they read with the run's `Secrets` (access and refresh tokens, client
  secrets, role credentials, static keys, and the password of any URL: proxies, endpoint overrides,
  start URLs, whose query string is masked too). `Secrets.add(value, replacement)` keeps what to show
  instead, so a registered URL becomes the same URL with `****` for its password.
- Findings never carry a secret. As the last line of defence `Secrets.redact` masks every registered
  value and, by shape, the password of any `scheme://user:password@` URL, in *values*: the report model's
  strings before a reporter serialises them (`sso_doctor.safe_text.map_strings`), a row of `sessions`,
  an error message, a log record. Never in serialised text, where masking a short secret such as `test`
  would corrupt XML tags or JSON keys.
- Values shorter than 8 characters are never hunted in free text (they would shred ordinary words);
  a short password in a URL is still masked by the URL's shape.

`redact` is one scan over the text whatever the number of secrets: an index of 8-character pieces of
every secret, probed every 8 characters of each non-blank run (a secret of 15 or more characters always
covers one probe), plus one compiled alternation for the few shorter or blank-holding secrets. A regex
alternation of thousands of 1-2 KB tokens (a big SSO cache) would take tens of seconds and hundreds of
MB to compile, and match slowly: sre tries the branches one by one at every position.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "****"
# Shorter strings are never looked for in free text: they would redact ordinary words.
MIN_HUNTED_LEN = 8

_K = 8  # the length of the indexed pieces
_STRIDE = 8  # probe every _STRIDE characters: secrets of _K + _STRIDE - 1 characters or more are indexed
_LONG = _K + _STRIDE - 1
_RUN = re.compile(r"\S{%d,}" % _K)

# `scheme://user:password@host`: the password of any URL, found by shape. The password runs to the last
# `@` before a blank or quote (urllib takes the last `@` of the authority as the end of the user info).
_URL_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@\"'<>`]*:)(?P<pw>[^\s\"'<>`]*?)"
                           r"(?P<tail>@(?![^\s\"'<>`]*@))")


# A value under a secret's field name, in the JSON, XML, headers and repr()s botocore logs at DEBUG (the
# portal's role credentials are logged in the response body before anyone could register them).
_SECRET_FIELDS = re.compile(
    r"(?i)(?P<head>[\"']?(?:secret_?access_?key|session_?token|security_?token|access_?token|refresh_?token"
    r"|client_?secret|x-amz-security-token|x-amz-sso_bearer_token|password)[\"']?\s*[:=]\s*b?[\"']?)"
    r"(?P<val>[^\"'\s,;}<>)]{4,})")
_SECRET_ELEMENTS = re.compile(r"(?i)(?P<head><(?:SecretAccessKey|SessionToken|SecurityToken)>)(?P<val>[^<]{4,})")
_FIELD_HINT = re.compile(r"(?i)secret|token|password")


def mask_secret_fields(text: str) -> str:
    """Values written under a secret's field name (`"secretAccessKey": "…"`, `<SessionToken>…`) masked."""
    low = text.lower()  # three substring tests cost a fraction of a case-insensitive regex search
    if "secret" not in low and "token" not in low and "password" not in low:
        return text
    text = _SECRET_FIELDS.sub(lambda m: m.group("head") + MASK, text)
    return _SECRET_ELEMENTS.sub(lambda m: m.group("head") + MASK, text)


_LIVE: weakref.WeakSet[Secrets] = weakref.WeakSet()
_FACTORY_LOCK = threading.Lock()
_factory_installed = False


def _install_log_redaction() -> None:
    """Mask registered secrets in every log record, from any logger (botocore logs request headers,
    bearer token included, at DEBUG). Installed once per process, on the first Secrets."""
    global _factory_installed
    with _FACTORY_LOCK:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if not _LIVE:
                return record
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not ours
                return record
            masked = redact_all(message)
            if masked != message:
                record.msg, record.args = masked, None
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


def redact_all(text: str) -> str:
    """`text` with every secret registered in this process masked (log records, last-resort errors)."""
    for secrets in list(_LIVE):
        text = secrets.redact(text)
    return mask_secret_fields(mask_url_passwords(text))


def mask_url_passwords(text: str) -> str:
    """The password of every `scheme://user:password@host` in `text` replaced by the mask."""
    if "@" not in text or "://" not in text:
        return text
    return _URL_USERINFO.sub(lambda m: m.group("head") + MASK + m.group("tail") if m.group("pw") else m.group(0),
                             text)


class Secrets:
    """The secret values seen in one run. Thread-safe: online probes register from worker threads."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}  # secret -> what to show instead
        self._lock = threading.Lock()
        self._index: _Index | None = None
        _install_log_redaction()
        _LIVE.add(self)  # last: a record logged from another thread may look at it at once

    def add(self, value: object, replacement: str = MASK) -> None:
        """Register a secret (ignored when shorter than MIN_HUNTED_LEN): `replacement` is shown instead."""
        if not isinstance(value, str) or len(value) < MIN_HUNTED_LEN or value == replacement:
            return
        with self._lock:
            if value not in self._values:
                self._values[value] = replacement
                self._index = None

    def add_url(self, value: object, *, start_url: bool = False) -> str | None:
        """Register the password of a URL (and, for a start URL, its query string). Returns the URL as it
        may be shown, or None when it holds nothing to hide."""
        if not isinstance(value, str):
            return None
        if "@" not in value and not (start_url and "?" in value):
            return None  # no user info and no query: nothing to hide (the common case, thousands of times)
        shown, found = mask_url(value, query=start_url)
        if shown == value:
            return None
        self.add(value, shown)
        for s in found:
            self.add(s)
        return shown

    def __len__(self) -> int:
        return len(self._values)

    def _current(self) -> _Index:
        with self._lock:
            if self._index is None:
                self._index = _Index(self._values)
            return self._index

    def redact(self, text: str) -> str:
        """`text` with every registered secret, and every URL password, masked. One scan over the text."""
        if not isinstance(text, str):
            return text
        if self._values and len(text) >= MIN_HUNTED_LEN:
            # the index is replaced, never changed, when a secret is added: reading it needs no lock
            text = (self._index or self._current()).apply(text)
        return mask_secret_fields(mask_url_passwords(text))


class _Index:
    """The lookup tables of one set of secrets (rebuilt when a secret is added)."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(values)
        pieces: dict[str, list[tuple[int, str]]] = {}
        get = pieces.get
        short: list[str] = []
        offsets = range(_STRIDE)
        for s in self.values:
            if len(s) >= _LONG and s.split() == [s]:  # no blank: it lies inside one run
                for off in offsets:
                    piece = s[off:off + _K]
                    found = get(piece)
                    if found is None:
                        pieces[piece] = [(off, s)]
                    else:
                        found.append((off, s))
            else:
                short.append(s)
        self.pieces = pieces
        short.sort(key=len, reverse=True)
        # a lookahead finds every start, so overlapping secrets are masked whole (their union)
        self.short = re.compile("(?=(" + "|".join(map(re.escape, short)) + "))") if short else None

    def apply(self, text: str) -> str:
        spans: list[tuple[int, int, str]] = []
        pieces = self.pieces
        if pieces:
            for run in _RUN.finditer(text):
                start, end = run.span()
                for j in range(start, end - _K + 1, _STRIDE):
                    hits = pieces.get(text[j:j + _K])
                    if hits:
                        for off, secret in hits:
                            i = j - off
                            if i >= start and text.startswith(secret, i):
                                spans.append((i, i + len(secret), secret))
        if self.short is not None:
            spans.extend((m.start(), m.start() + len(m.group(1)), m.group(1)) for m in self.short.finditer(text))
        if not spans:
            return text
        spans.sort(key=lambda s: (s[0], -s[1]))
        out: list[str] = []
        last = 0
        cur_start, cur_end, cur_secret = spans[0]
        merged = False
        for s, e, secret in spans[1:]:
            if s < cur_end:  # overlapping secrets: mask the union
                if e > cur_end:
                    cur_end, merged = e, True
                continue
            out += [text[last:cur_start], MASK if merged else self.values[cur_secret]]
            last = cur_end
            cur_start, cur_end, cur_secret, merged = s, e, secret, False
        out += [text[last:cur_start], MASK if merged else self.values[cur_secret], text[cur_end:]]
        return "".join(out)


# --- URLs ----------------------------------------------------------------------------------------

_SCHEME_SLASHES = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//")


def _password_span(value: str) -> tuple[int, int] | None:
    """Where the password of `[scheme:]//user:password@host` or `user:password@host` is.

    Positional on purpose: the user info runs to the last `@`, so a password holding `/`, `#` or `@`
    (which urllib misreads as path or fragment) is still found whole.
    """
    m = _SCHEME_SLASHES.match(value)
    start = m.end() if m else 0
    at = value.rfind("@", start)
    if at < 0:
        return None
    user, sep, password = value[start:at].partition(":")
    if not sep or not password:
        return None
    begin = start + len(user) + 1
    return begin, begin + len(password)


def mask_url(value: str, *, query: bool = False) -> tuple[str, list[str]]:
    """(the URL with its password masked, the password spellings to register as secrets).

    Masked by position rather than by re-assembling the URL: that lower-cases the scheme (hiding the
    `HTTP://` botocore cannot use) and leaves a password urllib misreads (an unencoded `/` or `#` in it)
    in the clear. urllib's own reading is registered too. With `query`, the query string is masked as
    well (a start URL has no business carrying one).
    """
    strict = url_password(value)
    found = [strict, unquote(strict)] if strict else []
    span = _password_span(value)
    if span is None:
        shown = MASK if strict else value  # urllib sees a password we cannot place: show nothing
    else:
        password = value[span[0]:span[1]]
        found += [password, unquote(password)]
        shown = value[:span[0]] + MASK + value[span[1]:]
    if query and shown != MASK:
        q = shown.find("?", span[0] + len(MASK) if span else 0)
        if q >= 0 and shown[q + 1:].strip():
            found.append(shown[q + 1:].split("#", 1)[0])
            shown = shown[:q + 1] + MASK
    return shown, [s for s in dict.fromkeys(found) if s]


def mask_url_password(url: str) -> str:
    """`http://user:pass@host:3128` -> `http://user:****@host:3128`; anything else unchanged."""
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
    except ValueError:
        return _mask_userinfo_loosely(url)
    if parts.password is None:
        return url
    netloc = parts.netloc
    userinfo, _, hostport = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    masked = urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{hostport}"))
    return masked if "://" in url else masked.split("://", 1)[1]


def _mask_userinfo_loosely(text: str) -> str:
    return re.sub(r"(//[^:/@\s]*:)[^@\s]*@", r"\1" + MASK + "@", text)


def url_password(url: str) -> str | None:
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
        return parts.password
    except ValueError:
        m = re.search(r"//[^:/@\s]*:([^@\s]*)@", url)
        return m.group(1) if m else None
