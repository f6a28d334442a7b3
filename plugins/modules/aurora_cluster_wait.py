#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: aurora_cluster_wait
short_description: Wait, for a bounded time, until an Aurora cluster and its instances are available
version_added: 0.1.0
description:
  - Polls the cluster and its instances every I(delay) seconds until the cluster is C(available) (or
    C(backing-up)) and every instance serves connections, then returns their statuses.
  - Fails at the end of I(timeout) with the cluster's and each instance's last status; fails at once when a
    status cannot turn into C(available) by waiting (C(stopped), C(failed), C(incompatible-parameters), ...),
    or when the cluster or an expected instance does not exist.
  - In check mode it reads the statuses once and never waits or fails on a cluster that does not exist yet.
  - Pairs with M(solo_saving.infra.aurora_serverless_cluster), which does not wait, so that a deployment waits for
    the database only where it needs it.
author:
  - Solo Saving platform team (@solo-saving)
options:
  identifier:
    description: The cluster identifier.
    type: str
    required: true
  instances:
    description: The instances that must be available; empty means every member of the cluster.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait at most (0 checks once).
    type: int
    default: 1800
  delay:
    description: Seconds between two checks.
    type: int
    default: 15
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait until the database can take connections.
  solo_saving.infra.aurora_cluster_wait:
    identifier: solo-saving-prod-db
    instances: [solo-saving-prod-db-1, solo-saving-prod-db-2]
    timeout: 1800
"""

RETURN = r"""
status:
  description: The cluster's status (C(absent) in check mode when it does not exist).
  returned: always
  type: str
available:
  description: Whether the cluster and the instances serve connections.
  returned: always
  type: bool
instances:
  description: Status of each instance waited for.
  returned: always
  type: list
  elements: dict
  contains:
    identifier:
      description: Instance identifier.
      type: str
    status:
      description: Its status (C(missing) when it does not exist).
      type: str
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: int
"""

import time

from ansible_collections.solo_saving.infra.plugins.module_utils import rds as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aurora import readiness
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws

# The clock and the pause, replaced in unit tests.
now = time.monotonic
sleep = time.sleep


def statuses(members, expected):
    by_id = {m["DBInstanceIdentifier"]: m.get("DBInstanceStatus", "unknown") for m in members}
    names = list(expected) if expected else sorted(by_id)
    return [{"identifier": name, "status": by_id.get(name, "missing")} for name in names]


def wait(module, client):
    params = module.params
    ident, expected = params["identifier"], params["instances"]
    timeout, delay = max(0, params["timeout"]), max(1, params["delay"])
    start = now()
    deadline = start + timeout
    while True:
        cluster = api.describe_db_cluster(client, ident)
        if cluster is None:
            if module.check_mode:
                return {"status": "absent", "available": False, "instances": statuses([], expected), "elapsed": 0}
            module.fail_json(msg=f"Aurora cluster {ident} does not exist: run the database stage first "
                                 "(ansible-playbook site.yml --tags database)")
        members = api.describe_cluster_instances(client, ident)
        ready, stuck, summary = readiness(cluster, members, expected)
        elapsed = int(now() - start)
        result = {"status": cluster.get("Status"), "available": ready, "instances": statuses(members, expected),
                  "elapsed": elapsed}
        if ready or module.check_mode:
            return result
        if stuck:
            module.fail_json(msg=f"Aurora cluster {ident} will not become available: {stuck} ({summary})", **result)
        remaining = deadline - now()
        if remaining <= 0:
            module.fail_json(
                msg=f"Aurora cluster {ident} was not available after {timeout} s (last status: {summary}). Creating "
                    "a cluster takes 10-20 minutes on AWS: raise database_wait_timeout, or look at the cluster's "
                    "events (aws rds describe-events --source-type db-cluster).", **result)
        sleep(min(delay, remaining))


def main():
    argument_spec = dict(
        identifier=dict(type="str", required=True),
        instances=dict(type="list", elements="str", default=[]),
        timeout=dict(type="int", default=1800),
        delay=dict(type="int", default=15),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        result = wait(module, module.client("rds"))
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
