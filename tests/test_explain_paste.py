"""`sso-doctor explain` on what people really paste: colours, tracebacks, whole terminal sessions, secrets.
Also `explain -` (stdin) and `explain --format json` against the shipped schema."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from typer.testing import CliRunner

from sso_doctor import error_match
from sso_doctor.cli import app

SCHEMA = json.loads(resources.files("sso_doctor").joinpath("schemas/explain.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def run(*args, input=None):
    return CliRunner().invoke(app, ["explain", *args], input=input)


# --- normalising --------------------------------------------------------------------------------------

def test_colours_timestamps_ids_and_paths_are_normalised():
    raw = ("\x1b[31m2024-03-06 10:54:27,185 - MainThread - botocore - ERROR\x1b[0m account 111122223333 "
           "role arn:aws:iam::111122223333:role/Admin request 8506bebb-9eca-4771-9336-953ba378efb1 file "
           "C:\\Users\\jane\\.aws\\sso\\cache\\59146b57f9acd0df73c13bbc6a53478be4ca6ca0.json and "
           "/home/joe/.aws/config at 20220127T001427Z")
    text = error_match.normalize(raw).text
    assert "\x1b" not in text
    assert "<TIME>" in text and "2024-03-06" not in text and "20220127T001427Z" not in text
    assert "<ARN>" in text and "<UUID>" in text and "<ACCOUNT>" in text
    assert "~/.aws/sso/cache/<SHA1>.json" in text and "~/.aws/config" in text
    assert "jane" not in text and "joe" not in text


def test_traceback_frames_are_dropped_and_the_exception_kept():
    raw = '''Traceback (most recent call last):
  File "/usr/lib/python3/site-packages/botocore/tokens.py", line 130, in _refresher
    raise TokenRetrievalError(
botocore.exceptions.TokenRetrievalError: Error when retrieving token from sso: Token has expired and refresh failed
'''
    text = error_match.normalize(raw).text
    assert "File " not in text and "raise TokenRetrievalError(" not in text
    assert "Token has expired and refresh failed" in text


def test_a_terminal_session_gives_the_command_and_its_profile():
    raw = "➜  ~ aws s3 ls --profile corp-dev\n\nError loading SSO Token: Token for corp does not exist\n"
    pasted = error_match.normalize(raw)
    assert pasted.command == "aws s3 ls --profile corp-dev"
    assert pasted.profile == "corp-dev"
    for prompt in ("$ ", "% ", "user@box:~/src$ ", "PS C:\\Users\\me> ", "(venv) $ "):
        assert error_match.normalize(prompt + "AWS_PROFILE=prod terraform plan\nboom").profile == "prod"


def test_the_debug_log_names_the_command():
    raw = ("2022-01-19 08:27:24,254 - MainThread - awscli.clidriver - DEBUG - Arguments entered to CLI: "
           "['sso', 'login', '--profile', 'dev', '--debug']")
    assert error_match.normalize(raw).command == "aws sso login --profile dev --debug"
    assert error_match.normalize(raw).profile == "dev"


@pytest.mark.parametrize("placeholder", ["<profile>", "XXXXXX", "REDACTED", "***", "<redacted>"])
def test_a_redacted_profile_is_not_taken_for_a_name(placeholder):
    assert error_match.normalize(f"$ aws s3 ls --profile {placeholder}\nUnable to locate credentials").profile is None


# --- ranking and recognition ---------------------------------------------------------------------------

def test_the_specific_message_outranks_the_generic_one_in_the_same_paste():
    raw = ("Unable to locate credentials. You can configure credentials by running \"aws configure\".\n"
           "botocore.exceptions.TokenRetrievalError: Error when retrieving token from sso: Token has expired "
           "and refresh failed")
    result = error_match.explain(raw)
    assert result.recognised and result.rules[0] == "SSO202"


def test_a_short_generic_fragment_is_not_a_confident_answer():
    result = error_match.explain("dial tcp 52.94.1.1:443: i/o timeout")
    assert not result.recognised
    assert result.candidates and all(c.confidence < error_match.RECOGNISED for c in result.candidates)


def test_not_recognised_shows_the_nearest_candidates():
    result = run("aws-vault: error: exec: Failed to get credentials for dev: Token expired")
    assert result.exit_code == 1
    assert "does not recognise" in result.stdout
    assert "Nearest known messages" in result.stdout and "SSO202" in result.stdout


# --- the CLI: stdin, next check, secrets -----------------------------------------------------------------

def test_explain_reads_a_whole_session_from_stdin():
    session = ("\x1b[1m$ aws sts get-caller-identity --profile 'my prof'\x1b[0m\n"
               "Error loading SSO Token: Token for https://d-1234567890.awsapps.com/start does not exist\n")
    result = run("-", input=session)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[2].startswith("- SSO201 not-logged-in")
    assert "sso-doctor check --profile 'my prof'" in result.stdout
    assert "The failing command: aws sts get-caller-identity --profile 'my prof'" in result.stdout


def test_empty_stdin_is_a_usage_error():
    result = run("-", input="")
    assert result.exit_code == 2


def test_a_portal_error_suggests_an_online_check():
    result = run("An error occurred (ForbiddenException) when calling the GetRoleCredentials operation: No access")
    assert "sso-doctor check --online" in result.stdout


def test_tokens_pasted_along_are_not_echoed():
    secret_jwt = "eyJraWQiOiJrZXktMTU2Njk2ODEzNiIsImFsZyI6IkhTMzg0In0.eyJzZXJpYWxpemVkIjoie1wiZXhwaXJlZCI6Zm.MrKQpRyKdZapc0l6wwARgNamIM1Y7bMJ"
    key = "ASIAQWERTYUIOPASDFGH"
    session = (f"$ AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEYx AWS_ACCESS_KEY_ID={key} "
               f"aws sso get-role-credentials --access-token {secret_jwt} --profile dev\n"
               f'{{"clientSecret": "{secret_jwt}", "accessToken": "aoaAAAAAGZ1234secretvalue"}}\n'
               "An error occurred (UnauthorizedException) when calling the GetRoleCredentials operation: "
               "Session token not found or invalid\n")
    for fmt in ("text", "json"):
        result = run("-", "--format", fmt, input=session)
        assert result.exit_code == 0
        for secret in (secret_jwt, key, "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEYx", "aoaAAAAAGZ1234secretvalue"):
            assert secret not in result.stdout, (fmt, secret)
        assert "SSO601" in result.stdout


# --- JSON ----------------------------------------------------------------------------------------------

def test_json_candidates_validate_against_the_shipped_schema():
    result = run("-", "--format", "json",
                 input="$ aws s3 ls --profile dev\nError loading SSO Token: Token for dev does not exist\n")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    VALIDATOR.validate(doc)
    assert doc["kind"] == "error_text" and doc["recognised"] is True
    assert doc["profile"] == "dev" and doc["command"] == "aws s3 ls --profile dev"
    assert doc["next"] == "sso-doctor check --profile dev"
    top = doc["candidates"][0]
    assert top["rule"] == "SSO201" and top["slug"] == "not-logged-in"
    assert 0.35 <= top["confidence"] <= 1 and "does not exist" in top["pattern"] and top["excerpt"]
    assert [c["confidence"] for c in doc["candidates"]] == sorted((c["confidence"] for c in doc["candidates"]),
                                                                  reverse=True)


def test_json_for_an_unrecognised_text_validates_and_exits_1():
    result = run("--format", "json", "npm ERR! code E404")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    VALIDATOR.validate(doc)
    assert doc["recognised"] is False and doc["next"] is None
    assert all(c["excerpt"] is None and c["confidence"] < doc["recognition_threshold"] for c in doc["candidates"])


def test_json_for_a_rule_id_validates():
    result = run("SSO201", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    VALIDATOR.validate(doc)
    assert doc["kind"] == "rule" and doc["rule"]["id"] == "SSO201" and doc["rule"]["doc"]


def test_the_schema_rejects_a_wrong_shape():
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate({"schema_version": 1, "tool": {"name": "sso-doctor", "version": "1"},
                            "kind": "error_text", "recognised": True, "profile": None, "command": None,
                            "next": None, "candidates": [{"rule": "SSO201", "confidence": 2}]})


def test_a_huge_paste_is_read_at_both_ends_in_bounded_time():
    import time

    noise = "2024-03-06 10:54:27,185 - MainThread - botocore.hooks - DEBUG - Event choose-signer: calling handler\n"
    raw = "$ aws s3 ls --profile big\n" + noise * 60_000 + "Error loading SSO Token: Token for big does not exist\n"
    assert len(raw) > 5_000_000
    started = time.monotonic()
    result = error_match.explain(raw)
    assert time.monotonic() - started < 10
    assert result.rules[0] == "SSO201" and result.pasted.profile == "big"


def test_binary_garbage_is_not_recognised_and_does_not_crash():
    result = run("-", input=bytes(range(256)) * 50)
    assert result.exit_code == 1 and "does not recognise" in result.stdout


def test_urls_that_merely_contain_users_are_not_taken_for_home_directories():
    text = error_match.normalize("see https://example.com/users/42 and /Users/jane/.aws/config").text
    assert "https://example.com/users/42" in text and "~/.aws/config" in text


@pytest.mark.parametrize(("pasted", "secret"), [
    ("Authorization: Bearer xyz123secret", "xyz123secret"),
    ("'x-amz-sso_bearer_token': 'aoaAAAAAGZshort'", "aoaAAAAAGZshort"),
    ("HTTPS_PROXY=https://user:hunter2@proxy:3128", "hunter2"),
    ("aws sso get-role-credentials --access-token abc123shorttoken --role-name Admin", "abc123shorttoken"),
    ('"refreshToken": "Atzr|IwEBIA-shortish"', "IwEBIA-shortish"),
])
def test_redact_pasted_masks_what_people_paste(pasted, secret):
    assert secret not in error_match.redact_pasted(pasted)


def test_a_quoted_message_line_is_not_taken_for_a_command():
    assert error_match.normalize("> Error loading SSO Token: Token for x does not exist").command is None


def test_control_characters_in_a_paste_are_shown_not_sent_to_the_terminal():
    session = "$ aws s3 ls --profile dev\x07\x9b31m\nError loading SSO Token: Token for dev does not exist\x1b]0;x\x07\n"
    result = run("-", input=session)
    assert result.exit_code == 0
    assert not any(c in result.stdout for c in "\x07\x9b\x1b")
