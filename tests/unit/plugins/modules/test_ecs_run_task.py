"""ecs_run_task: starts the task privately, waits, checks the exit code, bounded."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.solo_saving.infra.plugins.modules import ecs_run_task
from tests.support.modules import ModuleFail

ARGS = {"cluster": "c", "task_definition": "fam:3", "container": "backend", "command": ["alembic", "upgrade", "head"],
        "subnets": ["s-1"], "security_groups": ["sg-b"]}


@pytest.fixture
def ecs(monkeypatch):
    state = {"runs": [], "statuses": []}

    def run_task(client, args):
        state["runs"].append(args)
        return {"taskArn": "arn:task/1"}

    def describe_task(client, cluster, arn):
        return state["statuses"].pop(0) if len(state["statuses"]) > 1 else state["statuses"][0]

    monkeypatch.setattr(ecs_run_task.api, "run_task", run_task)
    monkeypatch.setattr(ecs_run_task.api, "describe_task", describe_task)
    monkeypatch.setattr(ecs_run_task.time, "sleep", lambda s: None)
    return state


def stopped(code, reason=None):
    container = {"name": "backend", "exitCode": code}
    if reason:
        container["reason"] = reason
    return {"lastStatus": "STOPPED", "stoppedReason": "Essential container in task exited", "containers": [container]}


def test_success_after_running(run_module, ecs):
    ecs["statuses"] = [{"lastStatus": "RUNNING"}, stopped(0)]
    result = run_module(ecs_run_task, ARGS)
    assert result["exit_code"] == 0 and result["task_arn"] == "arn:task/1"
    (args,) = ecs["runs"]
    assert args["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["s-1"], "securityGroups": ["sg-b"], "assignPublicIp": "DISABLED"}
    assert args["overrides"] == {"containerOverrides": [{"name": "backend", "command": ["alembic", "upgrade", "head"]}]}
    assert args["launchType"] == "FARGATE"


def test_non_zero_exit_fails_with_reason(run_module, ecs):
    ecs["statuses"] = [stopped(3, "migration failed")]
    with pytest.raises(ModuleFail, match=r"task arn:task/1 stopped \(Essential container in task exited\); container "
                                         r"backend exited with 3: migration failed"):
        run_module(ecs_run_task, ARGS)


def test_check_mode_starts_nothing(run_module, ecs):
    result = run_module(ecs_run_task, ARGS, check_mode=True)
    assert result["changed"] is True and ecs["runs"] == []


def test_timeout_is_a_clear_failure():
    clock = itertools.count(0, 100)
    original = ecs_run_task.api.describe_task
    ecs_run_task.api.describe_task = lambda client, cluster, arn: {"lastStatus": "RUNNING"}
    try:
        with pytest.raises(ecs_run_task.TaskFailed, match=r"task t is still RUNNING after 600 s; it keeps running"):
            ecs_run_task.wait_for_exit(None, "c", "t", "backend", 600, sleep=lambda s: None, clock=lambda: next(clock))
    finally:
        ecs_run_task.api.describe_task = original
