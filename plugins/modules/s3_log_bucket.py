#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_log_bucket
short_description: An S3 bucket that AWS services deliver logs to, locked down
version_added: 0.1.0
description:
  - Converges one S3 bucket for logs that an AWS service writes (the ALB's access logs, FSBP ELB.5), with the
    controls FSBP asks of a bucket - every public access block on (S3.1/S3.8), objects owned by the bucket
    owner with ACLs off (S3.12), default encryption (SSE-S3, the only one ALB access logs support), a
    lifecycle rule that expires the logs (S3.13) and a policy that refuses plain-HTTP requests (S3.5) and
    grants the delivery principals the inventory builds.
  - amazon.aws C(s3_bucket) manages most of these but has no check mode (a C(--check) run skips it, so the plan
    would not show the bucket), and the lifecycle rule is another collection's module (community.aws
    C(s3_lifecycle)); this module plans all of it in one task, with C(--diff).
  - The bucket is not emptied or deleted here; C(stack_teardown) does that.
author:
  - Solo Saving platform team (@solo-saving)
options:
  name:
    description: The bucket's name (S3 bucket names are global; the stack puts its account id in it).
    type: str
    required: true
  retention_days:
    description: Days after which the lifecycle rule expires a log object; also when incomplete uploads are aborted.
    type: int
    default: 90
  policy_statements:
    description:
      - Statements of the bucket policy beside the module's own C(DenyInsecureTransport), which refuses every request
        not made over TLS. Each is a policy statement (a mapping with C(Sid), C(Effect), C(Principal), C(Action),
        C(Resource)...).
    type: list
    elements: dict
    default: []
  tags:
    description: Tags of the bucket. Tags others put on it are kept.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The ALB's access log bucket.
  solo_saving.infra.s3_log_bucket:
    name: solo-saving-prod-alb-logs-123456789012
    retention_days: 90
    policy_statements: >-
      {{ 'solo-saving-prod-alb-logs-123456789012'
         | solo_saving.infra.alb_log_delivery_statements('alb', '123456789012', 'ap-northeast-1') }}
"""

RETURN = r"""
bucket:
  description: The bucket's name.
  returned: always
  type: str
arn:
  description: The bucket's ARN.
  returned: always
  type: str
actions:
  description: What was done, or would be done in check mode, one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: The bucket's public access block, ownership, encryption, lifecycle rule, policy and tags, before
    and after.
  returned: with --diff
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import json_policy
from ansible_collections.solo_saving.infra.plugins.module_utils import s3 as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    error_code,
    fail_aws,
    tag_dict,
    tags_to_set,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import partition_of

BLOCK_ALL = api.BLOCK_ALL
OWNERSHIP = "BucketOwnerEnforced"
SSE = "AES256"
RULE_ID = "expire-logs"


