# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECR API wrappers: one function per call, each retried, one error type.

Reads of something that may not exist (a repository, its policies) return None.
"""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call


@aws_call("describe an ECR repository", not_found=["RepositoryNotFoundException"])
def describe_repository(client, name):
    """The repository, or None when it does not exist."""
    return client.describe_repositories(repositoryNames=[name])["repositories"][0]


@aws_call("create an ECR repository")
def create_repository(client, **params):
    return client.create_repository(**params)["repository"]


@aws_call("set the image scanning configuration of an ECR repository")
def put_image_scanning_configuration(client, name, scan_on_push):
    client.put_image_scanning_configuration(repositoryName=name,
                                            imageScanningConfiguration={"scanOnPush": bool(scan_on_push)})


@aws_call("set the tag mutability of an ECR repository")
def put_image_tag_mutability(client, name, mutability):
    client.put_image_tag_mutability(repositoryName=name, imageTagMutability=mutability)


@aws_call("read the lifecycle policy of an ECR repository", not_found=["LifecyclePolicyNotFoundException"])
def get_lifecycle_policy(client, name):
    """The policy text, or None when the repository has none."""
    return client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]


@aws_call("set the lifecycle policy of an ECR repository")
def put_lifecycle_policy(client, name, text):
    client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=text)


@aws_call("delete the lifecycle policy of an ECR repository", not_found=["LifecyclePolicyNotFoundException"])
def delete_lifecycle_policy(client, name):
    client.delete_lifecycle_policy(repositoryName=name)


@aws_call("read the policy of an ECR repository", not_found=["RepositoryPolicyNotFoundException"])
def get_repository_policy(client, name):
    """The policy text, or None when the repository has none."""
    return client.get_repository_policy(repositoryName=name)["policyText"]


@aws_call("set the policy of an ECR repository")
def set_repository_policy(client, name, text):
    client.set_repository_policy(repositoryName=name, policyText=text)


@aws_call("delete the policy of an ECR repository", not_found=["RepositoryPolicyNotFoundException"])
def delete_repository_policy(client, name):
    client.delete_repository_policy(repositoryName=name)


@aws_call("read the tags of an ECR repository")
def list_tags(client, arn):
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(resourceArn=arn).get("tags", [])}


@aws_call("tag an ECR repository")
def tag_resource(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=tags)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list the ECR repositories")
def describe_all_repositories(client):
    repositories = []
    for page in client.get_paginator("describe_repositories").paginate():
        repositories.extend(page.get("repositories", []))
    return repositories


@aws_call("count the images of an ECR repository", not_found=["RepositoryNotFoundException"])
def count_images(client, name):
    """How many images (tagged or not) the repository holds, or None when it does not exist."""
    count = 0
    for page in client.get_paginator("list_images").paginate(repositoryName=name):
        count += len(page.get("imageIds", []))
    return count


@aws_call("delete an ECR repository", not_found=["RepositoryNotFoundException"])
def delete_repository(client, name, force):
    """Delete the repository; ``force`` deletes its images with it (ECR refuses a non-empty one otherwise)."""
    client.delete_repository(repositoryName=name, force=bool(force))


@aws_call("look up an image tag in an ECR repository", not_found=["ImageNotFoundException"])
def describe_image_tag(client, repository, tag):
    """The image detail of ``repository:tag``, or None when the tag does not exist."""
    return client.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"][0]
