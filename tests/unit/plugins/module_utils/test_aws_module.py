"""SoloAwsModule: the clients of a module run share one session; sessions share botocore's parsed data."""

from __future__ import annotations

import sys

import boto3
import botocore.exceptions
import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.solo_saving.infra.plugins.module_utils import aws_module
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule


class Failed(Exception):
    pass


@pytest.fixture(name="module_with")
def module_with_fixture(monkeypatch):
    def fail_json(self, **kwargs):
        raise Failed(kwargs["msg"])

    monkeypatch.setattr(SoloAwsModule, "fail_json", fail_json)
    monkeypatch.setattr(SoloAwsModule, "fail_json_aws", lambda self, e, msg=None, **kw: fail_json(self, msg=msg))
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def _make(**params):
        with patch_module_args({"access_key": "testing", "secret_key": "testing", **params}):
            return SoloAwsModule(argument_spec={})

    return _make


def test_clients_of_one_run_share_a_session_and_keep_their_own_settings(module_with):
    module = module_with(region="ap-northeast-1", endpoint_url="http://127.0.0.1:1")
    ec2, ssm = module.client("ec2"), module.client("ssm")
    assert len(module._sessions) == 1
    assert ec2.meta.region_name == ssm.meta.region_name == "ap-northeast-1"
    assert ec2.meta.endpoint_url == "http://127.0.0.1:1"
    assert ec2.meta.service_model.service_name == "ec2"
    assert ssm.meta.service_model.service_name == "ssm"
    assert "solo_saving.infra" in ec2.meta.config.user_agent
    # Both clients were made by the same botocore session.
    session = next(iter(module._sessions.values()))
    assert ec2.meta.events is not ssm.meta.events
    assert session._session.get_component("data_loader") is aws_module.shared_loader(None)


def test_aws_config_is_merged_into_the_client_config(module_with):
    module = module_with(region="ap-northeast-1", aws_config={"connect_timeout": 7, "retries": {"mode": "standard"}})
    client = module.client("sts")
    assert client.meta.config.connect_timeout == 7
    assert client.meta.config.retries["mode"] == "standard"


def test_every_client_retries_in_botocores_standard_mode(module_with):
    client = module_with(region="ap-northeast-1").client("ecs")
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 10}


def test_a_module_reports_what_it_waited_for(module_with):
    from ansible_collections.solo_saving.infra.plugins.module_utils import common

    module = module_with(region="ap-northeast-1")
    assert common.RETRIED == {}  # a module starts with nothing waited for
    common.record_retry("WAFUnavailableEntityException", "associate the web ACL with a resource", 4.0)
    assert module._with_retries({"changed": True})["retried"] == [
        {"condition": "WAFUnavailableEntityException", "call": "associate the web ACL with a resource", "tries": 1,
         "seconds": 4.0}]
    common.RETRIED.clear()


def test_a_missing_region_fails_with_the_module_name(module_with, monkeypatch):
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    module = module_with()
    with pytest.raises(Failed, match="requires a region"):
        module.client("ec2")


def test_an_unknown_profile_fails_before_any_call(module_with, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    with patch_module_args({"region": "ap-northeast-1", "profile": "no-such-profile"}):
        module = SoloAwsModule(argument_spec={})
    with pytest.raises((Failed, botocore.exceptions.ProfileNotFound)):
        module.client("ec2")


def test_the_loader_is_shared_per_data_path_and_outlives_a_reimport():
    first = aws_module.shared_loader(None)
    assert aws_module.shared_loader(None) is first
    assert aws_module.shared_loader("/tmp/other-data") is not first
    # The registry is a module of its own in sys.modules: a fresh import of aws_module
    # (Ansible re-imports module_utils for every module run) finds the same loader.
    assert sys.modules[aws_module.LOADER_REGISTRY].loaders[None] is first


def test_sessions_do_not_grow_the_shared_loaders_search_path():
    aws_module.new_session()
    paths = list(aws_module.shared_loader(None).search_paths)
    for _ in range(5):
        session = aws_module.new_session()
        assert isinstance(session, boto3.session.Session)
    assert aws_module.shared_loader(None).search_paths == paths
    # boto3's own data directory (resource models) is on the path once.
    boto3_data = [p for p in paths if p.endswith("boto3/data")]
    assert len(boto3_data) == 1


def test_a_second_session_reuses_the_parsed_service_model():
    aws_module.new_session().client("ecs", region_name="ap-northeast-1")
    files = aws_module.shared_loader(None).file_loader
    calls = []
    original = files.load_file
    files.load_file = lambda path: calls.append(path) or original(path)
    try:
        aws_module.new_session().client("ecs", region_name="ap-northeast-1")
    finally:
        del files.load_file
    assert not any("ecs" in path for path in calls), calls


class Recorded:
    def __init__(self, actions):
        self.actions = actions
        self.before = {"x": 1}
        self.after = {"x": 2}


@pytest.mark.parametrize(("actions", "diff"), [([], False), (["create x"], False), (["create x"], True)])
def test_exit_plan_reports_the_plans_actions_and_its_diff_only_when_asked(monkeypatch, actions, diff):
    exits = []
    monkeypatch.setattr(SoloAwsModule, "exit_json", lambda self, **kw: exits.append(kw))
    with patch_module_args({"region": "ap-northeast-1", "_ansible_diff": diff}):
        module = SoloAwsModule(argument_spec={})
    module.exit_plan(Recorded(actions), vpc_id="vpc-1")
    expected = {"changed": bool(actions), "actions": actions, "vpc_id": "vpc-1"}
    if diff:
        expected["diff"] = {"before": {"x": 1}, "after": {"x": 2}}
    assert exits == [expected]