def tls_only_statement(arn):
    """FSBP S3.5: the bucket refuses any request not made over TLS."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def lifecycle_rule(days):
    return {"ID": RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": min(days, 7)}}


def lifecycle_view(rules):
    """The lifecycle rules as the module compares them (AWS writes the empty filter three ways)."""
    view = []
    for rule in rules or []:
        flt = rule.get("Filter") or {}
        view.append({"id": rule.get("ID"), "status": rule.get("Status"),
                     "prefix": flt.get("Prefix", rule.get("Prefix", "")) if "And" not in flt else flt["And"],
                     "expiration_days": (rule.get("Expiration") or {}).get("Days"),
                     "abort_incomplete_upload_days":
                         (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")})
    return sorted(view, key=lambda r: str(r["id"]))


def encryption_view(configuration):
    rules = (configuration or {}).get("Rules") or []
    if not rules:
        return None
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    return {"algorithm": default.get("SSEAlgorithm"), "kms_key": default.get("KMSMasterKeyID")}


def ownership_view(controls):
    rules = (controls or {}).get("Rules") or []
    return rules[0].get("ObjectOwnership") if rules else None


class LogBucket(Plan):
    def __init__(self, s3, params, region, check_mode):
        super().__init__(check_mode)
        self.s3, self.params, self.region = s3, params, region
        self.name = params["name"]
        self.arn = f"arn:{partition_of(region)}:s3:::{self.name}"

    def desired(self):
        p = self.params
        policy = {"Version": "2012-10-17",
                  "Statement": [tls_only_statement(self.arn), *(p["policy_statements"] or [])]}
        return {"public_access_block": dict(BLOCK_ALL), "object_ownership": OWNERSHIP,
                "encryption": {"algorithm": SSE, "kms_key": None},
                "lifecycle": lifecycle_view([lifecycle_rule(p["retention_days"])]),
                "policy": policy, "tags": {k: str(v) for k, v in (p["tags"] or {}).items()}}

    def current(self):
        region = api.head_bucket(self.s3, self.name)
        if region is None:
            return None
        if region and region != self.region:
            raise SoloAwsError(f"S3 bucket {self.name} exists in {region}: a load balancer in {self.region} logs only "
                               "to a bucket of its own region; delete that bucket or choose another name")
        policy = api.get_bucket_policy(self.s3, self.name)
        return {"public_access_block": api.get_public_access_block(self.s3, self.name),
                "object_ownership": ownership_view(api.get_bucket_ownership_controls(self.s3, self.name)),
                "encryption": encryption_view(api.get_bucket_encryption(self.s3, self.name)),
                "lifecycle": lifecycle_view(api.get_bucket_lifecycle_configuration(self.s3, self.name)),
                "policy": json_policy.load_policy(policy) if policy else None,
                "tags": tag_dict(api.get_bucket_tagging(self.s3, self.name))}

    def converge(self):
        desired = self.desired()
        current = self.current()
        self.before["bucket"] = current
        self.after["bucket"] = {**desired, "tags": {**((current or {}).get("tags") or {}), **desired["tags"]}}
        name = self.name
        if current is None:
            self.act(f"create S3 bucket {name} in {self.region} (objects owned by the bucket owner, ACLs off)",
                     api.create_bucket, self.s3, name, self.region)
            current = {"tags": {}}
        # Tags first: a run stopped after the create leaves a bucket the teardown recognises as the stack's.
        missing = tags_to_set(current.get("tags") or {}, desired["tags"])
        if missing:
            self.act(f"tag S3 bucket {name}: {', '.join(sorted(missing))}", api.put_bucket_tagging, self.s3, name,
                     {**(current.get("tags") or {}), **missing})
        if current.get("public_access_block") != desired["public_access_block"]:
            self.act(f"block every kind of public access to S3 bucket {name}", api.put_public_access_block,
                     self.s3, name, BLOCK_ALL)
        if current.get("object_ownership") != OWNERSHIP:
            self.act(f"make the owner of S3 bucket {name} own its objects (ACLs off)",
                     api.put_bucket_ownership_controls, self.s3, name, OWNERSHIP)
        if current.get("encryption") != desired["encryption"]:
            self.act(f"encrypt new objects of S3 bucket {name} with S3-managed keys (SSE-S3)",
                     api.put_bucket_encryption, self.s3, name,
                     {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": SSE}}]})
        if current.get("lifecycle") != desired["lifecycle"]:
            days = self.params["retention_days"]
            self.act(f"expire the objects of S3 bucket {name} after {days} days (lifecycle rule {RULE_ID})",
                     api.put_bucket_lifecycle_configuration, self.s3, name, [lifecycle_rule(days)])
        if not json_policy.policies_equal(current.get("policy"), desired["policy"]):
            sids = ", ".join(s.get("Sid", "?") for s in desired["policy"]["Statement"])
            self.act(f"set the policy of S3 bucket {name} ({sids})", api.put_bucket_policy, self.s3, name,
                     json_policy.dumps(desired["policy"]))
        return {"bucket": name, "arn": self.arn}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        retention_days=dict(type="int", default=90),
        policy_statements=dict(type="list", elements="dict", default=[]),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["retention_days"] < 1:
        module.fail_json(msg=f"retention_days = {module.params['retention_days']}: an S3 lifecycle rule expires "
                             "objects after at least 1 day")
    if not module.region:
        module.fail_json(msg="s3_log_bucket needs a region (the region of the load balancer that logs to it)")
    plan = LogBucket(module.client("s3"), module.params, module.region, module.check_mode)
    try:
        result = plan.converge()
    except SoloAwsError as e:
        if error_code(e.exception) in ("403", "AccessDenied", "Forbidden"):
            module.fail_json(msg=f"S3 bucket {module.params['name']} exists but this account may not read it: the name "
                                 "is taken (by another account) or the deployer lacks s3 read permissions on it")
        fail_aws(module, e)
    module.exit_plan(plan, **result)


if __name__ == "__main__":
    main()
