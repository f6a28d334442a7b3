#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_run_task
short_description: Run a one-off Fargate task (e.g. database migrations) and wait for its exit code
version_added: 0.1.0
description:
  - Starts one task of a task definition on Fargate in private subnets, without a public IP, with the command of
    one container overridden, waits (bounded) until it stops, and fails unless that container exited with 0.
  - The failure names the task, its stop reason and the container's exit code.
  - community.aws.ecs_task starts tasks but does not wait for them to finish nor check exit codes.
  - In check mode nothing is started.
author:
  - Solo Saving platform team (@solo-saving)
options:
  cluster:
    description: The ECS cluster.
    type: str
    required: true
  task_definition:
    description: C(family:revision) or ARN of the task definition to run.
    type: str
    required: true
  container:
    description: The container whose command is overridden and whose exit code counts.
    type: str
    required: true
  command:
    description: The command, as a list of arguments.
    type: list
    elements: str
    required: true
  subnets:
    description: Private subnets for the task.
    type: list
    elements: str
    required: true
  security_groups:
    description: Security groups of the task.
    type: list
    elements: str
    required: true
  started_by:
    description: Recorded on the task (ECS C(startedBy), at most 36 characters).
    type: str
    default: ansible-deploy
  wait_timeout:
    description: Seconds to wait for the task to stop.
    type: int
    default: 1800
  wait:
    description: Wait for the task to stop and check its exit code.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the database migrations from the new image.
  solo_saving.infra.ecs_run_task:
    cluster: solo-saving-prod
    task_definition: solo-saving-prod-backend:42
    container: backend
    command: [alembic, upgrade, head]
    subnets: [subnet-1, subnet-2]
    security_groups: [sg-backend]
"""

RETURN = r"""
task_arn:
  description: The task started (absent in check mode).
  returned: success
  type: str
exit_code:
  description: The container's exit code (when waited for).
  returned: success
  type: int
"""

import time

from ansible_collections.solo_saving.infra.plugins.module_utils import ecs as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws, idempotency_token


class TaskFailed(Exception):
    pass


def wait_for_exit(client, cluster, task_arn, container, timeout, sleep=time.sleep, clock=time.monotonic):
    """The container's exit code once the task has stopped; TaskFailed otherwise."""
    deadline = clock() + timeout
    task = None
    while clock() < deadline:
        task = api.describe_task(client, cluster, task_arn)
        if task and task.get("lastStatus") == "STOPPED":
            found = next((c for c in task.get("containers", []) if c.get("name") == container), {})
            code = found.get("exitCode")
            if code == 0:
                return 0
            raise TaskFailed(f"task {task_arn} stopped ({task.get('stoppedReason', 'no reason given')}); container "
                             f"{container} exited with {code if code is not None else 'no exit code'}"
                             f"{': ' + found['reason'] if found.get('reason') else ''}")
        sleep(6)
    status = task.get("lastStatus") if task else "unknown"
    raise TaskFailed(f"task {task_arn} is still {status} after {timeout} s; it keeps running - stop it with "
                     f"'aws ecs stop-task --cluster {cluster} --task {task_arn}' if it hangs")


def main():
    module = SoloAwsModule(argument_spec=dict(
        cluster=dict(type="str", required=True),
        task_definition=dict(type="str", required=True),
        container=dict(type="str", required=True),
        command=dict(type="list", elements="str", required=True),
        subnets=dict(type="list", elements="str", required=True),
        security_groups=dict(type="list", elements="str", required=True),
        started_by=dict(type="str", default="ansible-deploy"),
        wait_timeout=dict(type="int", default=1800),
        wait=dict(type="bool", default=True),
    ), supports_check_mode=True)
    params = module.params
    if module.check_mode:
        module.exit_json(changed=True, msg=f"would run {params['command']} in {params['task_definition']}")
    client = module.client("ecs")
    args = {
        "cluster": params["cluster"], "taskDefinition": params["task_definition"], "launchType": "FARGATE",
        "count": 1, "startedBy": params["started_by"][:36],
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": params["subnets"],
                                                         "securityGroups": params["security_groups"],
                                                         "assignPublicIp": "DISABLED"}},
        "overrides": {"containerOverrides": [{"name": params["container"], "command": params["command"]}]},
        # The same command from the same revision is one task: a deploy resumed after a crash waits for it
        # instead of starting a second migration.
        "clientToken": idempotency_token(params["cluster"], params["task_definition"], params["container"],
                                         *params["command"], length=64),
    }
    try:
        task = api.run_task(client, args)
        result = {"changed": True, "task_arn": task["taskArn"]}
        if params["wait"]:
            result["exit_code"] = wait_for_exit(client, params["cluster"], task["taskArn"], params["container"],
                                                params["wait_timeout"])
    except TaskFailed as e:
        module.fail_json(msg=str(e))
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
