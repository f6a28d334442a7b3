#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: run_lock
short_description: One run at a time per environment - a lease in DynamoDB
version_added: 0.1.0
description:
  - Takes, releases or breaks the run lock of one environment, an item of a DynamoDB table (created on first
    use, on-demand, one per account and project). Held in AWS, so CI, a laptop and AWX see the same lock.
  - C(state=acquired) writes the item with a conditional write (nobody holds it, the holder's lease has expired,
    or it is this run's own) and waits up to I(wait_timeout) seconds while another run holds it; then it fails
    naming the holder, since when, and how to break the lock. Taking it again in the same run renews it.
  - C(state=released) deletes the item if I(run_id) holds it. The collection's C(solo_saving.infra.run_lock)
    callback also releases it at the end of a run that failed.
  - C(state=broken) deletes the item whoever holds it (a run that was killed).
  - Taking and releasing the lock is the run's bookkeeping, not a change of the stack - it is reported as
    C(changed=false), so that a run that changes nothing says so; breaking a lock is a change.
  - In check mode nothing is written and nothing is waited for; the result says who holds the lock.
  - DynamoDB over SSM Parameter Store - SSM has no conditional delete or overwrite, so two runs breaking a
    stale lock at once could both believe they hold it; DynamoDB's conditional writes are atomic.
author:
  - Solo Saving platform team (@solo-saving)
options:
  state:
    description: Take, release or break the lock.
    type: str
    choices: [acquired, released, broken]
    default: acquired
  table:
    description: The DynamoDB table of the locks.
    type: str
    required: true
  lock_id:
    description: The environment's lock (its name prefix).
    type: str
    required: true
  run_id:
    description: This run's identifier (the same for every task of one run).
    type: str
    default: ""
  owner:
    description: Who runs (shown to a run that waits), such as C(user@host).
    type: str
    default: ""
  playbook:
    description: What runs, shown to a run that waits.
    type: str
    default: ""
  lease_seconds:
    description: How long the lock lasts without being released; a crashed run's lock expires then.
    type: int
    default: 7200
  wait_timeout:
    description: Seconds to wait while another run holds the lock (0 to fail at once).
    type: int
    default: 60
  wait_delay:
    description: Seconds between two tries while waiting.
    type: int
    default: 10
  tags:
    description: Tags of the table when the module creates it.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take the environment's run lock.
  solo_saving.infra.run_lock:
    table: solo-saving-run-locks
    lock_id: solo-saving-prod
    run_id: "{{ stack_run_id }}"
    owner: "{{ lookup('ansible.builtin.env', 'USER') }}@{{ lookup('ansible.builtin.pipe', 'hostname') }}"
    playbook: site.yml

- name: Break the lock a killed run left.
  solo_saving.infra.run_lock:
    state: broken
    table: solo-saving-run-locks
    lock_id: solo-saving-prod
"""

RETURN = r"""
run_lock:
  description: The lock after the task (C(held) is whether this run holds it); read by the run_lock callback.
  returned: always
  type: dict
  contains:
    table:
      description: The table.
      type: str
    lock_id:
      description: The lock.
      type: str
    run_id:
      description: This run.
      type: str
    held:
      description: Whether this run holds the lock now.
      type: bool
    region:
      description: The table's region.
      type: str
    endpoint_url:
      description: The endpoint the module used (empty for AWS's own).
      type: str
    profile:
      description: The profile the module used (empty for none).
      type: str
holder:
  description: The item of the run that holds the lock (in check mode, and when breaking it; empty otherwise).
  returned: always
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import dynamodb
from ansible_collections.solo_saving.infra.plugins.module_utils import run_lock as lock
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws


def main():
    module = SoloAwsModule(argument_spec=dict(
        state=dict(type="str", default="acquired", choices=["acquired", "released", "broken"]),
        table=dict(type="str", required=True),
        lock_id=dict(type="str", required=True),
        run_id=dict(type="str", default=""),
        owner=dict(type="str", default=""),
        playbook=dict(type="str", default=""),
        lease_seconds=dict(type="int", default=7200),
        wait_timeout=dict(type="int", default=60),
        wait_delay=dict(type="int", default=10),
        tags=dict(type="dict", default={}),
    ), supports_check_mode=True, required_if=[("state", "acquired", ["run_id"]), ("state", "released", ["run_id"])])
    p = module.params
    if p["lease_seconds"] < 60 or p["wait_timeout"] < 0 or p["wait_delay"] < 1:
        module.fail_json(msg="lease_seconds must be at least 60, wait_timeout at least 0 and wait_delay at least 1")
    client = module.client("dynamodb")
    # Where the lock is, for the callback that releases it when the run fails (no credentials: it uses the
    # environment's, as the run does on AWS, CI and AWX).
    state = dict(table=p["table"], lock_id=p["lock_id"], run_id=p["run_id"], held=False, region=module.region,
                 endpoint_url=p.get("endpoint_url") or "", profile=p.get("profile") or "")
    try:
        result = dict(changed=False, run_lock=state, holder={})
        if module.check_mode or p["state"] == "broken":
            result["holder"] = dynamodb.get_lock(client, p["table"], p["lock_id"]) or {}
        if module.check_mode:
            module.exit_json(**result)
        if p["state"] == "acquired":
            # One conditional write when the lock is free (no read first: a no-op run pays one call).
            lock.acquire(client, p["table"], p["lock_id"], p["run_id"], p["owner"] or "a run", p["playbook"],
                         p["lease_seconds"], p["wait_timeout"], p["wait_delay"], tags=p["tags"])
            state["held"] = True
        elif p["state"] == "released":
            lock.release(client, p["table"], p["lock_id"], p["run_id"])
        elif result["holder"]:
            result["changed"] = bool(dynamodb.delete_lock(client, p["table"], p["lock_id"]))
    except lock.LockHeld as e:
        module.fail_json(msg=str(e), run_lock=state, holder=e.holder)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
