#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: db_password_rotation
short_description: Rotate the Aurora master password and its SSM parameter together, resumably
version_added: 0.1.0
description:
  - Generates a new master password inside the module, sets it on the Aurora cluster, stores it in the
    SecureString parameter the stack reads, and forces a new deployment of the ECS services that read it.
  - "The rotation is resumable: the new value is first stored in a I(pending) parameter. A run interrupted
    anywhere leaves either the old password everywhere, or the new one in the pending parameter (and perhaps on the
    cluster already); the next run picks the pending value up and finishes, so Aurora and SSM never disagree
    without a way back."
  - The password never leaves the module - it is neither an input nor returned.
  - In check mode nothing is written and the steps that would run are reported.
author:
  - Solo Saving platform team (@solo-saving)
options:
  cluster_identifier:
    description: The Aurora cluster.
    type: str
    required: true
  password_parameter:
    description: The SecureString parameter holding the master password.
    type: str
    required: true
  pending_parameter:
    description:
      - Where the new password waits until the rotation is complete.
      - Defaults to I(password_parameter) + C(-pending).
    type: str
  kms_key_id:
    description: Customer KMS key for the parameters; empty for the AWS-managed key.
    type: str
    default: ""
  length:
    description: Length of the new password.
    type: int
    default: 32
  ecs_cluster:
    description: ECS cluster of the services to redeploy.
    type: str
    default: ""
  ecs_services:
    description: ECS services to force a new deployment of, so their tasks read the new password.
    type: list
    elements: str
    default: []
  wait_timeout:
    description: Seconds to wait for the cluster to apply the new password after the change.
    type: int
    default: 900
  wait_delay:
    description:
      - Seconds between two looks at the cluster while it applies the new password; the first look is
        after one delay.
      - After C(ModifyDBCluster) the cluster still reads C(available) for a moment, with the password in
        C(PendingModifiedValues), then C(resetting-master-credentials), then C(available) again. The new
        password is stored in the main parameter (and the services redeployed) only once the cluster is
        C(available) with no password pending.
    type: int
    default: 10
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Rotate the master password of the database.
  solo_saving.infra.db_password_rotation:
    cluster_identifier: solo-saving-prod-db
    password_parameter: /solo-saving/prod/db/password
    ecs_cluster: solo-saving-prod
    ecs_services: [solo-saving-prod-backend]
"""

RETURN = r"""
actions:
  description: What the run did (or would do), one sentence each.
  returned: always
  type: list
  elements: str
resumed:
  description: Whether an interrupted rotation was finished (a pending value existed).
  returned: always
  type: bool
version:
  description: The password parameter's new version (absent in check mode).
  returned: success
  type: int
"""

import time

from ansible_collections.solo_saving.infra.plugins.module_utils import db_password
from ansible_collections.solo_saving.infra.plugins.module_utils import ecs as ecs_api
from ansible_collections.solo_saving.infra.plugins.module_utils import rds as rds_api
from ansible_collections.solo_saving.infra.plugins.module_utils import ssm as ssm_api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws, record_retry
from ansible_collections.solo_saving.infra.plugins.module_utils.passwords import generate_value


class RotationError(Exception):
    pass


def password_state(cluster):
    """What the cluster says of its master password: 'applied', or the state it is still in."""
    if cluster is None:
        return "missing"
    status = cluster.get("Status")
    if status != "available":
        return str(status)
    if "MasterUserPassword" in (cluster.get("PendingModifiedValues") or {}):
        return "available, password pending"
    return "applied"


def wait_password_applied(rds, identifier, timeout, delay, sleep=None, clock=None):
    """Wait until the cluster has applied a new master password; the states it went through.

    Right after ModifyDBCluster the cluster still reads "available" (the password pending), then
    "resetting-master-credentials", then "available" again: waiting for "available" alone can end
    before the reset has even started.
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    started = clock()
    seen = []
    while True:
        sleep(delay)
        state = password_state(rds_api.describe_db_cluster(rds, identifier))
        if state == "applied":
            return seen
        if not seen or seen[-1] != state:
            seen.append(state)
        record_retry(f"cluster {state}", "wait until the cluster has applied the new master password", delay)
        if clock() - started >= timeout:
            raise RotationError(f"cluster {identifier} is still {state!r} after {timeout} s; the new password is in "
                                "the pending parameter - run the rotation again to finish it")


