"""The strict-AWS profile of the project's emulator: where AWS is known to be stricter than moto.

moto answers every call at once and as if every resource were everywhere the moment it exists.
AWS does not, and the first real run meets it. Each rule below is one behaviour of AWS, with the
source that documents or reports it and its window: how long it lasts on AWS, in seconds, as its
users report it. ``time_scale`` shrinks every window alike (0.1: a tenth of AWS's time), so the
tests meet each behaviour without waiting AWS's minutes; the modules' own bounds stay AWS's.

A rule is switched off by name (``disabled``), its window changed (``windows``). Throttling is a
seeded fraction of the calls of each service, answered with that protocol's own error code.

The profile sits in the latency emulator's WSGI middleware (``tools.latency_emulator``, option
``--strict``), in front of moto's server application, in the same process: it reads moto's state
where a rule depends on it (does the service-linked role exist, what type has the parameter).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import random
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

# The latency emulator's XML helpers (it imports this module only inside its functions).
from tools.latency_emulator import _child as _find
from tools.latency_emulator import _local, xml_bytes


@dataclass(frozen=True)
class Rule:
    name: str
    behaviour: str
    source: str
    window: float  # seconds on AWS; 0 for a rule that does not depend on time


RULES: dict[str, Rule] = {r.name: r for r in [
    Rule("ec2_eventual_consistency",
         "A VPC, subnet, security group, route table or internet gateway just created is unknown to the "
         "next EC2 calls that name it: InvalidVpcID.NotFound, InvalidSubnetID.NotFound, InvalidGroup.NotFound, "
         "InvalidRouteTableID.NotFound, InvalidInternetGatewayID.NotFound.",
         "Amazon EC2 API Reference, 'Eventual consistency in the Amazon EC2 API'", 3),
    Rule("iam_role_propagation",
         "A role just created, or whose policies just changed, is not yet usable by ECS: "
         "RegisterTaskDefinition naming it answers ClientException 'Role is not valid'.",
         "IAM User Guide, 'Changes that I make are not always immediately visible'; terraform-provider-aws "
         "retries this answer of RegisterTaskDefinition for two minutes", 10),
    Rule("flow_log_role_propagation",
         "CreateFlowLogs naming a delivery role just created answers InvalidParameter 'Unable to assume given "
         "IAM role' until IAM has propagated the role.",
         "hashicorp/terraform-provider-aws #29323; IAM User Guide, 'Changes that I make are not always "
         "immediately visible'", 10),
    Rule("ecs_service_linked_role",
         "CreateCluster / PutClusterCapacityProviders with capacity providers answer InvalidParameterException "
         "'Unable to assume the service linked role' until AWSServiceRoleForECS exists and has propagated; "
         "ECS starts creating the role itself on the first such call.",
         "aws-cloudformation/cloudformation-coverage-roadmap #818; Amazon ECS Developer Guide, "
         "'Using service-linked roles for Amazon ECS'", 60),
    Rule("waf_nonexistent_while_provisioning",
         "AssociateWebACL and GetWebACLForResource with a load balancer created moments ago answer "
         "WAFNonexistentItemException.",
         "kubernetes-sigs/aws-load-balancer-controller #2022", 60),
    Rule("waf_association_unavailable",
         "AssociateWebACL and GetWebACLForResource answer WAFUnavailableEntityException for minutes after the "
         "load balancer or the web ACL is created.",
         "hashicorp/terraform-provider-aws #17527, #29080, #17545 (timeout raised to 5 min); WAFv2 API "
         "Reference, AssociateWebACL", 120),
    Rule("waf_stale_lock_token",
         "Another writer changed the web ACL: the first UpdateWebACL / DeleteWebACL of each web ACL answers "
         "WAFOptimisticLockException, and its lock token is no longer valid (read the web ACL again).",
         "WAFv2 API Reference, UpdateWebACL and DeleteWebACL (LockToken)", 0),
    Rule("ssm_parameter_type_change",
         "PutParameter with Overwrite cannot change a parameter's type (String to SecureString): "
         "HierarchyTypeMismatchException.",
         "AWS Systems Manager API Reference, PutParameter errors (botocore's ssm model)", 0),
    Rule("rds_password_pending",
         "Right after ModifyDBCluster with a new MasterUserPassword the cluster still reads 'available', with "
         "PendingModifiedValues.MasterUserPassword set.",
         "Amazon RDS API Reference, ClusterPendingModifiedValues", 5),
    Rule("rds_password_resetting",
         "Then it reads 'resetting-master-credentials' (ModifyDBCluster is refused meanwhile) before it is "
         "'available' again with the new password.",
         "Amazon Aurora User Guide, 'Viewing DB cluster status' (resetting-master-credentials)", 60),
    Rule("elb_access_log_bucket",
         "ModifyLoadBalancerAttributes turning access logs on answers InvalidConfigurationRequest 'Access Denied for "
         "bucket' unless the bucket exists and its policy lets the region's ELB log delivery PutObject under "
         "<prefix>/AWSLogs/<account>/, and for a moment after that policy is set.",
         "Elastic Load Balancing User Guide, 'Enable access logs' (bucket policy); kubernetes-sigs/"
         "aws-load-balancer-controller #1956; S3 User Guide, 'Amazon S3 data consistency model'", 10),
    Rule("cloudmap_operation_pending",
         "CreatePrivateDnsNamespace is asynchronous: GetOperation reads PENDING for about a minute (Cloud Map "
         "creates the namespace's hosted zone) before SUCCESS.",
         "AWS Cloud Map API Reference, CreatePrivateDnsNamespace and GetOperation", 60),
]}

THROTTLE_SOURCE = ("Amazon EC2 API Reference, 'Request throttling'; AWS SDKs and Tools Reference Guide, "
                   "'Retry behavior' (error codes per protocol)")
DEFAULT_THROTTLE = 0.05

EC2_CREATES = {
    "CreateVpc": "vpcId", "CreateSubnet": "subnetId", "CreateSecurityGroup": "groupId",
    "CreateRouteTable": "routeTableId", "CreateInternetGateway": "internetGatewayId",
}
EC2_NOT_FOUND = {
    "vpc-": "InvalidVpcID.NotFound", "subnet-": "InvalidSubnetID.NotFound", "sg-": "InvalidGroup.NotFound",
    "rtb-": "InvalidRouteTableID.NotFound", "igw-": "InvalidInternetGatewayID.NotFound",
}
IAM_ROLE_CHANGES = ("CreateRole", "PutRolePolicy", "AttachRolePolicy", "UpdateAssumeRolePolicy")
ECS_SLR = "AWSServiceRoleForECS"
QUERY_NS = "https://strict.invalid/"
# Who writes a region's ALB access logs (Elastic Load Balancing User Guide, "Enable access logs", step 2): the
# ELB account of a region opened before August 2022, the log delivery service elsewhere. Kept apart from the
# collection's own table on purpose: the emulator checks the collection against AWS's word, not against itself.
ELB_LOG_WRITERS = {"ap-northeast-1": "arn:aws:iam::582318560864:root"}
ELB_LOG_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


class MotoState:
    """What the rules read of moto's state, in moto's own process."""

    def __init__(self, account_id: str | None = None):
        from moto.core import DEFAULT_ACCOUNT_ID

        self.account_id = account_id or DEFAULT_ACCOUNT_ID

    def role_exists(self, name: str) -> bool:
        from moto.iam.models import iam_backends

        try:
            iam_backends[self.account_id]["global"].get_role(name)
        except Exception:  # moto's IAMNotFoundException (and anything else): not there
            return False
        return True

    def create_service_linked_role(self, service: str) -> None:
        from moto.iam.models import iam_backends

        # moto's EntityAlreadyExists: another call created it meanwhile.
        with contextlib.suppress(Exception):
            iam_backends[self.account_id]["global"].create_service_linked_role(service, "", "")

    def parameter_type(self, region: str, name: str) -> str | None:
        from moto.ssm.models import ssm_backends

        parameter = ssm_backends[self.account_id][region].get_parameter(name)
        return getattr(parameter, "type", None) if parameter else None

    def bucket_policy(self, bucket: str) -> dict | None:
        """The bucket's policy ({} when it has none); None when there is no such bucket."""
        from moto.s3.models import s3_backends

        found = s3_backends[self.account_id]["aws"].buckets.get(bucket)
        if found is None:
            return None
        policy = found.policy.decode() if isinstance(found.policy, bytes) else found.policy
        return _json(policy.encode()) if policy else {}

    def rotate_lock_token(self, region: str, acl_id: str) -> None:
        import uuid

        from moto.wafv2.models import wafv2_backends

        for acl in wafv2_backends[self.account_id][region].wacls.values():
            if acl.id == acl_id:
                acl.lock_token = str(uuid.uuid4())


