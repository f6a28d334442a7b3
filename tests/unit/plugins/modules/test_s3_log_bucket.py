"""s3_log_bucket: create locked down, converge each setting on its own, check mode, refusals (wrappers faked)."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import s3_log_bucket as mod

NAME = "p-e-alb-logs-123456789012"
DELIVERY = {"Sid": "AllowLoadBalancerAccessLogs", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::582318560864:root"}, "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{NAME}/alb/AWSLogs/123456789012/*"}
PARAMS = {"name": NAME, "retention_days": 90, "policy_statements": [DELIVERY], "tags": {"Project": "p", "Env": "e"}}
REGION = "ap-northeast-1"


class FakeS3:
    """One account's buckets as the wrappers see them: reads answer from state, writes change it."""

    def __init__(self, monkeypatch):
        self.buckets, self.writes = {}, []
        for name in ("head_bucket", "create_bucket", "get_public_access_block", "put_public_access_block",
                     "get_bucket_encryption", "put_bucket_encryption", "get_bucket_ownership_controls",
                     "put_bucket_ownership_controls", "get_bucket_lifecycle_configuration",
                     "put_bucket_lifecycle_configuration", "get_bucket_policy", "put_bucket_policy",
                     "get_bucket_tagging", "put_bucket_tagging"):
            monkeypatch.setattr(mod.api, name, getattr(self, name))

    def _write(self, name, bucket, key, value):
        self.writes.append(name)
        self.buckets[bucket][key] = copy.deepcopy(value)

    def head_bucket(self, c, bucket):
        return self.buckets[bucket]["region"] if bucket in self.buckets else None

    def create_bucket(self, c, bucket, region):
        self.writes.append("create_bucket")
        # S3's defaults for a new bucket since April 2023: public access blocked, ACLs off, SSE-S3.
        self.buckets[bucket] = {"region": region, "block": dict(mod.BLOCK_ALL), "ownership": "BucketOwnerEnforced",
                                "encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "AES256"}}]}, "lifecycle": None, "policy": None, "tags": []}

    def get_public_access_block(self, c, bucket):
        return copy.deepcopy(self.buckets[bucket]["block"])

    def put_public_access_block(self, c, bucket, configuration):
        self._write("put_public_access_block", bucket, "block", configuration)

    def get_bucket_encryption(self, c, bucket):
        return copy.deepcopy(self.buckets[bucket]["encryption"])

    def put_bucket_encryption(self, c, bucket, configuration):
        self._write("put_bucket_encryption", bucket, "encryption", configuration)

    def get_bucket_ownership_controls(self, c, bucket):
        ownership = self.buckets[bucket]["ownership"]
        return {"Rules": [{"ObjectOwnership": ownership}]} if ownership else None

    def put_bucket_ownership_controls(self, c, bucket, ownership):
        self._write("put_bucket_ownership_controls", bucket, "ownership", ownership)

    def get_bucket_lifecycle_configuration(self, c, bucket):
        return copy.deepcopy(self.buckets[bucket]["lifecycle"])

    def put_bucket_lifecycle_configuration(self, c, bucket, rules):
        self._write("put_bucket_lifecycle_configuration", bucket, "lifecycle", rules)

    def get_bucket_policy(self, c, bucket):
        return self.buckets[bucket]["policy"]

    def put_bucket_policy(self, c, bucket, policy):
        assert isinstance(policy, str)  # S3 takes the policy as JSON text
        self._write("put_bucket_policy", bucket, "policy", policy)

    def get_bucket_tagging(self, c, bucket):
        return copy.deepcopy(self.buckets[bucket]["tags"])

    def put_bucket_tagging(self, c, bucket, tags):
        self._write("put_bucket_tagging", bucket, "tags", [{"Key": k, "Value": v} for k, v in tags.items()])


@pytest.fixture
def s3(monkeypatch):
    return FakeS3(monkeypatch)


def run(params=None, check=False, region=REGION):
    plan = mod.LogBucket(None, copy.deepcopy(params or PARAMS), region, check)
    return plan, plan.converge()


def test_creates_the_bucket_tagged_first_then_locked_down_then_changes_nothing(s3):
    plan, result = run(check=True)
    assert s3.writes == []
    assert plan.actions[0] == f"create S3 bucket {NAME} in {REGION} (objects owned by the bucket owner, ACLs off)"
    assert plan.before["bucket"] is None and plan.after["bucket"]["policy"]["Statement"][1] == DELIVERY
    assert result == {"bucket": NAME, "arn": f"arn:aws:s3:::{NAME}"}
    run()
    # Every setting is written after the create, not left to S3's defaults for new buckets (they have changed).
    assert s3.writes == ["create_bucket", "put_bucket_tagging", "put_public_access_block",
                         "put_bucket_ownership_controls", "put_bucket_encryption",
                         "put_bucket_lifecycle_configuration", "put_bucket_policy"]
    bucket = s3.buckets[NAME]
    assert bucket["lifecycle"] == [{"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": ""},
                                    "Expiration": {"Days": 90},
                                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]
    policy = json.loads(bucket["policy"])
    assert policy["Statement"][0] == {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert policy["Statement"][1] == DELIVERY
    s3.writes.clear()
    plan, _ = run(check=True)
    assert plan.actions == [] and plan.before == plan.after
    assert run()[0].actions == [] and s3.writes == []


@pytest.mark.parametrize(("drift", "action", "write"), [
    (lambda b: b["block"].update(RestrictPublicBuckets=False), "block every kind of public access",
     "put_public_access_block"),
    (lambda b: b.update(ownership="ObjectWriter"), "make the owner of S3 bucket", "put_bucket_ownership_controls"),
    (lambda b: b.update(encryption=None), "encrypt new objects of S3 bucket", "put_bucket_encryption"),
    (lambda b: b["lifecycle"][0]["Expiration"].update(Days=3650), "expire the objects of S3 bucket",
     "put_bucket_lifecycle_configuration"),
    (lambda b: b.update(policy=None), "set the policy of S3 bucket", "put_bucket_policy"),
    (lambda b: b.update(tags=[]), "tag S3 bucket", "put_bucket_tagging"),
])
def test_each_setting_drifted_out_of_band_is_planned_and_repaired_alone(s3, drift, action, write):
    run()
    drift(s3.buckets[NAME])
    s3.writes.clear()
    plan, _ = run(check=True)
    assert len(plan.actions) == 1 and action in plan.actions[0] and s3.writes == []
    assert plan.before != plan.after
    run()
    assert s3.writes == [write]
    assert run()[0].actions == []


def test_the_same_policy_in_other_words_is_no_change_and_others_tags_are_kept(s3):
    run()
    bucket = s3.buckets[NAME]
    bucket["policy"] = json.dumps(json.loads(bucket["policy"]), indent=4, sort_keys=True)
    bucket["tags"].append({"Key": "CostCenter", "Value": "42"})
    # AWS writes the empty lifecycle filter in more than one way.
    bucket["lifecycle"][0]["Filter"] = {}
    bucket["lifecycle"][0]["Prefix"] = ""
    plan, _ = run()
    assert plan.actions == []
    s3.writes.clear()
    run(dict(PARAMS, tags={"Project": "p", "Env": "f"}))
    assert s3.writes == ["put_bucket_tagging"]
    assert {t["Key"]: t["Value"] for t in s3.buckets[NAME]["tags"]} == {"Project": "p", "Env": "f", "CostCenter": "42"}


def test_a_bucket_of_another_region_is_refused_with_what_to_do(s3):
    run(region="us-east-1")
    with pytest.raises(SoloAwsError, match=f"S3 bucket {NAME} exists in us-east-1: a load balancer in "
                                           f"{REGION} logs only to a bucket of its own region"):
        run()
