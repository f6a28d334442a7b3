"""Map recorded AWS requests, and the operations the wrappers can call, to their IAM actions.

The emulator's recorder keeps each request's method, URL, headers and body.
The signing service (SigV4 credential scope) gives the IAM prefix; the action
comes from the protocol: ``X-Amz-Target`` (JSON), ``Action=`` (query / EC2),
``/service/<target>/operation/<Op>`` (Smithy RPC v2 CBOR), or, for REST
services such as Route 53, the operation whose HTTP method and URI template
match, looked up in botocore's service model.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import re
import urllib.parse

# SigV4 signing names whose IAM prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}
# botocore service names of the REST protocols, by signing name.
REST_SERVICES = {"route53": "route53", "s3": "s3"}
# S3 API operations whose IAM action has another name (Service Authorization Reference, Amazon S3:
# "Actions defined by Amazon S3" lists the API operation each action authorizes).
S3_ACTIONS = {
    "HeadBucket": "ListBucket", "ListObjectVersions": "ListBucketVersions", "ListBuckets": "ListAllMyBuckets",
    "PutBucketEncryption": "PutEncryptionConfiguration", "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    # The deprecated operations of the same URI (botocore's model keeps them): the same actions.
    "PutBucketLifecycle": "PutLifecycleConfiguration", "GetBucketLifecycle": "GetLifecycleConfiguration",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock", "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "DeleteObjects": "DeleteObject",  # and s3:DeleteObjectVersion for each versioned key (iam_requests)
}


def _headers(record: dict) -> dict[str, str]:
    return {k.lower(): v for k, v in (record.get("headers") or {}).items()}


def signing_service(record: dict) -> str | None:
    auth = _headers(record).get("authorization", "")
    if "Credential=" not in auth:
        return None
    return auth.split("Credential=", 1)[1].split("/")[3]


def _body(record: dict) -> str:
    body = record.get("body") or ""
    if isinstance(body, str) and record.get("body_encoded", True):
        with contextlib.suppress(ValueError, TypeError):
            return base64.b64decode(body).decode("utf-8", "replace")
    return body if isinstance(body, str) else ""


@functools.cache
def _rest_operations(service: str) -> list[tuple[str, re.Pattern, int, str]]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    ops = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri, _sep, query = http["requestUri"].partition("?")
        # S3 tells its bucket sub-resources apart by a query key (/{Bucket}?policy, ?lifecycle...).
        keys = frozenset(k.split("=", 1)[0] for k in query.split("&") if k and not k.startswith("x-id"))
        literal = (len(keys), len(re.sub(r"\{[^}]+\}", "", uri)))
        pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(uri))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        ops.append((http["method"], re.compile(f"^{pattern.rstrip('/')}/?$"), literal, keys, name))
    return ops


def rest_operation(service: str, method: str, path: str, query: str = "") -> str | None:
    """The operation of a REST request: the matching URI template with the most query keys, then literal text."""
    present = set(urllib.parse.parse_qs(query, keep_blank_values=True))
    best = None
    for op_method, pattern, literal, keys, name in _rest_operations(service):
        if op_method == method and pattern.match(path) and keys <= present and (best is None or literal > best[0]):
            best = (literal, name)
    return best[1] if best else None


def iam_action(record: dict) -> str | None:
    """'prefix:Action' of one recorded request, or None for the emulator's own API."""
    url = urllib.parse.urlparse(record.get("url", ""))
    if url.path.startswith("/moto-api"):
        return None
    service = signing_service(record)
    if service is None:
        return None
    prefix = IAM_PREFIX.get(service, service)
    target = _headers(record).get("x-amz-target")
    if target:
        return f"{prefix}:{target.split('.')[-1]}"
    match = re.match(r"^/service/[^/]+/operation/([A-Za-z0-9]+)$", url.path)
    if match:
        return f"{prefix}:{match.group(1)}"
    body = _body(record)
    params = urllib.parse.parse_qs(body) if "=" in body and not body.lstrip().startswith("<") else {}
    action = (params.get("Action") or urllib.parse.parse_qs(url.query).get("Action") or [None])[0]
    if action:
        return f"{prefix}:{action}"
    if service in REST_SERVICES:
        op = rest_operation(REST_SERVICES[service], record.get("method", "GET"), url.path, url.query)
        if op:
            return f"{prefix}:{S3_ACTIONS.get(op, op) if service == 's3' else op}"
    return f"{prefix}:?{record.get('method', 'GET')} {url.path}"

# -- static view: the AWS operations the collection's code can call ---------------
# botocore service names of the clients our code creates, with their IAM prefixes.
SERVICES = {"ec2": "ec2", "rds": "rds", "ssm": "ssm", "sts": "sts", "elbv2": "elasticloadbalancing",
            "wafv2": "wafv2", "acm": "acm", "route53": "route53", "ecs": "ecs",
            "servicediscovery": "servicediscovery", "application-autoscaling": "application-autoscaling",
            "logs": "logs", "iam": "iam", "cloudwatch": "cloudwatch", "sns": "sns", "ecr": "ecr", "kms": "kms",
            "resourcegroupstaggingapi": "tag", "dynamodb": "dynamodb", "s3": "s3"}
# module_utils file -> the service its wrappers talk to (when the operation name is ambiguous).
FILE_SERVICE = {"ec2": "ec2", "rds": "rds", "aurora": "rds", "ssm": "ssm", "elbv2": "elbv2", "wafv2": "wafv2",
                "acm": "acm", "route53": "route53", "dns": "route53", "ecs": "ecs",
                "servicediscovery": "servicediscovery", "application_autoscaling": "application-autoscaling",
                "logs": "logs", "iam": "iam", "cloudwatch": "cloudwatch", "sns": "sns", "ecr": "ecr", "kms": "kms",
                "tagging": "resourcegroupstaggingapi", "dynamodb": "dynamodb", "s3": "s3"}


@functools.cache
def _operations_by_snake_name() -> dict[str, list[tuple[str, str]]]:
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    index: dict[str, list[tuple[str, str]]] = {}
    for service, prefix in SERVICES.items():
        for op in session.get_service_model(service).operation_names:
            action = S3_ACTIONS.get(op, op) if service == "s3" else op
            index.setdefault(xform_name(op), []).append((service, f"{prefix}:{action}"))
    return index


def code_operations(paths) -> dict[str, set[str]]:
    """{'prefix:Action' candidates joined by '|': files} for every AWS operation named in ``paths``.

    An operation is named by a method call (``client.describe_vpcs(``) or a string naming
    a paginator or a generic helper's operation (``"describe_vpcs"``). Names several services
    share (``list_tags_for_resource``) resolve through the file's service when it has one.
    """
    index = _operations_by_snake_name()
    found: dict[str, set[str]] = {}
    for path in paths:
        text = path.read_text()
        # Strings count only in snake case (verb_noun): a bare word such as "verify" is not an operation.
        names = set(re.findall(r"\.([a-z][a-z0-9_]+)\(", text))
        names |= set(re.findall(r"[\"']([a-z]+_[a-z0-9_]+)[\"']", text))
        file_service = FILE_SERVICE.get(path.stem)
        for name in names:
            candidates = index.get(name)
            if not candidates:
                continue
            chosen = [a for s, a in candidates if s == file_service] or [a for _, a in candidates]
            found.setdefault("|".join(sorted(chosen)), set()).add(path.name)
    return found
