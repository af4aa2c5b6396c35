"""Stable placeholders for identifying values in a report meant for a ticket.

Account ids and names, start URLs, sso-session names derived from them, token cache file names (the
SHA-1 of a start URL or session name), email addresses, user names and host names (the machine's, a
proxy's, an endpoint override's) become `<account-3f2a9c>`, `<start-url-…>`, `<cache-key-…>`, `<email-…>`,
`<user-…>`, `<host-…>`. The suffix is a keyed hash (HMAC-SHA256) of the value with a key derived from
this machine and user, so two reports from the same machine line up while the placeholder reveals
nothing usable: 24 bits of a keyed hash leave ~60,000 candidates for even a 12-digit account id.
Nothing is stored: the key is recomputed from the machine id on every run (check writes nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import socket
from collections.abc import Iterable
from pathlib import Path

_ACCOUNT = re.compile(r"(?<![\d.])\d{12}(?![\d.])")
_START_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+\.(?:awsapps\.com|awsapps\.cn|app\.aws|amazonaws\.com(?:\.cn)?|amazonaws\.eu)"
    r"(?:/[^\s\"'`<>)\]]*)?"
)


# An email address (a user name in a role-session name, `--user` of triage): replaced whole, before the
# known user names, so no half of it is left.
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?![\w-])")
# A token cache file name: the SHA-1 of a start URL (legacy profiles) or of an sso-session name, which a
# list of company URLs or names would reverse.
_CACHE_KEY = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])")


def machine_key(machine_id_paths: Iterable[str] = ("/etc/machine-id", "/var/lib/dbus/machine-id")) -> bytes:
    """A per-machine, per-user key; never written anywhere."""
    seed = b""
    for p in machine_id_paths:
        try:
            seed = Path(p).read_bytes().strip()
            break
        except OSError:
            continue
    if not seed:
        seed = socket.gethostname().encode()
    uid = str(os.getuid()).encode() if hasattr(os, "getuid") else b""
    return hashlib.sha256(b"sso-doctor/anonymize/v1\0" + seed + b"\0" + uid).digest()


class Anonymizer:
    """Replace known identifying values, and anything shaped like an account id or start URL."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else machine_key()
        self._known: dict[str, str] = {}  # value -> kind

    def placeholder(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()[:6]
        return f"<{kind}-{digest}>"

    def add(self, kind: str, value: str | None) -> None:
        # very short values (a user "me", host "a") would shred ordinary words; they are not identifying
        if value and len(value) >= 3:
            self._known.setdefault(value, kind)

    def apply(self, text: str) -> str:
        # Start URLs first (they contain host names), then known values longest first, then shapes.
        text = _START_URL.sub(lambda m: self.placeholder("start-url", m.group(0).rstrip(".,;:")) +
                              m.group(0)[len(m.group(0).rstrip(".,;:")):], text)
        text = _EMAIL.sub(lambda m: self.placeholder("email", m.group(0)), text)
        text = _CACHE_KEY.sub(lambda m: self.placeholder("cache-key", m.group(0)), text)
        for value in sorted(self._known, key=len, reverse=True):
            # Most known values (every account of a big config) are not in a report at all: a
            # substring test skips them before a regex is compiled and run over the whole text.
            if value not in text:
                continue
            pattern = re.compile(r"(?<![\w.-])" + re.escape(value) + r"(?![\w-])")
            text = pattern.sub(self.placeholder(self._known[value], value), text)
        text = _ACCOUNT.sub(lambda m: self.placeholder("account", m.group(0)), text)
        return text