# -- error answers, by protocol -------------------------------------------------------------------
Answer = tuple[int, list[tuple[str, str]], bytes]


def query_error(code: str, message: str, status: int = 400) -> Answer:
    body = (f'<ErrorResponse xmlns="{QUERY_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>strict-aws</RequestId></ErrorResponse>")
    return status, [("Content-Type", "text/xml")], body.encode()


def ec2_error(code: str, message: str, status: int = 400) -> Answer:
    body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>strict-aws</RequestID></Response>")
    return status, [("Content-Type", "text/xml")], body.encode()


def json_error(code: str, message: str, status: int = 400) -> Answer:
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body


def throttle_answer(call, json_protocol: bool) -> Answer:
    """The throttling error of the call's protocol."""
    if json_protocol:
        return json_error("ThrottlingException", "Rate exceeded")
    if call.service == "ec2":
        return ec2_error("RequestLimitExceeded", "Request limit exceeded.", 503)
    if call.service == "s3":
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        return 503, [("Content-Type", "application/xml")], body
    if " " in call.action and call.service != "route53":  # a REST-JSON service
        return json_error("TooManyRequestsException", "Rate exceeded", 429)
    return query_error("Throttling", "Rate exceeded")  # query protocol, and Route 53's REST-XML


def _region(call) -> str:
    return call.region or "ap-northeast-1"


def _role_name(arn: str) -> str:
    return str(arn or "").rsplit("/", 1)[-1]


class StrictProfile:
    """The rules, their clocks and what they refused (see the module's docstring)."""

    def __init__(self, windows: dict[str, float] | None = None, disabled: set[str] | frozenset = frozenset(),
                 time_scale: float = 1.0, throttle: dict[str, float] | None = None, seed: int = 0,
                 state=None, clock=time.monotonic):
        unknown = (set(windows or {}) | set(disabled)) - set(RULES)
        if unknown:
            raise ValueError(f"unknown strict rule(s) {sorted(unknown)}; the rules are {sorted(RULES)}")
        if time_scale < 0:
            raise ValueError(f"time_scale must be >= 0, got {time_scale}")
        for service, fraction in (throttle or {}).items():
            if not 0 <= fraction < 1:
                raise ValueError(f"the throttled fraction of {service} must be in [0, 1), got {fraction}")
        self.windows = {name: rule.window for name, rule in RULES.items()}
        self.windows.update(windows or {})
        self.disabled = set(disabled)
        self.time_scale = time_scale
        self.throttle = dict(throttle or {})
        self.seed = seed
        self.state = state if state is not None else MotoState()
        self._clock = clock
        self._offset = 0.0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.reset()

    # -- bookkeeping -----------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._born: dict[tuple[str, str], float] = {}
            self._locked_once: set[str] = set()
            self.refused: dict[str, int] = {}
            self.hazards: list[str] = []
            self._random = random.Random(self.seed)

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def on(self, name: str) -> bool:
        return name not in self.disabled

    def window(self, name: str) -> float:
        return self.windows[name] * self.time_scale

    def _mark(self, kind: str, key: str) -> None:
        self._born[(kind, key)] = self.now()

    def _age(self, kind: str, key: str) -> float | None:
        born = self._born.get((kind, key))
        return None if born is None else self.now() - born

    def _young(self, kind: str, key: str, rule: str) -> bool:
        age = self._age(kind, key)
        return self.on(rule) and age is not None and age < self.window(rule)

    def _count(self, name: str, answer: Answer | None = None) -> Answer | None:
        """Count one use of rule ``name`` (a refusal, or a response rewritten); return ``answer``."""
        with self._lock:
            self.refused[name] = self.refused.get(name, 0) + 1
        return answer

    def describe(self) -> dict:
        """The profile's settings and what it refused, for the control endpoint."""
        return {"time_scale": self.time_scale, "throttle": self.throttle, "seed": self.seed,
                "rules": {name: {"window": self.windows[name], "scaled": round(self.window(name), 3),
                                 "on": self.on(name)} for name in RULES},
                "refused": dict(self.refused), "hazards": list(self.hazards)}

    # -- before moto ---------------------------------------------------------------------------------
    def refusal(self, call, json_protocol: bool) -> Answer | None:
        """The error AWS would answer to ``call`` now, or None to let it through to moto."""
        answer = self._rule_refusal(call)
        if answer is not None:
            return answer
        fraction = self.throttle.get(call.service, self.throttle.get("*", 0.0))
        if fraction:
            with self._lock:
                hit = self._random.random() < fraction
            if hit:
                return self._count("throttling", throttle_answer(call, json_protocol))
        return None

    def _rule_refusal(self, call) -> Answer | None:
        svc, action, params = call.service, call.action, call.params
        if svc == "ec2" and self.on("ec2_eventual_consistency"):
            for key, value in params.items():
                if key.startswith("Filter.") or not isinstance(value, str):
                    continue
                prefix = next((p for p in EC2_NOT_FOUND if value.startswith(p)), None)
                if prefix and self._young("ec2", value, "ec2_eventual_consistency"):
                    code = EC2_NOT_FOUND[prefix]
                    return self._count("ec2_eventual_consistency",
                                       ec2_error(code, f"The ID '{value}' does not exist"))
        if svc == "ecs" and action == "RegisterTaskDefinition":
            for key in ("executionRoleArn", "taskRoleArn"):
                role = _role_name(params.get(key, ""))
                if role and self._young("role", role, "iam_role_propagation"):
                    return self._count("iam_role_propagation", json_error("ClientException", "Role is not valid"))
        if svc == "ec2" and action == "CreateFlowLogs":
            arn = params.get("DeliverLogsPermissionArn", "")
            if self._young("role", _role_name(arn), "flow_log_role_propagation"):
                return self._count("flow_log_role_propagation",
                                   ec2_error("InvalidParameter", f"Unable to assume given IAM role: '{arn}'"))
        if svc == "ecs" and action in ("CreateCluster", "PutClusterCapacityProviders") \
                and params.get("capacityProviders") and self.on("ecs_service_linked_role"):
            if not self.state.role_exists(ECS_SLR):
                # ECS itself starts creating the role, as on AWS; the call still fails this time.
                self.state.create_service_linked_role("ecs.amazonaws.com")
                self._mark("role", ECS_SLR)
                return self._count("ecs_service_linked_role", self._slr_error())
            if self._young("role", ECS_SLR, "ecs_service_linked_role"):
                return self._count("ecs_service_linked_role", self._slr_error())
        if svc == "wafv2" and action in ("AssociateWebACL", "GetWebACLForResource"):
            resource = str(params.get("ResourceArn", ""))
            if self._young("alb", resource, "waf_nonexistent_while_provisioning"):
                return self._count("waf_nonexistent_while_provisioning", json_error(
                    "WAFNonexistentItemException",
                    "AWS WAF couldn't perform the operation because your resource doesn't exist."))
            acl = str(params.get("WebACLArn", ""))
            if self._young("alb", resource, "waf_association_unavailable") or (
                    acl and self._young("webacl", acl, "waf_association_unavailable")):
                return self._count("waf_association_unavailable", json_error(
                    "WAFUnavailableEntityException",
                    "AWS WAF couldn't retrieve the resource that you requested. Retry your request."))
        if svc == "wafv2" and action in ("UpdateWebACL", "DeleteWebACL") and self.on("waf_stale_lock_token"):
            acl_id = str(params.get("Id", ""))
            with self._lock:
                first = acl_id not in self._locked_once
                self._locked_once.add(acl_id)
            if first:
                self.state.rotate_lock_token(_region(call), acl_id)
                return self._count("waf_stale_lock_token", json_error(
                    "WAFOptimisticLockException",
                    "AWS WAF couldn't save your changes because you tried to update or delete a resource that has "
                    "changed since you last retrieved it. Get the resource again, make any changes you need to "
                    "make to the new copy, and retry your operation."))
        if svc == "ssm" and action == "PutParameter" and params.get("Overwrite") \
                and self.on("ssm_parameter_type_change"):
            current = self.state.parameter_type(_region(call), str(params.get("Name", "")))
            if current and params.get("Type") and current != params.get("Type"):
                return self._count("ssm_parameter_type_change", json_error(
                    "HierarchyTypeMismatchException",
                    "Parameter Store doesn't support changing a parameter type in a hierarchy. For example, you "
                    "can't change a parameter from a String type to a SecureString type. You must create a new, "
                    "unique parameter."))
        if svc == "elasticloadbalancing" and action == "ModifyLoadBalancerAttributes" \
                and self.on("elb_access_log_bucket"):
            answer = self._access_log_refusal(call)
            if answer is not None:
                return answer
        if svc == "rds" and action == "ModifyDBCluster":
            ident = str(params.get("DBClusterIdentifier", "")).lower()
            if self._password_phase(ident) == "resetting":
                return self._count("rds_password_resetting", query_error(
                    "InvalidDBClusterStateFault",
                    f"DB cluster {ident} is not available for modification with status resetting-master-credentials"))
        return None

    def _access_log_refusal(self, call) -> Answer | None:
        params = call.params
        attributes = {params.get(f"Attributes.member.{n}.Key"): params.get(f"Attributes.member.{n}.Value")
                      for n in range(1, 40) if f"Attributes.member.{n}.Key" in params}
        if str(attributes.get("access_logs.s3.enabled", "")).lower() != "true":
            return None
        bucket = str(attributes.get("access_logs.s3.bucket") or "")
        prefix = str(attributes.get("access_logs.s3.prefix") or "")
        policy = self.state.bucket_policy(bucket) if bucket else None
        writer = ELB_LOG_WRITERS.get(_region(call))
        path = f"arn:aws:s3:::{bucket}/{prefix + '/' if prefix else ''}AWSLogs/{self.state.account_id}/elb-test"
        if policy is not None and _allows_put(policy, writer, path) \
                and not self._young("bucket-policy", bucket, "elb_access_log_bucket"):
            return None
        return self._count("elb_access_log_bucket", query_error(
            "InvalidConfigurationRequest", f"Access Denied for bucket: {bucket}. Please check S3bucket permission"))

    def _slr_error(self) -> Answer:
        return json_error("InvalidParameterException",
                          "Unable to assume the service linked role. Please verify that the ECS service linked "
                          "role exists.")

    def _password_phase(self, ident: str) -> str | None:
        age = self._age("password", ident)
        if age is None:
            return None
        pending = self.window("rds_password_pending") if self.on("rds_password_pending") else 0.0
        resetting = self.window("rds_password_resetting") if self.on("rds_password_resetting") else 0.0
        if age < pending:
            return "pending"
        if age < pending + resetting:
            return "resetting"
        return None

    # -- after moto ----------------------------------------------------------------------------------
    def observe(self, call, status: int, body: bytes) -> None:
        """Start the clocks of what a successful call created or changed; note hazards."""
        if status >= 300:
            return
        svc, action, params = call.service, call.action, call.params
        self._note_hazards(call)
        if svc == "ec2" and action in EC2_CREATES:
            match = re.search(rb"<%s>([^<]+)</%s>" % ((EC2_CREATES[action].encode(),) * 2), body)
            if match:
                self._mark("ec2", match.group(1).decode())
        elif svc == "iam" and action in IAM_ROLE_CHANGES and params.get("RoleName"):
            self._mark("role", params["RoleName"])
        elif svc == "iam" and action == "CreateServiceLinkedRole" \
                and params.get("AWSServiceName") == "ecs.amazonaws.com":
            self._mark("role", ECS_SLR)
        elif svc == "elasticloadbalancing" and action == "CreateLoadBalancer":
            match = re.search(rb"<LoadBalancerArn>([^<]+)</LoadBalancerArn>", body)
            if match:
                self._mark("alb", match.group(1).decode())
        elif svc == "wafv2" and action == "CreateWebACL":
            arn = _json(body).get("Summary", {}).get("ARN")
            if arn:
                self._mark("webacl", arn)
        elif svc == "s3" and action.startswith("PUT /") and "policy" in params:
            self._mark("bucket-policy", action[len("PUT /"):].strip("/").split("/", 1)[0])
        elif svc == "rds" and action == "ModifyDBCluster" and params.get("MasterUserPassword"):
            self._mark("password", str(params.get("DBClusterIdentifier", "")).lower())
        elif svc == "servicediscovery" and action == "CreatePrivateDnsNamespace":
            operation = _json(body).get("OperationId")
            if operation:
                self._mark("operation", operation)

    def _note_hazards(self, call) -> None:
        """What AWS accepts but leaves the stack broken: a password stored, or tasks started to read it,
        while the cluster has not applied it yet (their connections would fail)."""
        svc, action, params = call.service, call.action, call.params
        writes_secret = svc == "ssm" and action == "PutParameter" and params.get("Overwrite")
        redeploys = svc == "ecs" and action == "UpdateService" and params.get("forceNewDeployment")
        if not (writes_secret or redeploys):
            return
        for kind, ident in list(self._born):
            phase = self._password_phase(ident) if kind == "password" else None
            if phase:
                what = (f"PutParameter {params.get('Name')}" if writes_secret
                        else f"UpdateService {params.get('service')}")
                with self._lock:
                    self.hazards.append(f"{what} while cluster {ident}'s new master password was {phase}")

    def rewrite(self, call, body: bytes) -> bytes | None:
        """The response as AWS would answer it now; None when moto's stands."""
        if call.service == "rds" and call.action == "DescribeDBClusters" and any(
                kind == "password" for kind, _ in self._born):
            return self._rewrite_clusters(body)
        if call.service == "servicediscovery" and call.action == "GetOperation" \
                and self.on("cloudmap_operation_pending"):
            data = _json(body)
            operation = data.get("Operation") or {}
            if operation.get("Status") == "SUCCESS" and self._young(
                    "operation", str(operation.get("Id", "")), "cloudmap_operation_pending"):
                operation["Status"] = "PENDING"
                self._count("cloudmap_operation_pending")
                return json.dumps(data).encode()
        return None

    def _rewrite_clusters(self, body: bytes) -> bytes | None:
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return None
        changed = False
        for cluster in root.iter():
            if _local(cluster.tag) != "DBCluster":
                continue
            ident = _text(cluster, "DBClusterIdentifier").lower()
            phase = self._password_phase(ident)
            status = _find(cluster, "Status")
            if phase is None or status is None or status.text != "available":
                continue
            namespace = cluster.tag[:-len("DBCluster")]
            if phase == "pending":
                pending = _find(cluster, "PendingModifiedValues")
                if pending is None:
                    pending = ET.SubElement(cluster, f"{namespace}PendingModifiedValues")
                ET.SubElement(pending, f"{namespace}MasterUserPassword").text = "****"
                self._count("rds_password_pending")
            else:
                status.text = "resetting-master-credentials"
                self._count("rds_password_resetting")
            changed = True
        if not changed:
            return None
        return xml_bytes(root)


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _allows_put(policy: dict, writer: str | None, object_arn: str) -> bool:
    """True when an Allow statement of ``policy`` lets the ELB log writer PutObject at ``object_arn``."""
    body = policy.get("Statement", [])
    for statement in body if isinstance(body, list) else [body]:
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal") or {}
        named = [*_strings(principal.get("AWS")), *_strings(principal.get("Service"))] \
            if isinstance(principal, dict) else _strings(principal)
        if not ((writer and writer in named) or ELB_LOG_SERVICE in named or "*" in named):
            continue
        if not any(fnmatch.fnmatchcase("s3:PutObject", a) for a in _strings(statement.get("Action"))):
            continue
        if any(fnmatch.fnmatchcase(object_arn, r) for r in _strings(statement.get("Resource"))):
            return True
    return False


def _strings(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _text(element: ET.Element, name: str) -> str:
    found = _find(element, name)
    return (found.text or "").strip() if found is not None else ""


def rules_table() -> str:
    """The rules as a Markdown table (README, closing notes)."""
    rows = ["| rule | behaviour | source | window on AWS |", "|---|---|---|---|"]
    for rule in RULES.values():
        window = f"{rule.window:g} s" if rule.window else "-"
        rows.append(f"| `{rule.name}` | {rule.behaviour} | {rule.source} | {window} |")
    rows.append(f"| `throttling` | A seeded fraction of each service's calls answers the protocol's throttling "
                f"error (RequestLimitExceeded, Throttling, ThrottlingException, SlowDown). | {THROTTLE_SOURCE} | "
                f"{DEFAULT_THROTTLE:.0%} of calls |")
    return "\n".join(rows)
