# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS API wrappers: one function per call, each retried, one error type.

Reads return ``None`` (or empty lists) for what does not exist; identifiers
passed in are real ones, never planned ones.
"""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import Condition, SoloAwsError, aws_call

# A cluster created a moment ago may not be visible to the next call yet.
ECS_RETRY_CODES = ["ClusterNotFoundException"]

# The account's first cluster with capacity providers: ECS creates its service-linked role and answers
# this until the role has propagated (cloudformation-coverage-roadmap #818). The module creates the
# role first; this covers the propagation.
SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"
SERVICE_LINKED_ROLE_NOT_READY = [Condition(
    "InvalidParameterException", message="Unable to assume the service linked role",
    why="ECS's service-linked role is still propagating (cloudformation-coverage-roadmap #818)")]

# IAM is eventually consistent: right after CreateRole (or a policy change), RegisterTaskDefinition
# may answer "Role is not valid" or deny iam:PassRole on the new role, CreateService / RunTask may not
# assume it yet, and a target group just put behind a listener may not be known to ECS yet. Retried
# for CONSISTENCY_SECONDS (terraform-provider-aws retries the same answers for two minutes).
ROLE_PROPAGATION = [
    Condition("ClientException", message="Role is not valid", why="IAM is still propagating the new role"),
    Condition("AccessDeniedException", message="iam:PassRole", why="IAM is still propagating the new role"),
]
SERVICE_NOT_READY = [
    Condition("InvalidParameterException", message="Unable to assume role",
              why="IAM is still propagating the new role"),
    Condition("InvalidParameterException", message="does not have an associated load balancer",
              why="ELB has not told ECS about the new listener yet"),
]


@aws_call("describe the ECS cluster")
def describe_cluster(client, name):
    """The ACTIVE or PROVISIONING cluster named ``name`` (settings, tags, capacity providers), else None."""
    result = client.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])
    for cluster in result.get("clusters", []):
        if cluster.get("status") != "INACTIVE":
            return cluster
    return None


@aws_call("create the ECS cluster", retry_codes=SERVICE_LINKED_ROLE_NOT_READY)
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


@aws_call("set the capacity providers of the ECS cluster",
          retry_codes=[*ECS_RETRY_CODES, "UpdateInProgressException", *SERVICE_LINKED_ROLE_NOT_READY])
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


@aws_call("register a task definition", retry_codes=ROLE_PROPAGATION)
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


@aws_call("create an ECS service", retry_codes=[*ECS_RETRY_CODES, *SERVICE_NOT_READY])
def create_service(client, args):
    return client.create_service(**args)["service"]


@aws_call("update an ECS service", retry_codes=[*ECS_RETRY_CODES, *SERVICE_NOT_READY])
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


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list the ECS clusters")
def list_cluster_arns(client):
    arns = []
    for page in client.get_paginator("list_clusters").paginate():
        arns.extend(page.get("clusterArns", []))
    return arns


@aws_call("describe the ECS clusters")
def describe_clusters(client, arns):
    """The clusters of ``arns`` (any status) with their tags; DescribeClusters takes 100 at a time."""
    found = []
    arns = list(arns)
    for start in range(0, len(arns), 100):
        found.extend(client.describe_clusters(clusters=arns[start:start + 100], include=["TAGS"]).get("clusters", []))
    return found


@aws_call("list the services of the ECS cluster", not_found=["ClusterNotFoundException"])
def list_service_arns(client, cluster):
    arns = []
    for page in client.get_paginator("list_services").paginate(cluster=cluster):
        arns.extend(page.get("serviceArns", []))
    return arns


@aws_call("delete an ECS service", not_found=["ServiceNotFoundException", "ClusterNotFoundException"])
def delete_service(client, cluster, service):
    """Delete the service even if it still runs tasks (they are stopped)."""
    client.delete_service(cluster=cluster, service=service, force=True)


@aws_call("delete the ECS cluster", not_found=["ClusterNotFoundException"],
          retry_codes=["ClusterContainsServicesException", "ClusterContainsTasksException"])
def delete_cluster(client, cluster):
    client.delete_cluster(cluster=cluster)


@aws_call("list task definition families")
def list_task_definition_families(client, prefix):
    families = []
    for page in client.get_paginator("list_task_definition_families").paginate(familyPrefix=prefix, status="ALL"):
        families.extend(page.get("families", []))
    return families


@aws_call("list the revisions of a task definition family")
def list_task_definition_arns(client, family, status):
    """The ``status`` (ACTIVE or INACTIVE) revisions of exactly ``family`` (familyPrefix matches longer names too)."""
    arns = []
    for page in client.get_paginator("list_task_definitions").paginate(familyPrefix=family, status=status):
        arns.extend(a for a in page.get("taskDefinitionArns", []) if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family)
    return arns


@aws_call("deregister a task definition", not_found=["ClientException"])
def deregister_task_definition(client, arn):
    client.deregister_task_definition(taskDefinition=arn)


@aws_call("delete task definitions")
def delete_task_definitions(client, arns):
    """Delete INACTIVE revisions, 10 per call; returns the failures other than "already deleted"."""
    failures = []
    arns = list(arns)
    for start in range(0, len(arns), 10):
        result = client.delete_task_definitions(taskDefinitions=arns[start:start + 10])
        failures.extend(f for f in result.get("failures", []) if "DELETE_IN_PROGRESS" not in str(f.get("reason", "")))
    return failures


@aws_call("list the running tasks of the ECS cluster", not_found=["ClusterNotFoundException"])
def running_task_arns(client, cluster):
    arns = []
    for page in client.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING"):
        arns.extend(page.get("taskArns", []))
    return arns


@aws_call("stop an ECS task", not_found=["InvalidParameterException"])
def stop_task(client, cluster, task_arn, reason):
    client.stop_task(cluster=cluster, task=task_arn, reason=reason)


@aws_call("start a one-off ECS task", retry_codes=SERVICE_NOT_READY)
def run_task(client, args):
    result = client.run_task(**args)
    if result.get("failures"):
        failure = result["failures"][0]
        raise SoloAwsError(f"ECS could not start the task: {failure.get('reason')} {failure.get('detail', '')}".strip())
    return result["tasks"][0]


@aws_call("describe an ECS task")
def describe_task(client, cluster, task_arn):
    tasks = client.describe_tasks(cluster=cluster, tasks=[task_arn]).get("tasks", [])
    return tasks[0] if tasks else None
