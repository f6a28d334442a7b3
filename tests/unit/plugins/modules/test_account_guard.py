"""account_guard: one GetCallerIdentity, and a failure that names both accounts."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import sts
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import account_guard
from tests.support.modules import ModuleFail

IDENTITY = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/deployer", "UserId": "AIDA"}


@pytest.fixture
def calls(monkeypatch):
    made = []
    monkeypatch.setattr(sts, "get_caller_identity", lambda client: made.append("GetCallerIdentity") or IDENTITY)
    return made


@pytest.mark.parametrize("check_mode", [False, True])
def test_the_right_account_passes_with_one_call(run_module, calls, check_mode):
    result = run_module(account_guard, {"account_id": " 123456789012 "}, check_mode=check_mode)
    assert result == {"changed": False, "account": "123456789012", "arn": IDENTITY["Arn"]}
    assert calls == ["GetCallerIdentity"]


def test_another_account_fails_naming_both_and_the_hint(run_module, calls):
    with pytest.raises(ModuleFail) as failure:
        run_module(account_guard, {"account_id": "210987654321",
                                   "hint": "the dev inventory is for account 210987654321: fix stack_account_id"})
    assert failure.value.result["msg"] == ("The credentials belong to account 123456789012, but the dev inventory "
                                           "is for account 210987654321: fix stack_account_id")
    assert failure.value.result["account"] == "123456789012"


def test_without_a_hint_the_message_names_the_expected_account(run_module, calls):
    with pytest.raises(ModuleFail, match="belong to account 123456789012, but the run expects account 210987654321"):
        run_module(account_guard, {"account_id": "210987654321"})


def test_an_sts_error_fails_with_aws_details(run_module, monkeypatch):
    def broken(client):
        raise SoloAwsError("Failed to ask STS which account the credentials belong to", Exception("expired"))

    monkeypatch.setattr(sts, "get_caller_identity", broken)
    with pytest.raises(ModuleFail, match="Failed to ask STS"):
        run_module(account_guard, {"account_id": "123456789012"})


# -- the Aurora engine version, asked of AWS (real AWS only: the emulator lacks the call) -----------------
VERSIONS = [{"EngineVersion": "15.4", "SupportsServerlessV2": True},
            {"EngineVersion": "16.1", "SupportsServerlessV2": False},
            {"EngineVersion": "16.6", "SupportsServerlessV2": True},
            {"EngineVersion": "16.8", "SupportsServerlessV2": True}]


@pytest.fixture
def engines(monkeypatch, calls):
    from ansible_collections.solo_saving.infra.plugins.module_utils import rds

    monkeypatch.setattr(rds, "describe_db_engine_versions",
                        lambda client, engine: calls.append(f"DescribeDBEngineVersions {engine}") or VERSIONS)
    return calls


def test_an_offered_serverless_v2_version_passes(run_module, engines):
    result = run_module(account_guard, {"account_id": "123456789012", "aurora_engine_version": "16.6"})
    assert result["serverless_v2_versions"] == ["16.6", "16.8"]
    assert engines == ["GetCallerIdentity", "DescribeDBEngineVersions aurora-postgresql"]


@pytest.mark.parametrize("version, offered", [("16.1", "16.6, 16.8"), ("16.99", "16.6, 16.8"),
                                              ("14.9", "none of that major version")])
def test_a_version_without_serverless_v2_fails_naming_what_the_region_offers(run_module, engines, version, offered):
    with pytest.raises(ModuleFail) as failure:
        run_module(account_guard, {"account_id": "123456789012", "aurora_engine_version": version})
    assert failure.value.result["msg"] == (
        f"database_engine_version = '{version}': the region does not offer Aurora PostgreSQL {version} with "
        f"Serverless v2 (it offers {offered}); pick one of those")


def test_without_a_version_no_engine_call_is_made(run_module, engines):
    run_module(account_guard, {"account_id": "123456789012"})
    assert engines == ["GetCallerIdentity"]


# -- the region and its availability zones (one DescribeAvailabilityZones) -------------------------------
ZONES = [{"ZoneName": "ap-northeast-1a", "State": "available"}, {"ZoneName": "ap-northeast-1c", "State": "available"},
         {"ZoneName": "ap-northeast-1d", "State": "available"}, {"ZoneName": "ap-northeast-1b", "State": "impaired"}]


@pytest.fixture
def zones(monkeypatch, calls):
    monkeypatch.setattr(account_guard.ec2, "describe_availability_zones",
                        lambda client: calls.append("DescribeAvailabilityZones") or ZONES)
    return calls


def test_zones_of_the_region_pass_with_one_call(run_module, zones):
    result = run_module(account_guard, {"account_id": "123456789012", "availability_zones": {
        "stack_azs": ["ap-northeast-1a", "ap-northeast-1c"], "network_azs": ["ap-northeast-1a", "ap-northeast-1c"],
        "endpoints_azs": []}})
    assert result["availability_zones"] == ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]
    assert zones == ["GetCallerIdentity", "DescribeAvailabilityZones"]


def test_a_zone_the_region_lacks_fails_naming_the_variables_and_the_zones(run_module, zones):
    with pytest.raises(ModuleFail) as failure:
        run_module(account_guard, {"account_id": "123456789012", "availability_zones": {
            "stack_azs": ["ap-northeast-1a", "ap-northeast-1x"], "network_azs": ["ap-northeast-1a", "ap-northeast-1x"],
            "database_azs": ["ap-northeast-1a", "ap-northeast-1x"], "endpoints_azs": ["ap-northeast-1b"]}})
    assert failure.value.result["msg"] == (
        "stack_azs (and network_azs, database_azs, the same zones) = ['ap-northeast-1a', 'ap-northeast-1x']: "
        "ap-northeast-1x is not an availability zone of ap-northeast-1; its zones are ap-northeast-1a, "
        "ap-northeast-1c, ap-northeast-1d | endpoints_azs = ['ap-northeast-1b']: ap-northeast-1b is not an "
        "availability zone of ap-northeast-1; its zones are ap-northeast-1a, ap-northeast-1c, ap-northeast-1d")


def test_without_zones_no_zone_call_is_made(run_module, zones):
    run_module(account_guard, {"account_id": "123456789012"})
    assert zones == ["GetCallerIdentity"]


def test_an_unknown_region_fails_before_any_call(run_module, zones):
    with pytest.raises(ModuleFail) as failure:
        run_module(account_guard, {"account_id": "123456789012", "region": "ap-northeast-9",
                                   "availability_zones": {"stack_azs": ["ap-northeast-9a"]}})
    message = failure.value.result["msg"]
    assert message.startswith("stack_region = 'ap-northeast-9' is not an AWS region: did you mean 'ap-northeast-")
    assert "the regions are af-south-1, " in message and "ap-northeast-1, " in message
    assert zones == []


def test_zone_problems_lists_several_missing_zones():
    assert account_guard.zone_problems({"network_azs": ["us-east-1a", "us-east-1q", "us-east-1z"]},
                                       ["us-east-1a", "us-east-1b"], "us-east-1") == [
        "network_azs = ['us-east-1a', 'us-east-1q', 'us-east-1z']: us-east-1q, us-east-1z are not availability zones "
        "of us-east-1; its zones are us-east-1a, us-east-1b"]
