# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application Auto Scaling API wrappers: one function per call."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import Condition, aws_call

ECS_DIMENSION = "ecs:service:DesiredCount"

# Not yet: a service created a moment ago is unknown to Application Auto Scaling, its service-linked
# role (created by the first RegisterScalableTarget) is not assumable yet, or another change of the
# same target is under way (ConcurrentUpdateException, documented as retryable). Other
# ValidationExceptions are real errors and fail at once.
NOT_READY = [
    Condition("ValidationException", message="doesn't exist", why="ECS has not told Auto Scaling of the service yet"),
    Condition("ValidationException", message="assume", why="IAM is still propagating the service-linked role"),
    Condition("ValidationException", message="service linked role", why="IAM is still propagating the role"),
    Condition("ConcurrentUpdateException", why="another change of the scalable target is under way"),
]
POLICY_NOT_READY = [
    Condition("ObjectNotFoundException", why="the scalable target registered a moment ago is not visible yet"),
    Condition("FailedResourceAccessException", why="IAM is still propagating the service-linked role"),
    Condition("ConcurrentUpdateException", why="another change of the scalable target is under way"),
]


def _paginate(client, operation, key, **kwargs):
    items = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


@aws_call("describe the scalable targets")
def describe_scalable_targets(client, resource_ids):
    """{resource id: scalable target} for the ECS services' DesiredCount dimension."""
    if not resource_ids:
        return {}
    targets = _paginate(client, "describe_scalable_targets", "ScalableTargets", ServiceNamespace="ecs",
                        ResourceIds=list(resource_ids), ScalableDimension=ECS_DIMENSION)
    return {t["ResourceId"]: t for t in targets}


@aws_call("register a scalable target", retry_codes=NOT_READY)
def register_scalable_target(client, resource_id, min_capacity, max_capacity, tags=None):
    args = {"ServiceNamespace": "ecs", "ResourceId": resource_id, "ScalableDimension": ECS_DIMENSION,
            "MinCapacity": min_capacity, "MaxCapacity": max_capacity}
    if tags:
        args["Tags"] = tags
    client.register_scalable_target(**args)


@aws_call("describe the scaling policies")
def describe_scaling_policies(client, resource_id):
    return _paginate(client, "describe_scaling_policies", "ScalingPolicies", ServiceNamespace="ecs",
                     ResourceId=resource_id, ScalableDimension=ECS_DIMENSION)


@aws_call("put a target-tracking scaling policy", retry_codes=POLICY_NOT_READY)
def put_target_tracking_policy(client, resource_id, name, configuration):
    client.put_scaling_policy(PolicyName=name, ServiceNamespace="ecs", ResourceId=resource_id,
                              ScalableDimension=ECS_DIMENSION, PolicyType="TargetTrackingScaling",
                              TargetTrackingScalingPolicyConfiguration=configuration)


@aws_call("delete a scaling policy", not_found=["ObjectNotFoundException"])
def delete_scaling_policy(client, resource_id, name):
    client.delete_scaling_policy(PolicyName=name, ServiceNamespace="ecs", ResourceId=resource_id,
                                 ScalableDimension=ECS_DIMENSION)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list the scalable targets of ECS")
def list_ecs_scalable_targets(client):
    return _paginate(client, "describe_scalable_targets", "ScalableTargets", ServiceNamespace="ecs")


@aws_call("deregister a scalable target", not_found=["ObjectNotFoundException"])
def deregister_scalable_target(client, resource_id, dimension=ECS_DIMENSION):
    """Deregistering also deletes the target's scaling policies and scheduled actions."""
    client.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension=dimension)
