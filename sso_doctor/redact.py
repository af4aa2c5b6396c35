"""Keep secrets out of every output.

Loaders register each secret they read (access and refresh tokens, client secrets, role credentials,
proxy passwords) with the run's `Secrets`. Findings never carry them; as a second line of defence the
CLI passes every byte it prints or writes through `Secrets.redact`.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from urllib.parse import urlsplit, urlunsplit

MASK = "****"
# Shorter strings would redact ordinary words; real tokens and passwords are longer.
_MIN_SECRET_LEN = 4


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
    return text


class Secrets:
    """The secret values seen in one run. Thread-safe: online probes register from worker threads."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._ordered: tuple[str, ...] | None = None
        _install_log_redaction()
        _LIVE.add(self)  # last: a record logged from another thread may look at it at once

    def add(self, value: object) -> None:
        if not isinstance(value, str) or len(value) < _MIN_SECRET_LEN:
            return
        with self._lock:
            if value not in self._values:
                self._values.add(value)
                self._ordered = None

    def __len__(self) -> int:
        return len(self._values)

    def redact(self, text: str) -> str:
        with self._lock:
            if self._ordered is None:
                # longest first, so a secret containing another is masked whole. Plain substring
                # search: one regex alternation of thousands of 1-2 KB tokens (a big SSO cache) takes
                # tens of seconds and hundreds of MB to compile.
                self._ordered = tuple(sorted(self._values, key=len, reverse=True))
            ordered = self._ordered
        for value in ordered:
            if value in text:
                text = text.replace(value, MASK)
        return text


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