def rotate(module, ssm, rds, ecs):
    params = module.params
    name = params["password_parameter"]
    pending = params["pending_parameter"] or f"{name}-pending"
    key_id = params["kms_key_id"] or None
    actions = []

    if ssm_api.get_parameter_value(ssm, name) is None:
        raise RotationError(f"parameter {name} does not exist: deploy the secrets layer first")
    cluster = rds_api.describe_db_cluster(rds, params["cluster_identifier"])
    if cluster is None:
        raise RotationError(f"cluster {params['cluster_identifier']} does not exist: deploy the database first")

    value = ssm_api.get_parameter_value(ssm, pending)
    resumed = value is not None
    if value is None:
        actions.append(f"store a new password in {pending}")
        if not module.check_mode:
            value = generate_value(params["length"])
            module.no_log_values.add(value)
            if ssm_api.create_secure_parameter(ssm, pending, value, key_id=key_id,
                                               description="Master password being rotated in") is None:
                value = ssm_api.get_parameter_value(ssm, pending)  # another run got there first
    else:
        actions.append(f"resume the interrupted rotation from {pending}")
    if value is not None:
        module.no_log_values.add(value)

    actions.append(f"set the new master password on cluster {params['cluster_identifier']}")
    if not module.check_mode:
        rds_api.modify_db_cluster(rds, params["cluster_identifier"], MasterUserPassword=value, ApplyImmediately=True)
        wait_password_applied(rds, params["cluster_identifier"], params["wait_timeout"], params["wait_delay"])

    actions.append(f"store the new password in {name}")
    version = None
    if not module.check_mode:
        version = ssm_api.overwrite_secure_parameter(ssm, name, value, key_id=key_id)
        # The cluster holds this version now (site.yml compares the two; a run stopped before this tag
        # makes the next site.yml set the same password again, never a mismatch).
        stamp, _pending = db_password.parameter_state(ssm, name)
        rds_api.add_tags(rds, cluster["DBClusterArn"], [{"Key": db_password.TAG, "Value": stamp}])

    actions.append(f"remove {pending}")
    if not module.check_mode:
        ssm_api.delete_parameter(ssm, pending)

    for service in params["ecs_services"]:
        actions.append(f"force a new deployment of {service} so its tasks read the new password")
        if not module.check_mode:
            ecs_api.update_service(ecs, {"cluster": params["ecs_cluster"], "service": service,
                                         "forceNewDeployment": True})
    return actions, resumed, version


def main():
    argument_spec = dict(
        cluster_identifier=dict(type="str", required=True),
        password_parameter=dict(type="str", required=True, no_log=False),
        pending_parameter=dict(type="str", no_log=False),
        kms_key_id=dict(type="str", default="", no_log=False),
        length=dict(type="int", default=32, no_log=False),
        ecs_cluster=dict(type="str", default=""),
        ecs_services=dict(type="list", elements="str", default=[]),
        wait_timeout=dict(type="int", default=900),
        wait_delay=dict(type="int", default=10),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["ecs_services"] and not module.params["ecs_cluster"]:
        module.fail_json(msg="ecs_cluster: give the cluster of ecs_services")
    if not 16 <= module.params["length"] <= 41:
        module.fail_json(msg=f"length: {module.params['length']} is outside 16-41 (Aurora accepts master passwords of "
                             "up to 41 characters; fewer than 16 is too weak)")
    try:
        actions, resumed, version = rotate(module, module.client("ssm"), module.client("rds"),
                                           module.client("ecs") if module.params["ecs_services"] else None)
    except RotationError as e:
        module.fail_json(msg=str(e))
    except SoloAwsError as e:
        fail_aws(module, e)
    result = dict(changed=True, actions=actions, resumed=resumed)
    if version is not None:
        result["version"] = version
    module.exit_json(**result)


if __name__ == "__main__":
    main()
