"""Hypothesis fuzzing of every input sso-doctor reads: 0 tracebacks, exit codes only 0/1/2.

In-process (fast): the whole offline engine (`runner.check`, every rule, a random output format) on
a fake HOME in a temp folder, plus `sessions` for the token cache, for generated
- config files (sections, keys botocore knows, nesting, continuations, junk, undecodable bytes),
- credentials files,
- token-cache JSON (our own key and a foreign file; timestamps with wild offsets and far dates),
- settings files (TOML, the user's ~/.config/sso-doctor/config.toml),
- environment values (AWS_*, proxies, CA variables, SSO_DOCTOR_* settings).
A run passes when it ends in a report with exit code 0/1 and no rule crashed (SSO001), or in a
usage error (RequestError: exit 2). Anything else raised is a crash.

Through the real CLI (a subprocess each, so fewer cases): all of the above at once, `check --offline`
in every format and `sessions`, asserting the exit code and that stderr holds no traceback.

Cases per CI run: 600 + 300 + 400 + 300 + 400 = 2,000 in-process, and 10 CLI cases x 3 commands
(~40 s on the shared 2-core development machine).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import pytest
from conftest import windows_essentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sso_doctor import reporters, runner, sessions
from sso_doctor.context import Context

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
FORMATS = tuple(reporters.names())
SESSION_KEY = hashlib.sha1(b"corp").hexdigest()

# SSO_DOCTOR_FUZZ_SCALE=10 for a deeper run by hand; CI runs the counts written below.
_SCALE = float(os.environ.get("SSO_DOCTOR_FUZZ_SCALE") or 1)


def n(examples: int) -> int:
    return max(1, int(examples * _SCALE))


FAST = settings(deadline=None, database=None, derandomize=False, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# --- building blocks ---------------------------------------------------------------------------------

odd_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
name = st.one_of(st.sampled_from(["dev", "prod", "corp", "default", "a b", "dev ", "Dev", "ü", "x" * 300, ""]),
                 odd_text)
url = st.one_of(
    st.sampled_from([
        "https://d-1234567890.awsapps.com/start", "https://d-1234567890.awsapps.com/start/#/",
        "http://u:pw@corp.example/start?x=1", "https://[::1]:99999/", "https://", "ftp://x", "not a url",
        "https://corp.awsapps.com/start\x1b[2K", "https://d-1234567890.awsapps.com:0/start",
    ]),
    st.builds(lambda h, p: f"https://{h}/{p}", odd_text, odd_text),
)
region = st.one_of(st.sampled_from(["us-east-1", "eu-west-1", "", "us-east-1 ", "mars-1", "US-EAST-1"]), odd_text)
account = st.one_of(st.sampled_from(["111111111111", "1234", "abc", "", "0" * 40]), odd_text)
value = st.one_of(url, region, account, name, odd_text)
config_key = st.sampled_from([
    "sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name", "region",
    "sso_registration_scopes", "ca_bundle", "credential_process", "endpoint_url", "services",
    "source_profile", "role_arn", "output", "aws_access_key_id", "aws_secret_access_key",
    "aws_session_token", "ignore_configured_endpoint_urls", "s3", "sso", "max_attempts", "retry_mode",
])
header = st.one_of(
    st.builds(lambda n: f"[profile {n}]", name), st.builds(lambda n: f"[sso-session {n}]", name),
    st.builds(lambda n: f"[services {n}]", name), st.builds(lambda n: f"[{n}]", name),
    st.sampled_from(["[default]", "[profile]", "[Profile dev]", "[profiledev]", "[", "[]", "[sso-session]"]),
)
config_line = st.one_of(
    header,
    st.builds(lambda k, v: f"{k} = {v}", config_key, value),
    st.builds(lambda k, v: f"{k}={v}", config_key, value),
    st.builds(lambda k, v: f"  {k} = {v}", config_key, value),  # nested / continuation
    st.builds(lambda k: f"{k} =", config_key),
    st.sampled_from(["", "# comment", "; comment", "   ", "\t", "key", "= value", "\ufeff[default]", "[default]\r"]),
    odd_text,
)
config_text = st.lists(config_line, max_size=25).map("\n".join)
config_bytes = st.one_of(
    config_text.map(lambda t: t.encode("utf-8")),
    st.binary(max_size=200),
    st.builds(lambda t, b: t.encode("utf-8") + b, config_text, st.binary(max_size=20)),
)

timestamp = st.one_of(
    st.sampled_from([
        "2099-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "2026-06-01T12:00:00UTC", "2026-06-01T12:00:00",
        "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+99:00", "2026-01-01T00:00:00-99:59",
        "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
        "2026-13-45T99:99:99Z", "", "tomorrow", "1e309", "2026-06-01T12:00:00+05:30",
    ]),
    st.builds(lambda y, h, m, sign: f"{y:04d}-06-01T12:00:00{sign}{h:02d}:{m:02d}",
              st.integers(1, 9999), st.integers(0, 99), st.integers(0, 99), st.sampled_from("+-")),
    st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(), odd_text,
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), odd_text)
json_value = st.recursive(json_scalar, lambda c: st.one_of(st.lists(c, max_size=3),
                                                           st.dictionaries(odd_text, c, max_size=3)), max_leaves=6)
token_doc = st.fixed_dictionaries(
    {},
    optional={
        "startUrl": st.one_of(url, json_value), "region": st.one_of(region, json_value),
        "accessToken": st.one_of(st.just("fuzz-access-token-0123456789"), json_value),
        "expiresAt": timestamp, "refreshToken": st.one_of(st.just("fuzz-refresh-token-0123456789"), json_value),
        "clientId": st.one_of(st.just("client"), json_value),
        "clientSecret": st.one_of(st.just("fuzz-client-secret-0123456789"), json_value),
        "registrationExpiresAt": timestamp,
    },
)
cache_text = st.one_of(
    token_doc.map(json.dumps),
    json_value.map(json.dumps),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),  # deep nesting
    odd_text,
    st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
)

toml_scalar = st.one_of(
    st.sampled_from(['"SSO201"', '"SSO2"', '"error"', '"warning"', '"info"', '"never"', "true", "false", "0",
                     "0.05", "3", "-1", "inf", "nan", "1e400", '"x"', '""', '"ALL"', '"SSO999"']),
    st.integers().map(str), odd_text.map(json.dumps),
)
toml_value = st.one_of(
    toml_scalar,
    st.lists(toml_scalar, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.dictionaries(st.sampled_from(["SSO201", "SSO1", "dev-*", "x", "SSO121"]), toml_scalar, max_size=3).map(
        lambda d: "{" + ", ".join(f'"{k}" = {v}' for k, v in d.items()) + "}"),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
)
settings_key = st.sampled_from(["select", "extend-select", "ignore", "fail-on", "offline", "timeout", "severity",
                                "per-profile-ignores", "unknown", "Select"])
settings_text = st.one_of(
    st.lists(st.builds(lambda k, v: f"{k} = {v}", settings_key, toml_value), max_size=6).map("\n".join),
    odd_text,
)

env_names = st.sampled_from([
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_SDK_LOAD_CONFIG", "AWS_STS_REGIONAL_ENDPOINTS", "SSO_DOCTOR_SELECT", "SSO_DOCTOR_IGNORE",
    "SSO_DOCTOR_EXTEND_SELECT", "SSO_DOCTOR_FAIL_ON", "SSO_DOCTOR_OFFLINE", "SSO_DOCTOR_TIMEOUT",
    "SSO_DOCTOR_SEVERITY", "SSO_DOCTOR_PLATFORM", "XDG_CONFIG_HOME", "BROWSER", "DISPLAY", "SHELL",
])
env_value = st.one_of(value, st.sampled_from(["", " ", "~", "~/x", ".", "/", "/dev/zero", "/etc", "1", "0", "true",
                                              "SSO201=warning", "http://u:p@[::1", "10.0.0.0/8,.corp", "*"]))
env_values = st.dictionaries(env_names, env_value, max_size=6)

# --- the harness ------------------------------------------------------------------------------------

BASE_CONFIG = (
    "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\nregion = us-east-1\n\n"
    "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n"
)


class Home:
    """A fake HOME in a temp folder (with an empty PATH folder: no `aws`), reused case after case: each
    case's files are removed when it ends (removing folders costs more than a whole engine run)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="sso-doctor-fuzz-")
        self.root = Path(self._dir.name)
        self.home = self.root / "home"
        (self.home / ".aws" / "sso" / "cache").mkdir(parents=True)
        (self.root / "bin").mkdir()
        self._written: list[Path] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        for path in self._written:
            path.unlink(missing_ok=True)
        self._written.clear()

    def close(self) -> None:
        self._dir.cleanup()

    def write(self, rel: str, data: str | bytes) -> None:
        path = self.home / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        path.write_bytes(data)
        self._written.append(path)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {"HOME": str(self.home), **windows_essentials(self.home), "PATH": str(self.root / "bin"), "AWS_PROFILE": "dev"}
        env.update(extra or {})
        return env


