#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecr_image_info
short_description: Check that an image tag exists in ECR repositories
version_added: 0.1.0
description:
  - Looks the tag up in each repository (ECR DescribeImages) and returns its digest and push time.
  - With I(fail_on_missing) (the default) fails, naming the repositories that lack the tag, so a deploy of an image
    that was never pushed stops before anything changes. Read-only; the same in check mode.
  - Neither amazon.aws nor community.aws has a module that reads ECR images.
author:
  - Solo Saving platform team (@solo-saving)
options:
  repositories:
    description: Repository names.
    type: list
    elements: str
    required: true
  tag:
    description: The image tag.
    type: str
    required: true
  fail_on_missing:
    description: Fail when a repository lacks the tag.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check that the commit's image was pushed.
  solo_saving.infra.ecr_image_info:
    repositories: [solo-saving-prod/backend]
    tag: 3f2c1e9
"""

RETURN = r"""
images:
  description: Per repository, C({found, digest, pushed_at}).
  returned: always
  type: dict
missing:
  description: Repositories that lack the tag.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import ecr as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws


def main():
    module = SoloAwsModule(argument_spec=dict(
        repositories=dict(type="list", elements="str", required=True),
        tag=dict(type="str", required=True),
        fail_on_missing=dict(type="bool", default=True),
    ), supports_check_mode=True)
    client = module.client("ecr")
    tag = module.params["tag"]
    images = {}
    try:
        for repository in module.params["repositories"]:
            detail = api.describe_image_tag(client, repository, tag)
            images[repository] = {"found": detail is not None,
                                  "digest": (detail or {}).get("imageDigest"),
                                  "pushed_at": str((detail or {}).get("imagePushedAt", "")) or None}
    except SoloAwsError as e:
        fail_aws(module, e)
    missing = [repo for repo, image in images.items() if not image["found"]]
    if missing and module.params["fail_on_missing"]:
        module.fail_json(msg=f"image tag {tag!r} is not in {', '.join(missing)}: push the image first (the deploy "
                             "changed nothing)", images=images, missing=missing)
    module.exit_json(changed=False, images=images, missing=missing)


if __name__ == "__main__":
    main()
