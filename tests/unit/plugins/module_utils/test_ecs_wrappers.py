"""ECS wrappers: what AWS answers while IAM propagates a new role is retried, within a bound."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ansible_collections.solo_saving.infra.plugins.module_utils import common, ecs
from ansible_collections.solo_saving.infra.plugins.module_utils.common import CONSISTENCY_SECONDS, SoloAwsError


def error(code, message):
    return ClientError({"Error": {"Code": code, "Message": message}}, "RegisterTaskDefinition")


class Client:
    def __init__(self, errors):
        self.errors = list(errors)
        self.calls = 0

    def register_task_definition(self, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"taskDefinition": {"family": kwargs["family"], "revision": 1}}


@pytest.fixture(autouse=True)
def clock(fake_clock):
    return fake_clock


@pytest.mark.parametrize("first", [
    error("ClientException", "Role is not valid"),
    error("AccessDeniedException", "User: x is not authorized to perform: iam:PassRole on resource: role/y"),
])
def test_a_role_not_visible_yet_is_retried(first, clock):
    client = Client([first, first])
    result = ecs.register_task_definition(client, {"family": "app"}, [])
    assert result == {"family": "app", "revision": 1}
    assert client.calls == 3 and 0 < clock.now < 10
    assert common.retried_report()[0]["call"] == "register a task definition"


def test_the_retry_is_bounded(clock):
    client = Client([error("ClientException", "Role is not valid")] * 1000)
    with pytest.raises(SoloAwsError, match=r"Failed to register a task definition: AWS still answered "
                                           r"ClientException \(Role is not valid\) after 120 s"):
        ecs.register_task_definition(client, {"family": "app"}, [])
    assert clock.now == CONSISTENCY_SECONDS


def test_other_client_errors_fail_at_once(clock):
    client = Client([error("ClientException", "Invalid cpu value")])
    with pytest.raises(SoloAwsError):
        ecs.register_task_definition(client, {"family": "app"}, [])
    assert client.calls == 1 and clock.now == 0
    assert client.calls == 1 and clock.now == 0


class Clusters:
    def __init__(self, errors):
        self.errors = list(errors)
        self.calls = 0

    def create_cluster(self, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"cluster": {"clusterName": kwargs["clusterName"]}}


SLR = error("InvalidParameterException", "Unable to assume the service linked role. Please verify that the ECS "
                                         "service linked role exists.")


def test_the_first_cluster_waits_for_ecss_service_linked_role(clock):
    client = Clusters([SLR] * 4)
    assert ecs.create_cluster(client, "c", [], [], ["FARGATE"], [])["clusterName"] == "c"
    assert client.calls == 5
    assert common.retried_report()[0]["condition"] == ("InvalidParameterException (Unable to assume the service "
                                                       "linked role)")


def test_the_service_linked_role_wait_gives_up_at_its_bound_naming_it(clock):
    with pytest.raises(SoloAwsError, match=r"Failed to create the ECS cluster: AWS still answered "
                                           r"InvalidParameterException \(Unable to assume the service linked role\) "
                                           r"after 120 s .*cloudformation-coverage-roadmap #818"):
        ecs.create_cluster(Clusters([SLR] * 1000), "c", [], [], ["FARGATE"], [])
    assert clock.now == CONSISTENCY_SECONDS
