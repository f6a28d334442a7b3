# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Cloud Map (servicediscovery) API wrappers: one function per call."""

from __future__ import annotations

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule
    ClientError = Exception

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call, error_code


def _paginate(client, operation, key, **kwargs):
    items = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


@aws_call("list Cloud Map namespaces")
def list_private_dns_namespaces(client):
    return _paginate(client, "list_namespaces", "Namespaces",
                     Filters=[{"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"}])


@aws_call("create the Cloud Map private DNS namespace")
def create_private_dns_namespace(client, name, vpc_id, creator_request_id, description, tags, soa_ttl):
    """Start the creation; returns the operation id (the creation is asynchronous).

    A request repeated with the same ``creator_request_id`` (a run interrupted
    while AWS created the namespace) is answered with DuplicateRequest naming
    the operation already under way: that operation is returned.
    """
    try:
        return client.create_private_dns_namespace(
            Name=name, Vpc=vpc_id, CreatorRequestId=creator_request_id, Description=description, Tags=tags,
            Properties={"DnsProperties": {"SOA": {"TTL": soa_ttl}}})["OperationId"]
    except ClientError as e:
        duplicate = e.response.get("DuplicateOperationId") or e.response.get("Error", {}).get("DuplicateOperationId")
        if error_code(e) == "DuplicateRequest" and duplicate:
            return duplicate
        raise


@aws_call("read a Cloud Map operation")
def get_operation(client, operation_id):
    return client.get_operation(OperationId=operation_id)["Operation"]


@aws_call("list the services of the Cloud Map namespace")
def list_services(client, namespace_id):
    return _paginate(client, "list_services", "Services",
                     Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}])


@aws_call("create a Cloud Map service")
def create_service(client, name, namespace_id, creator_request_id, description, dns_records, tags):
    return client.create_service(
        Name=name, NamespaceId=namespace_id, CreatorRequestId=creator_request_id, Description=description,
        DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": dns_records},
        # ECS reports task health to Cloud Map; AWS always uses a failure threshold of 1.
        HealthCheckCustomConfig={"FailureThreshold": 1}, Tags=tags)["Service"]


@aws_call("update a Cloud Map service")
def update_service(client, service_id, description, dns_records):
    return client.update_service(Id=service_id, Service={"Description": description,
                                                         "DnsConfig": {"DnsRecords": dns_records}})["OperationId"]


@aws_call("read the tags of a Cloud Map resource")
def list_tags(client, arn):
    return client.list_tags_for_resource(ResourceARN=arn).get("Tags", [])


@aws_call("tag a Cloud Map resource")
def tag_resource(client, arn, tags):
    client.tag_resource(ResourceARN=arn, Tags=tags)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list the instances of a Cloud Map service", not_found=["ServiceNotFound"])
def list_instances(client, service_id):
    return _paginate(client, "list_instances", "Instances", ServiceId=service_id)


@aws_call("deregister a Cloud Map instance", not_found=["InstanceNotFound", "ServiceNotFound"])
def deregister_instance(client, service_id, instance_id):
    return client.deregister_instance(ServiceId=service_id, InstanceId=instance_id)["OperationId"]


@aws_call("delete a Cloud Map service", not_found=["ServiceNotFound"], retry_codes=["ResourceInUse"])
def delete_service(client, service_id):
    client.delete_service(Id=service_id)


@aws_call("delete the Cloud Map namespace", not_found=["NamespaceNotFound"], retry_codes=["ResourceInUse"])
def delete_namespace(client, namespace_id):
    """Start the deletion; returns the operation id (the deletion is asynchronous)."""
    return client.delete_namespace(Id=namespace_id)["OperationId"]


@aws_call("read a Cloud Map service", not_found=["ServiceNotFound"])
def get_service(client, service_id):
    return client.get_service(Id=service_id)["Service"]
