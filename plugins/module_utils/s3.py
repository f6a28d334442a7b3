# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 API wrappers: one function per call, each retried, one error type.

A bucket's configurations (public access block, encryption, ownership, lifecycle, policy, tags)
each answer their own "not configured" code: the readers return None for it.
"""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Condition,
    SoloAwsError,
    aws_call,
    tag_list,
)

NO_BUCKET = ["NoSuchBucket", "404", "NotFound"]
# S3 documents bucket configurations as eventually consistent ("Amazon S3 data consistency model"):
# a bucket created a moment ago may answer NoSuchBucket to its first configuration calls.
JUST_CREATED = [Condition("NoSuchBucket", 60, why="S3 is still propagating the bucket just created")]
# A bucket deleted a moment ago keeps its name for a while: OperationAborted ("A conflicting conditional
# operation is currently in progress") until S3 has released it (S3 API Reference, CreateBucket).
NAME_RELEASING = [Condition("OperationAborted", why="S3 has not released the name of a bucket deleted a moment ago")]
# The four switches of a public access block, every one on (FSBP S3.1 / S3.8).
BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
# The most keys DeleteObjects takes in one call (S3 API Reference, DeleteObjects).
DELETE_BATCH = 1000


@aws_call("read the S3 bucket", not_found=NO_BUCKET)
def head_bucket(client, bucket):
    """The bucket's region (from HeadBucket's x-amz-bucket-region header); None when no such bucket.

    A bucket of another account answers 403: that raises, and says the name is taken.
    """
    response = client.head_bucket(Bucket=bucket)
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return response.get("BucketRegion") or headers.get("x-amz-bucket-region") or ""


@aws_call("list the S3 buckets")
def list_buckets(client, prefix):
    """The names of the account's buckets that start with ``prefix``."""
    names = []
    for page in client.get_paginator("list_buckets").paginate(Prefix=prefix):
        names.extend(b["Name"] for b in page.get("Buckets", []) if b["Name"].startswith(prefix))
    return names


@aws_call("create the S3 bucket", retry_codes=NAME_RELEASING)
def create_bucket(client, bucket, region):
    """A new bucket, objects owned by the bucket owner (ACLs off). us-east-1 takes no location constraint."""
    kwargs = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    client.create_bucket(**kwargs)


@aws_call("read the public access block of the S3 bucket", not_found=["NoSuchPublicAccessBlockConfiguration"],
          retry_codes=JUST_CREATED)
def get_public_access_block(client, bucket):
    return client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


@aws_call("block public access to the S3 bucket", retry_codes=JUST_CREATED)
def put_public_access_block(client, bucket, configuration):
    client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=configuration)


@aws_call("read the default encryption of the S3 bucket", not_found=["ServerSideEncryptionConfigurationNotFoundError"],
          retry_codes=JUST_CREATED)
def get_bucket_encryption(client, bucket):
    return client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]


@aws_call("set the default encryption of the S3 bucket", retry_codes=JUST_CREATED)
def put_bucket_encryption(client, bucket, configuration):
    client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=configuration)


@aws_call("read the object ownership of the S3 bucket", not_found=["OwnershipControlsNotFoundError"],
          retry_codes=JUST_CREATED)
def get_bucket_ownership_controls(client, bucket):
    return client.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]


@aws_call("set the object ownership of the S3 bucket", retry_codes=JUST_CREATED)
def put_bucket_ownership_controls(client, bucket, ownership):
    client.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})


@aws_call("read the lifecycle rules of the S3 bucket", not_found=["NoSuchLifecycleConfiguration"],
          retry_codes=JUST_CREATED)
def get_bucket_lifecycle_configuration(client, bucket):
    return client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])


@aws_call("set the lifecycle rules of the S3 bucket", retry_codes=JUST_CREATED)
def put_bucket_lifecycle_configuration(client, bucket, rules):
    client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


@aws_call("read the policy of the S3 bucket", not_found=["NoSuchBucketPolicy"], retry_codes=JUST_CREATED)
def get_bucket_policy(client, bucket):
    return client.get_bucket_policy(Bucket=bucket)["Policy"]


@aws_call("set the policy of the S3 bucket", retry_codes=JUST_CREATED)
def put_bucket_policy(client, bucket, policy):
    client.put_bucket_policy(Bucket=bucket, Policy=policy)


@aws_call("read the tags of the S3 bucket", not_found=["NoSuchTagSet"], retry_codes=JUST_CREATED)
def get_bucket_tagging(client, bucket):
    return client.get_bucket_tagging(Bucket=bucket).get("TagSet", [])


@aws_call("tag the S3 bucket", retry_codes=JUST_CREATED)
def put_bucket_tagging(client, bucket, tags):
    """PutBucketTagging replaces the whole tag set: callers pass every tag the bucket keeps."""
    client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(tags)})


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list the object versions of the S3 bucket", not_found=NO_BUCKET)
def list_object_versions(client, bucket):
    """[{Key, VersionId}] of every object version and delete marker (an unversioned object's id is 'null')."""
    found = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            found.append({"Key": entry["Key"], "VersionId": entry.get("VersionId") or "null"})
    return found


@aws_call("delete objects of the S3 bucket", not_found=NO_BUCKET)
def delete_objects(client, bucket, objects):
    """Delete up to DELETE_BATCH object versions; raises on any key S3 refused."""
    answer = client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    errors = answer.get("Errors") or []
    if errors:
        first = errors[0]
        raise SoloAwsError(f"S3 refused to delete {len(errors)} object(s), first {first.get('Key')}: "
                           f"{first.get('Code')} {first.get('Message', '')}".strip())


@aws_call("delete the S3 bucket", not_found=["NoSuchBucket"])
def delete_bucket(client, bucket):
    client.delete_bucket(Bucket=bucket)
