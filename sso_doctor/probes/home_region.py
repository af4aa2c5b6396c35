"""Is `sso_region` the home region of the Identity Center instance behind an `*.awsapps.com` start URL?

Nothing in such a URL names the region, and a wrong `sso_region` is one of the most reported causes of
failing logins: OIDC answers `InvalidRequestException` to StartDeviceAuthorization (or the browser shows
"invalid_grant") because no instance with that start URL exists in that region.

The only public way to ask is the first step of the login flow, exactly as `aws sso login
--use-device-code` takes it: RegisterClient (a public OIDC client, no credentials) and
StartDeviceAuthorization with the start URL. The device code is never shown to anyone and expires
unused within minutes; neither call needs or changes any credential, and neither shows up in the
access portal or the Identity Center console. A valid cached token for the same start URL and region
already proves the region right, so no call is made then.

Sources: the SSO-OIDC API reference (RegisterClient, StartDeviceAuthorization, "InvalidRequestException:
Indicates that something is wrong with the input to the request"), and public reports of the symptom,
e.g. github.com/aws/aws-cli/issues/5058 and /7129.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from sso_doctor.probes.portal import Call, _call, load_token, token_cache_dir
from sso_doctor.probes.targets import ProfileClients
from sso_doctor.redact import Secrets

# hosts whose start URLs do not encode the instance's region (`*.portal.<r>.app.aws` does: SSO114)
REGIONLESS_HOST_SUFFIXES = (".awsapps.com", ".awsapps.cn")
CLIENT_NAME = "sso-doctor-home-region-check"


class RegionCheck(NamedTuple):
    """One (start URL, sso_region) pair. state: home, not-home, token (proved by a cached token),
    network, error, pending."""

    start_url: str
    region: str
    profiles: tuple[str, ...]
    state: str
    call: Call | None = None


def needs_check(start_url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(start_url.strip()).hostname or "").lower()
    except ValueError:
        return False
    return host.endswith(REGIONLESS_HOST_SUFFIXES)


class RegionRun:
    """One check per distinct (start URL, sso_region) among the selected profiles, run concurrently."""

    def __init__(self, clients: Mapping[str, ProfileClients], home: str | None, now, secrets: Secrets,
                 deadline: float) -> None:
        self.deadline = deadline
        self.secrets = secrets
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], RegionCheck] = {}
        self._done: dict[tuple[str, str], threading.Event] = {}
        self._threads: list[threading.Thread] = []
        groups: dict[tuple[str, str], list[str]] = {}
        first: dict[tuple[str, str], ProfileClients] = {}
        for name, pc in clients.items():
            url, region = (pc.sso.start_url or "").strip(), pc.sso.region or ""
            if not url or not region or not needs_check(url):
                continue
            key = (url, region)
            groups.setdefault(key, []).append(name)
            first.setdefault(key, pc)
        cache_dir = token_cache_dir(home)
        for key, names in groups.items():
            pc = first[key]
            done = threading.Event()
            self._done[key] = done
            if _token_proves(cache_dir, pc, key, now, secrets):
                self._results[key] = RegionCheck(key[0], key[1], tuple(names), "token")
                done.set()
                continue
            self._results[key] = RegionCheck(key[0], key[1], tuple(names), "pending")
            self._threads.append(threading.Thread(target=self._run, args=(key, pc, tuple(names)), daemon=True,
                                                  name=f"sso-doctor-region-{key[1]}"))

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def results(self, until: float) -> list[RegionCheck]:
        import time

        for event in self._done.values():
            event.wait(max(0.0, until - time.monotonic()))
        with self._lock:
            return list(self._results.values())

    def _run(self, key: tuple[str, str], pc: ProfileClients, names: tuple[str, ...]) -> None:
        try:
            result = self._check(key, pc, names)
        except Exception as e:  # noqa: BLE001 - a probe never crashes the run
            result = RegionCheck(key[0], key[1], names, "error", Call("error", type(e).__name__))
        with self._lock:
            self._results[key] = result
        self._done[key].set()

    def _check(self, key: tuple[str, str], pc: ProfileClients, names: tuple[str, ...]) -> RegionCheck:
        registered, reg = _call(lambda: pc.oidc.register_client(clientName=CLIENT_NAME, clientType="public"),
                                self.secrets)
        if registered.state != "ok":
            return RegionCheck(key[0], key[1], names, registered.state, registered)
        client_id, client_secret = reg.get("clientId", ""), reg.get("clientSecret", "")
        self.secrets.add(client_secret)
        started, auth = _call(lambda: pc.oidc.start_device_authorization(
            clientId=client_id, clientSecret=client_secret, startUrl=key[0]), self.secrets)
        if started.state == "ok":
            for k in ("deviceCode", "userCode", "verificationUriComplete"):
                self.secrets.add((auth or {}).get(k))
            return RegionCheck(key[0], key[1], names, "home", started)
        if started.state == "error" and started.code == "InvalidRequestException":
            return RegionCheck(key[0], key[1], names, "not-home", started)
        return RegionCheck(key[0], key[1], names, started.state, started)


def _token_proves(cache_dir: Path | None, pc: ProfileClients, key: tuple[str, str], now, secrets: Secrets) -> bool:
    """A usable cached token for this start URL, issued in this region, proves the region right."""
    import json

    state, _detail, _token = load_token(cache_dir, pc.sso.start_url or "", pc.sso.session_name, now, secrets)
    if state != "usable" or cache_dir is None:
        return False
    from sso_doctor.loaders.token_cache import MAX_CACHE_FILE_BYTES, token_cache_key

    path = cache_dir / f"{token_cache_key(pc.sso.start_url or '', pc.sso.session_name)}.json"
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read(MAX_CACHE_FILE_BYTES))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("region") == key[1] and (doc.get("startUrl") or "").strip() == key[0]
