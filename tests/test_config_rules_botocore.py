"""SSO105-SSO109 must agree with botocore's own SSO validation, profile by profile.

For every profile of many configs (the scenario fixtures, botocore's own test configs in
/work/shared/peer-data/botocore-cfg, and generated profile/sso-session combinations) we run the real
`botocore.session.Session(profile=P).get_component("credential_provider").get_provider("sso").load()`
(no network: load() only validates and builds a deferred credential object) next to our rules with P
selected, and require:

* botocore raises InvalidConfigError  <=>  an error-severity SSO105/106/107/108/109 finding names P
  (its `profiles` evidence), leaving out SSO108's "selected login-only profile" case, which botocore
  answers with None (no SSO credentials) rather than an error;
* the kind agrees: "sso-session does not exist" <-> SSO105, "value for K is inconsistent" <-> SSO109
  on key K, "missing required configuration: a, b" <-> exactly the keys SSO106/107/108 report missing;
* `botocore_refusal` (quoted in our messages) is botocore's message, word for word.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import botocore.session
import pytest
from botocore.exceptions import ConfigParseError, InvalidConfigError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sso_doctor.rules.config import (
    botocore_refusal,
    incomplete_sso_profile,
    inconsistent_sso_values,
    missing_sso_region,
    missing_start_url,
    sso_session_not_found,
)

from sso_doctor.context import Context, RunSettings
from sso_doctor.model import Finding, Severity, SkipRule

ROOT = Path(__file__).resolve().parent.parent
PEER = Path("/work/shared/peer-data/botocore-cfg")
SSO_RULES = (sso_session_not_found, missing_start_url, missing_sso_region, incomplete_sso_profile,
             inconsistent_sso_values)


@contextmanager
def botocore_env(config: Path, credentials: Path, home: Path) -> Iterator[None]:
    """os.environ as botocore should see it: only our two files and a throwaway HOME."""
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "HOME": str(home),
           "PATH": os.environ.get("PATH", "")}
    with mock.patch.dict(os.environ, env, clear=True):
        yield


def botocore_profiles(config: Path, credentials: Path, home: Path) -> list[str] | None:
    with botocore_env(config, credentials, home):
        try:
            return list(botocore.session.Session().full_config["profiles"])
        except ConfigParseError:
            return None


def botocore_sso(config: Path, credentials: Path, home: Path, profile: str) -> tuple[str, str | None]:
    """('error', message) | ('none', None) | ('credentials', None) from botocore's SSO provider."""
    with botocore_env(config, credentials, home):
        session = botocore.session.Session(profile=profile)
        provider = session.get_component("credential_provider").get_provider("sso")
        try:
            creds = provider.load()
        except InvalidConfigError as e:
            return "error", str(e)
    return ("none", None) if creds is None else ("credentials", None)


def our_findings(config: Path, credentials: Path, home: Path, profile: str) -> list[Finding]:
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "HOME": str(home)}
    ctx = Context(RunSettings(profiles=(profile,)), env=env)
    out: list[Finding] = []
    for r in SSO_RULES:
        try:
            out.extend(r.check(ctx))
        except SkipRule:
            pass
    return out


def naming(findings: list[Finding], profile: str) -> list[Finding]:
    return [f for f in findings if profile in dict(f.evidence).get("profiles", ())]


def assert_agrees(config: Path, credentials: Path, home: Path) -> int:
    """Check every profile of one config; returns how many profiles were compared."""
    names = botocore_profiles(config, credentials, home)
    if names is None:
        return 0
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "HOME": str(home)}
    cfg = Context(env=env).parsed_config()
    assert sorted(cfg.profiles) == sorted(names)
    for profile in names:
        outcome, message = botocore_sso(config, credentials, home, profile)
        mine = naming(our_findings(config, credentials, home, profile), profile)
        errors = [f for f in mine if f.severity == Severity.ERROR]
        login_only = [f for f in errors if f.rule_id == "SSO108"
                      and dict(f.evidence)["missing"] == ("sso_role_name", "sso_account_id")]
        real = [f for f in errors if f not in login_only]
        where = f"profile {profile!r} of {config.read_text(errors='replace')!r} / {credentials}"
        assert botocore_refusal(cfg, cfg.profiles[profile]) == message, where
        if outcome != "error":
            assert real == [], where
            if login_only:
                assert outcome == "none", where
            continue
        assert real, f"botocore says {message!r} but we report nothing for {where}"
        ids = {f.rule_id for f in real}
        assert message is not None
        if "sso-session does not exist" in message:
            assert "SSO105" in ids, where
        elif "is inconsistent between profile" in message:
            key = message.split("The value for ", 1)[1].split(" ", 1)[0]
            assert "SSO105" not in ids, where
            assert key in {dict(f.evidence)["key"] for f in real if f.rule_id == "SSO109"}, where
        else:
            assert "missing required configuration: " in message, message
            said = set(message.rsplit(": ", 1)[1].split(", "))
            assert ids <= {"SSO106", "SSO107", "SSO108"}, where
            reported = {k for f in real for k in dict(f.evidence)["missing"]}
            assert reported == said, where
    return len(names)


# --- fixed inputs ------------------------------------------------------------------------------------


def _fixture_homes() -> list[Path]:
    return sorted(p for p in (ROOT / "fixtures").glob("*/home") if (p / ".aws" / "config").is_file())


@pytest.mark.parametrize("home", _fixture_homes(), ids=lambda p: p.parent.name)
def test_agrees_with_botocore_on_fixtures(home):
    config, credentials = home / ".aws" / "config", home / ".aws" / "credentials"
    assert_agrees(config, credentials, home)


