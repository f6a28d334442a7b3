# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS API wrappers: one function per call, each retried, one error type.

Reads return ``None`` (or empty lists) for what does not exist; identifiers
passed in are real ones, never planned ones.
"""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call

# An IAM role created a moment ago may not be visible to ECS yet.
ECS_RETRY_CODES = ["ClusterNotFoundException"]


@aws_call("describe the ECS cluster")
def describe_cluster(client, name):
    """The ACTIVE or PROVISIONING cluster named ``name`` (settings, tags, capacity providers), else None."""
    result = client.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])
    for cluster in result.get("clusters", []):
        if cluster.get("status") != "INACTIVE":
            return cluster
    return None


@aws_call("create the ECS cluster")
def create_cluster(client, name, settings, tags, capacity_providers, default_strategy):
    args = {"clusterName": name, "settings": settings, "tags": tags}
    if capacity_providers:
        args["capacityProviders"] = capacity_providers
        args["defaultCapacityProviderStrategy"] = default_strategy
    return client.create_cluster(**args)["cluster"]


@aws_call("update the settings of the ECS cluster", retry_codes=ECS_RETRY_CODES)
def update_cluster_settings(client, name, settings):
    # UpdateCluster takes the same settings as UpdateClusterSettings (which the
    # emulator does not implement) and is documented to apply them the same way.
    client.update_cluster(cluster=name, settings=settings)


@aws_call("set the capacity providers of the ECS cluster", retry_codes=[*ECS_RETRY_CODES, "UpdateInProgressException"])
def put_cluster_capacity_providers(client, name, capacity_providers, default_strategy):
    client.put_cluster_capacity_providers(cluster=name, capacityProviders=capacity_providers,
                                          defaultCapacityProviderStrategy=default_strategy)


@aws_call("tag an ECS resource", retry_codes=ECS_RETRY_CODES)
def tag_resource(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=tags)


@aws_call("list task definitions")
def latest_task_definition_arn(client, family):
    """The ARN of the newest ACTIVE revision of ``family``, or None."""
    result = client.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC", maxResults=1)
    arns = result.get("taskDefinitionArns", [])
    # familyPrefix matches by prefix: "app" also lists "app-worker".
    for arn in arns:
        if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family:
            return arn
    if arns:
        # The newest revision belongs to a longer family name: page through this family only.
        paginator = client.get_paginator("list_task_definitions")
        for page in paginator.paginate(familyPrefix=family, status="ACTIVE", sort="DESC"):
            for arn in page.get("taskDefinitionArns", []):
                if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family:
                    return arn
    return None


@aws_call("describe a task definition", not_found=["ClientException"])
def describe_task_definition(client, ref):
    """(definition, tags) for a family:revision or ARN; None when it does not exist."""
    result = client.describe_task_definition(taskDefinition=ref, include=["TAGS"])
    return result["taskDefinition"], result.get("tags", [])


@aws_call("register a task definition")
def register_task_definition(client, definition, tags):
    args = dict(definition)
    if tags:
        args["tags"] = tags
    return client.register_task_definition(**args)["taskDefinition"]


@aws_call("describe ECS services", retry_codes=ECS_RETRY_CODES)
def describe_services(client, cluster, names):
    """{name: service} of the services of ``names`` that exist (any status)."""
    found = {}
    names = list(names)
    # DescribeServices takes at most 10 services per call.
    for start in range(0, len(names), 10):
        result = client.describe_services(cluster=cluster, services=names[start:start + 10], include=["TAGS"])
        for service in result.get("services", []):
            found[service["serviceName"]] = service
    return found


@aws_call("create an ECS service", retry_codes=ECS_RETRY_CODES)
def create_service(client, args):
    return client.create_service(**args)["service"]


@aws_call("update an ECS service", retry_codes=ECS_RETRY_CODES)
def update_service(client, args):
    return client.update_service(**args)["service"]


@aws_call("list the stopped tasks of an ECS service")
def stopped_tasks(client, cluster, service, limit=5):
    """The most recent stopped tasks of ``service`` (stop reasons for a failure message)."""
    arns = client.list_tasks(cluster=cluster, serviceName=service, desiredStatus="STOPPED",
                             maxResults=limit).get("taskArns", [])
    if not arns:
        return []
    return client.describe_tasks(cluster=cluster, tasks=arns).get("tasks", [])
