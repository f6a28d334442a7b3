"""ECS wrappers: a task definition naming a role created a moment ago is retried while IAM propagates it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ansible_collections.solo_saving.infra.plugins.module_utils import ecs
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError


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


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize("first", [
    error("ClientException", "Role is not valid"),
    error("AccessDeniedException", "User: x is not authorized to perform: iam:PassRole on resource: role/y"),
])
def test_a_role_not_visible_yet_is_retried(first):
    client, clock = Client([first, first]), Clock()
    result = ecs.register_task_definition(client, {"family": "app"}, [], sleep=clock.sleep, clock=clock)
    assert result == {"family": "app", "revision": 1}
    assert client.calls == 3 and clock.now == 2 * ecs.ROLE_PROPAGATION_DELAY


def test_the_retry_is_bounded():
    client, clock = Client([error("ClientException", "Role is not valid")] * 100), Clock()
    with pytest.raises(SoloAwsError, match="Failed to register a task definition"):
        ecs.register_task_definition(client, {"family": "app"}, [], sleep=clock.sleep, clock=clock)
    assert clock.now == ecs.ROLE_PROPAGATION_SECONDS


def test_other_client_errors_fail_at_once():
    client, clock = Client([error("ClientException", "Invalid cpu value")]), Clock()
    with pytest.raises(SoloAwsError):
        ecs.register_task_definition(client, {"family": "app"}, [], sleep=clock.sleep, clock=clock)
    assert client.calls == 1 and clock.now == 0