@pytest.fixture(scope="module")
def home() -> Iterator[Home]:
    h = Home()
    yield h
    h.close()


def check_in_process(env: dict[str, str], fmt: str, all_profiles: bool = False) -> None:
    """One full offline run; fails the test on anything but a report (exit 0/1) or a usage error."""
    try:
        outcome = runner.check(runner.CheckRequest(offline=True, env=env, now=NOW, output_format=fmt,
                                                   all_profiles=all_profiles, verbose=True))
    except runner.RequestError:
        return  # the CLI prints it and exits 2
    text = outcome.render()
    assert isinstance(text, str)
    assert outcome.exit_code in (0, 1)
    crashed = [f for f in outcome.report.findings if f.rule_id == "SSO001"]
    assert not crashed, "\n".join(f"{f.message}\n{f.detail}" for f in crashed)


def sessions_in_process(env: dict[str, str], fmt: str) -> None:
    ctx = Context(env=env, now=NOW)
    assert isinstance(sessions.render(ctx, fmt), str)


@settings(FAST, max_examples=n(600))
@given(config=config_bytes, fmt=st.sampled_from(FORMATS), all_profiles=st.booleans())
def test_fuzz_config_file(home: Home, config: bytes, fmt: str, all_profiles: bool) -> None:
    with home as h:
        h.write(".aws/config", config)
        check_in_process(h.env(), fmt, all_profiles)


