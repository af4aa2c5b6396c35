"""`sso-doctor triage` and `discover`, end to end against moto's server (sso-admin, identitystore,
organizations), seeded by the test. Every SSO7xx rule fires in one case and stays silent in another."""

from __future__ import annotations

import json
import os
import shlex

import boto3
import botocore.configloader
import pytest
from typer.testing import CliRunner

from scenarios import validate_report
from sso_doctor.cli import app

MOTO_ACCOUNT = "123456789012"  # moto's own account: the organization's management account
REGION = "us-east-1"


@pytest.fixture(scope="module")
def moto_url(moto_server):
    return moto_server


@pytest.fixture(scope="module")
def shim(moto_url):
    """moto, plus the provisioning-status calls it lacks or ignores (tests/fakes/sso_admin_shim.py)."""
    from fakes.sso_admin_shim import AdminShim

    with AdminShim(moto_url) as s:
        yield s


@pytest.fixture(scope="module")
def aws_env(shim, tmp_path_factory):
    home = tmp_path_factory.mktemp("admin-home")
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text(f"[profile admin]\nregion = {REGION}\n")
    (home / ".aws" / "credentials").write_text("[admin]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = {k: None for k in os.environ if k.startswith("AWS_")}
    env.update({"HOME": str(home), "AWS_ENDPOINT_URL": shim.url, "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials")})
    return env