def _peer_files() -> list[Path]:
    return sorted(p for p in PEER.iterdir() if p.is_file() and p.name != "LICENSE.txt") if PEER.is_dir() else []


@pytest.mark.skipif(not PEER.is_dir(), reason="peer data not available")
def test_agrees_with_botocore_on_botocores_own_test_configs(tmp_path):
    compared = 0
    for f in _peer_files():
        compared += assert_agrees(f, PEER / "aws_credentials", tmp_path)
        compared += assert_agrees(f, tmp_path / "no-credentials", tmp_path)
    assert compared > 10  # the set holds real profiles; an empty comparison proves nothing


def test_agrees_on_a_hand_picked_edge_set(tmp_path):
    """The cases the rules have to get exactly right, spelled out."""
    config = tmp_path / "config"
    config.write_text(
        "[DEFAULT]\nregion = eu-west-1\n\n"
        "[sso-session corp]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\n\n"
        "[sso-session bare]\n\n"
        "[profile region-clash]\nsso_session = corp\nregion = us-east-1\nsso_account_id = 1\nsso_role_name = r\n\n"
        "[profile empty-url]\nsso_start_url =\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = r\n\n"
        "[profile bare-user]\nsso_session = bare\nsso_account_id = 1\n\n"
        "[profile ghost]\nsso_session = nope\nsso_role_name = r\n\n"
        "[profile login]\nsso_session = nope\n\n"
        "[profile creds-file]\nsso_session = corp\n"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text("[creds-file]\nsso_account_id = 1\nsso_region = us-west-2\n\n[only-creds]\nsso_role_name = r\n")
    assert assert_agrees(config, credentials, tmp_path) == 7
    said = {name: botocore_sso(config, credentials, tmp_path, name) for name in
            ("region-clash", "empty-url", "bare-user", "ghost", "login", "creds-file", "only-creds")}
    # [DEFAULT] region reaches the sso-session too, so the profile's own region clashes with it
    assert said["region-clash"] == ("error", ("The value for region is inconsistent between profile (us-east-1) "
                                              "and sso-session (eu-west-1)."))
    assert said["empty-url"] == ("credentials", None)  # an empty value counts as set
    assert said["bare-user"][1] == ('The profile "bare-user" is configured to use SSO but is missing required '
                                    "configuration: sso_role_name, sso_start_url, sso_region")
    assert said["ghost"] == ("error", 'The specified sso-session does not exist: "nope"')
    assert said["login"] == ("none", None)
    # keys from the credentials file count, and take part in the consistency check
    assert said["creds-file"] == ("error", ("The value for sso_region is inconsistent between profile (us-west-2) "
                                            "and sso-session (eu-west-1)."))
    assert said["only-creds"][0] == "error"


# --- generated inputs ----------------------------------------------------------------------------------

SESSION_NAMES = ("corp", "corp-sso", "dev")
VALUES = {
    "sso_start_url": ("https://d-1234567890.awsapps.com/start", "https://d-1234567890.awsapps.com/start/"),
    "sso_region": ("eu-west-1", "us-east-1"),
    "sso_registration_scopes": ("sso:account:access", "sso:account:access,codewhisperer:completions"),
    "region": ("eu-west-1", "us-east-1"),
    "sso_account_id": ("111122223333", "444455556666"),
    "sso_role_name": ("ReadOnly", "Admin"),
}
SESSION_KEYS = ("sso_start_url", "sso_region", "sso_registration_scopes", "region")
PROFILE_KEYS = tuple(VALUES)

values = st.sampled_from((0, 1))
# where a profile key lives: absent, config file, credentials file, or both with their own values
placement = st.sampled_from(("absent", "absent", "config", "config", "credentials", "both"))


@st.composite
def configs(draw) -> tuple[str, str]:
    config: list[str] = []
    credentials: list[str] = []
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(("region", "sso_region")), unique=True, max_size=2))
        config.append("[DEFAULT]\n" + "".join(f"{k} = {VALUES[k][draw(values)]}\n" for k in keys))
    for name in draw(st.lists(st.sampled_from(SESSION_NAMES), unique=True, max_size=3)):
        keys = draw(st.lists(st.sampled_from(SESSION_KEYS), unique=True, max_size=4))
        config.append(f"[sso-session {name}]\n" + "".join(f"{k} = {VALUES[k][draw(values)]}\n" for k in keys))
    for i in range(draw(st.integers(min_value=1, max_value=4))):
        name = "default" if i == 0 and draw(st.booleans()) else f"p{i}"
        header = "default" if name == "default" else f"profile {name}"
        in_config: list[str] = []
        in_credentials: list[str] = []
        ref = draw(st.sampled_from((None, None, *SESSION_NAMES, "missing")))
        if ref is not None:
            (in_credentials if draw(st.integers(0, 4)) == 0 else in_config).append(f"sso_session = {ref}\n")
        for key in PROFILE_KEYS:
            where = draw(placement)
            if where in ("config", "both"):
                in_config.append(f"{key} = {VALUES[key][draw(values)]}\n")
            if where in ("credentials", "both"):
                in_credentials.append(f"{key} = {VALUES[key][draw(values)]}\n")
        config.append(f"[{header}]\n" + "".join(in_config))
        if in_credentials or draw(st.integers(0, 5)) == 0:
            credentials.append(f"[{name}]\n" + "".join(in_credentials))
    order = draw(st.permutations(range(len(config))))
    return "\n".join(config[i] for i in order), "\n".join(credentials)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_agrees_with_botocore_on_generated_configs(files):
    config_text, credentials_text = files
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "config").write_text(config_text)
        (home / "credentials").write_text(credentials_text)
        assert assert_agrees(home / "config", home / "credentials", home) >= 1