@settings(FAST, max_examples=n(300))
@given(credentials=config_bytes, fmt=st.sampled_from(FORMATS))
def test_fuzz_credentials_file(home: Home, credentials: bytes, fmt: str) -> None:
    with home as h:
        h.write(".aws/config", BASE_CONFIG)
        h.write(".aws/credentials", credentials)
        check_in_process(h.env(), fmt, all_profiles=True)


@settings(FAST, max_examples=n(400))
@given(own=cache_text, foreign=cache_text, fmt=st.sampled_from(FORMATS), listing=st.sampled_from(["text", "json"]))
def test_fuzz_token_cache(home: Home, own: str, foreign: str, fmt: str, listing: str) -> None:
    with home as h:
        h.write(".aws/config", BASE_CONFIG)
        h.write(f".aws/sso/cache/{SESSION_KEY}.json", own)
        h.write(".aws/sso/cache/0123456789abcdef0123456789abcdef01234567.json", foreign)
        check_in_process(h.env(), fmt)
        sessions_in_process(h.env(), listing)


@settings(FAST, max_examples=n(300))
@given(table=settings_text, fmt=st.sampled_from(FORMATS))
def test_fuzz_settings_file(home: Home, table: str, fmt: str) -> None:
    with home as h:
        h.write(".aws/config", BASE_CONFIG)
        h.write(".config/sso-doctor/config.toml", table)
        check_in_process(h.env(), fmt)


@settings(FAST, max_examples=n(400))
@given(extra=env_values, fmt=st.sampled_from(FORMATS))
def test_fuzz_environment(home: Home, extra: dict[str, str], fmt: str) -> None:
    with home as h:
        h.write(".aws/config", BASE_CONFIG)
        env = h.env()
        for k, v in extra.items():  # paths in variables point into the fake HOME when relative-looking
            env[k] = v.replace("~", str(h.home), 1) if v.startswith("~") else v
        check_in_process(env, fmt)


# --- through the real CLI ------------------------------------------------------------------------------


@settings(max_examples=n(10), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(config=config_bytes, own=cache_text, table=settings_text, extra=env_values, fmt=st.sampled_from(FORMATS),
       encoding=st.sampled_from(["utf-8", "cp1252", "ascii"]))
def test_fuzz_real_cli(home: Home, config: bytes, own: str, table: str, extra: dict[str, str], fmt: str, encoding: str) -> None:
    with home as h:
        h.write(".aws/config", BASE_CONFIG.encode() + b"\n" + config)
        h.write(f".aws/sso/cache/{SESSION_KEY}.json", own)
        h.write(".config/sso-doctor/config.toml", table)
        env = h.env(extra)
        env.update({"SSO_DOCTOR_NOW": "2026-06-01T12:00:00Z", "PYTHONIOENCODING": encoding, "LANG": "C.UTF-8"})
        for argv in (["check", "--offline", "--format", fmt], ["check", "--offline", "-v"], ["sessions"]):
            p = subprocess.run([sys.executable, "-m", "sso_doctor", *argv], env=env,
                               cwd=h.root, capture_output=True, timeout=60, check=False)
            err = p.stderr.decode("utf-8", "replace")
            assert p.returncode in (0, 1, 2), (argv, p.returncode, err)
            assert "Traceback" not in err and "internal error" not in err, (argv, err)
            if p.returncode in (0, 1):
                assert p.stdout, argv