def _client(service, moto_url, region=REGION):
    return boto3.client(service, region_name=region, endpoint_url=moto_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def world(moto_url):
    """An organization with accounts, 150 users, 110 groups, permission sets and assignments."""
    org = _client("organizations", moto_url)
    org.create_organization(FeatureSet="ALL")
    prod = org.create_account(Email="prod@example.com", AccountName="production")["CreateAccountStatus"]["AccountId"]
    admin = _client("sso-admin", moto_url)
    inst = admin.list_instances()["Instances"][0]
    arn, store_id = inst["InstanceArn"], inst["IdentityStoreId"]
    store = _client("identitystore", moto_url)

    def user(name):
        return store.create_user(IdentityStoreId=store_id, UserName=name, DisplayName=name,
                                 Name={"GivenName": name, "FamilyName": "Test"},
                                 Emails=[{"Value": f"{name}@example.com", "Primary": True}])["UserId"]

    users = {f"user-{i:03d}": user(f"user-{i:03d}") for i in range(150)}  # more than one page (100)
    groups = {f"group-{i:03d}": store.create_group(IdentityStoreId=store_id, DisplayName=f"group-{i:03d}")["GroupId"]
              for i in range(110)}
    # user-140 (second page of users) belongs to group-105 (second page of groups)
    store.create_group_membership(IdentityStoreId=store_id, GroupId=groups["group-105"],
                                  MemberId={"UserId": users["user-140"]})
    store.create_group_membership(IdentityStoreId=store_id, GroupId=groups["group-001"],
                                  MemberId={"UserId": users["user-001"]})
    ps = {name: admin.create_permission_set(InstanceArn=arn, Name=name, SessionDuration="PT8H")
          ["PermissionSet"]["PermissionSetArn"] for name in ("AdministratorAccess", "ReadOnlyAccess", "Billing")}
    for name in ("AdministratorAccess", "ReadOnlyAccess"):
        admin.provision_permission_set(InstanceArn=arn, PermissionSetArn=ps[name], TargetType="AWS_ACCOUNT",
                                       TargetId=MOTO_ACCOUNT)

    def assign(ps_name, ptype, pid):
        admin.create_account_assignment(InstanceArn=arn, TargetId=MOTO_ACCOUNT, TargetType="AWS_ACCOUNT",
                                        PermissionSetArn=ps[ps_name], PrincipalType=ptype, PrincipalId=pid)

    # 105 group assignments first, so the ones that matter are on the second page
    for i in range(105):
        assign("ReadOnlyAccess", "GROUP", groups[f"group-{i + 2:03d}"] if i + 2 != 105 else groups["group-000"])
    assign("AdministratorAccess", "USER", users["user-000"])       # direct
    assign("ReadOnlyAccess", "GROUP", groups["group-105"])          # user-140 via group (page 2)
    assign("Billing", "USER", users["user-000"])                    # assigned but Billing is not provisioned
    # Auditor: assigned to user-002 and never provisioned (moto does not provision on assignment)
    ps["Auditor"] = admin.create_permission_set(InstanceArn=arn, Name="Auditor")["PermissionSet"]["PermissionSetArn"]
    assign("Auditor", "USER", users["user-002"])
    return {"arn": arn, "store_id": store_id, "users": users, "groups": groups, "ps": ps, "prod": prod,
            "admin": admin, "store": store}


def triage(env, *args, fmt="json"):
    result = CliRunner().invoke(app, ["triage", "--profile", "admin", "--format", fmt, *args], env=env,
                                catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def _doc(result):
    doc = json.loads(result.stdout)
    validate_report(doc)
    return doc


def _ids(doc):
    return [f["rule_id"] for f in doc["findings"]]


def _apply(command: str, moto_url: str):
    """Run a printed `aws sso-admin <op> --flag value ...` fix through boto3 against moto."""
    argv = shlex.split(command)
    assert argv[:2] == ["aws", "sso-admin"]
    op = argv[2].replace("-", "_")
    kwargs, i = {}, 3
    while i < len(argv):
        key = argv[i][2:]
        if key in ("profile", "region"):
            i += 2
            continue
        kwargs["".join(p.capitalize() for p in key.split("-"))] = argv[i + 1]
        i += 2
    getattr(_client("sso-admin", moto_url), op)(**kwargs)


def test_direct_assignment(world, aws_env):
    result = triage(aws_env, "--user", "user-000", "--account", MOTO_ACCOUNT, "--permission-set", "AdministratorAccess")
    doc = _doc(result)
    assert result.exit_code == 0 and _ids(doc) == []
    assert doc["verdict"]["status"] == "assigned" and "directly" in doc["verdict"]["text"]


def test_assignment_through_a_group_on_later_pages(world, aws_env):
    """user-140, group-105 and the assignment are all past the first page of their lists."""
    result = triage(aws_env, "--user", "user-140@example.com", "--account", MOTO_ACCOUNT,
                    "--permission-set", "ReadOnlyAccess")
    doc = _doc(result)
    assert result.exit_code == 0 and _ids(doc) == []
    assert doc["verdict"]["status"] == "assigned" and "group-105" in doc["verdict"]["text"]


def test_no_assignment_then_the_printed_fix_makes_it_assigned(world, aws_env, moto_url):
    result = triage(aws_env, "--user", "user-002", "--account", "production", "--permission-set",
                    "AdministratorAccess")
    doc = _doc(result)
    assert result.exit_code == 1 and _ids(doc) == ["SSO705"]
    f = doc["findings"][0]
    assert f["subject"] == "user-002" and f["severity"] == "error"
    cmd = f["fix"]["commands"][0]["command"]
    assert cmd == (f"aws sso-admin create-account-assignment --instance-arn {world['arn']} --target-id "
                   f"{world['prod']} --target-type AWS_ACCOUNT --permission-set-arn "
                   f"{world['ps']['AdministratorAccess']} --principal-type USER --principal-id "
                   f"{world['users']['user-002']} --profile admin --region {REGION}")
    assert doc["verdict"]["status"] == "not-assigned"

    # On the management account (where moto provisions), applying the fix turns the verdict to assigned.
    result = triage(aws_env, "--user", "user-002", "--account", MOTO_ACCOUNT, "--permission-set", "AdministratorAccess")
    doc = _doc(result)
    assert _ids(doc) == ["SSO705"]
    _apply(doc["findings"][0]["fix"]["commands"][0]["command"], moto_url)
    doc = _doc(triage(aws_env, "--user", "user-002", "--account", MOTO_ACCOUNT, "--permission-set",
                      "AdministratorAccess"))
    assert _ids(doc) == [] and doc["verdict"]["status"] == "assigned"


def test_group_member_without_assignment_is_told_about_the_group(world, aws_env):
    result = triage(aws_env, "--user", "user-001", "--account", MOTO_ACCOUNT, "--permission-set",
                    "AdministratorAccess", fmt="text")
    assert result.exit_code == 1
    assert "SSO705 no-assignment" in result.stdout and '"group-001"' in result.stdout
    assert "Verdict: not assigned" in result.stdout


def test_not_provisioned_then_fix(world, aws_env, moto_url):
    doc = _doc(triage(aws_env, "--user", "user-000", "--account", MOTO_ACCOUNT, "--permission-set", "Billing"))
    assert _ids(doc) == ["SSO706"] and doc["verdict"]["status"] == "not-provisioned"
    _apply(doc["findings"][0]["fix"]["commands"][0]["command"], moto_url)
    doc = _doc(triage(aws_env, "--user", "user-000", "--account", MOTO_ACCOUNT, "--permission-set", "Billing"))
    assert _ids(doc) == [] and doc["verdict"]["status"] == "assigned"


def _billing(world, aws_env):
    return _doc(triage(aws_env, "--user", "user-000", "--account", MOTO_ACCOUNT, "--permission-set", "Billing"))


def test_never_provisioned_says_no_request_explains_it(world, aws_env, shim):
    doc = _doc(triage(aws_env, "--user", "user-002", "--account", MOTO_ACCOUNT, "--permission-set", "Auditor"))
    assert _ids(doc) == ["SSO706"] and doc["verdict"]["status"] == "not-provisioned"
    assert "never been provisioned" in doc["findings"][0]["message"]
    assert doc["findings"][0]["evidence"]["provisioning"] == "never"
    assert "ListPermissionSetProvisioningStatus" in shim.calls and "ListAccountAssignmentCreationStatus" in shim.calls


def test_failed_provisioning_names_aws_reason(world, aws_env, shim):
    # a failed provisioning request for Auditor, with AWS's own reason, beside one for another account
    ps = world["ps"]["Auditor"]
    reason = "Received a 404 status error: Not supported policy arn:aws:iam::aws:policy/DoesNotExist."
    shim.provisioning_requests[:] = [
        {"Status": "FAILED", "RequestId": "00000000-0000-4000-8000-000000000001", "AccountId": "999999999999", "PermissionSetArn": ps,
         "FailureReason": "not this one", "CreatedDate": 1764147600},
        {"Status": "FAILED", "RequestId": "5b0d1c2e-0000-4000-8000-00000000abcd", "AccountId": MOTO_ACCOUNT, "PermissionSetArn": ps,
         "FailureReason": reason, "CreatedDate": 1764140400},
    ]
    try:
        doc = _doc(triage(aws_env, "--user", "user-002", "--account", MOTO_ACCOUNT, "--permission-set", "Auditor"))
        [finding] = doc["findings"]
        assert finding["rule_id"] == "SSO706" and reason in finding["message"] and "5b0d1c2e-0000-4000-8000-00000000abcd" in finding["message"]
        assert "not this one" not in finding["message"]
        assert finding["evidence"]["provisioning"] == "failed"
        shim.provisioning_requests[1]["Status"] = "IN_PROGRESS"
        shim.provisioning_requests[1].pop("FailureReason")
        doc = _doc(triage(aws_env, "--user", "user-002", "--account", MOTO_ACCOUNT, "--permission-set", "Auditor"))
        assert "still in progress" in doc["findings"][0]["message"]
    finally:
        shim.provisioning_requests.clear()


def test_permission_set_changed_after_provisioning_is_outdated(world, aws_env, shim):
    ps = world["ps"]["AdministratorAccess"]
    assert _ids(_doc(triage(aws_env, "--user", "user-000", "--account", MOTO_ACCOUNT, "--permission-set",
                            "AdministratorAccess"))) == []  # provisioned and current: the near miss
    shim.stale[ps] = {MOTO_ACCOUNT}
    try:
        result = triage(aws_env, "--user", "user-000", "--account", MOTO_ACCOUNT, "--permission-set",
                        "AdministratorAccess")
        doc = _doc(result)
        [finding] = doc["findings"]
        assert finding["rule_id"] == "SSO706" and "changed after it was provisioned" in finding["message"]
        assert "LATEST_PERMISSION_SET_NOT_PROVISIONED" in finding["message"]
        assert finding["fix"]["commands"][0]["command"].startswith("aws sso-admin provision-permission-set")
        assert result.exit_code == 1
        text = triage(aws_env, "--user", "user-000", "--account", MOTO_ACCOUNT, "--permission-set",
                      "AdministratorAccess", fmt="text").stdout
        assert "Verdict: outdated" in text
    finally:
        shim.stale.clear()


def test_misspelled_user(world, aws_env):
    doc = _doc(triage(aws_env, "--user", "usr-149", "--account", MOTO_ACCOUNT, "--permission-set", "Billing"))
    assert _ids(doc) == ["SSO702"]
    assert 'Did you mean "user-149"' in doc["findings"][0]["message"]
    assert doc["verdict"]["status"] == "incomplete"
    # the later steps did not run: their rules are skipped, not passed
    status = {r["id"]: r["status"] for r in doc["rules"]}
    assert status["SSO705"] == "skipped" and status["SSO706"] == "skipped"


def test_user_names_match_case_insensitively(world, aws_env):
    doc = _doc(triage(aws_env, "--user", "USER-000", "--account", MOTO_ACCOUNT, "--permission-set",
                      "AdministratorAccess"))
    assert _ids(doc) == [] and doc["verdict"]["status"] == "assigned"


def test_misspelled_permission_set(world, aws_env):
    doc = _doc(triage(aws_env, "--user", "user-000", "--account", MOTO_ACCOUNT, "--permission-set",
                      "AdministratorAcess"))
    assert _ids(doc) == ["SSO703"]
    assert '"AdministratorAccess"' in doc["findings"][0]["message"]


def test_account_outside_the_organization(world, aws_env):
    doc = _doc(triage(aws_env, "--user", "user-000", "--account", "999999999999", "--permission-set", "Billing"))
    assert _ids(doc) == ["SSO704"] and doc["findings"][0]["subject"] == "999999999999"
    doc = _doc(triage(aws_env, "--user", "user-000", "--account", "prodution", "--permission-set", "Billing"))
    assert _ids(doc) == ["SSO704"] and "production" in doc["findings"][0]["message"]


def test_no_instance_in_region(world, aws_env):
    from moto.ssoadmin.models import ssoadmin_backends

    ssoadmin_backends[MOTO_ACCOUNT]["eu-west-3"].instances.clear()
    doc = _doc(triage(aws_env, "--region", "eu-west-3", "--user", "user-000", "--account", MOTO_ACCOUNT,
                      "--permission-set", "Billing"))
    assert _ids(doc) == ["SSO701"] and doc["findings"][0]["subject"] == "eu-west-3"
    assert {r["id"]: r["status"] for r in doc["rules"]}["SSO702"] == "skipped"


def test_unknown_admin_profile_fails_before_any_report(aws_env):
    result = CliRunner().invoke(app, ["triage", "--profile", "nope", "--user", "u", "--account", "a",
                                      "--permission-set", "p"], env=aws_env)
    assert result.exit_code == 2 and "could not be found" in result.stderr


def test_check_never_runs_admin_rules(aws_env):
    result = CliRunner().invoke(app, ["check", "--offline", "--format", "json"], env=aws_env)
    doc = json.loads(result.stdout)
    status = {r["id"]: (r["status"], r["reason"]) for r in doc["rules"]}
    assert all(status[f"SSO70{i}"] == ("skipped", "only run by `sso-doctor triage`") for i in range(1, 7))


def test_every_admin_rule_fires_and_stays_silent_somewhere():
    """Coverage for SSO7xx (they can't be static fixtures): each has a firing and a near-miss case above."""
    import inspect
    import sys

    from sso_doctor.rules import ALL_RULES

    source = inspect.getsource(sys.modules[__name__])
    for r in ALL_RULES:
        if "admin" in r.needs:
            assert f'["{r.id}"]' in source, f"{r.id} has no firing triage test"
    assert "_ids(doc) == []" in source  # the near-miss: every SSO7xx rule silent for a real assignment


def test_discover_prints_instance_accounts_and_a_valid_sso_session(world, aws_env, tmp_path):
    result = CliRunner().invoke(app, ["discover", "--profile", "admin", "--format", "json"], env=aws_env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    inst = doc["instances"][0]
    assert inst["instance_arn"] == world["arn"] and inst["identity_store_id"] == world["store_id"]
    assert inst["portal_url"] == f"https://{world['store_id']}.awsapps.com/start"
    assert {MOTO_ACCOUNT, world["prod"]} <= {a["id"] for a in doc["accounts"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "Billing", "Auditor"} == {p["name"] for p in doc["permission_sets"]}
    config = tmp_path / "config"
    config.write_text(doc["sso_session_block"])
    parsed = botocore.configloader.load_config(str(config))
    assert parsed["sso_sessions"] == {"my-sso": {
        "sso_start_url": inst["portal_url"], "sso_region": REGION, "sso_registration_scopes": "sso:account:access"}}
    text = CliRunner().invoke(app, ["discover", "--profile", "admin"], env=aws_env).stdout
    assert world["arn"] in text and "[sso-session my-sso]" in text and "production" in text
