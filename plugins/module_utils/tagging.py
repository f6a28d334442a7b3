# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource Groups Tagging API wrappers: one function per call, each retried, one error type."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call


@aws_call("list the resources tagged for the environment")
def get_resources(client, tags):
    """{ARN: {tag key: value}} of the resources of this region that carry every tag of ``tags``.

    AWS documents the index as eventually consistent: a resource deleted a moment
    ago may still be listed, one created a moment ago may be missing. Callers
    confirm what it lists with the owning service.
    """
    flt = [{"Key": k, "Values": [str(v)]} for k, v in sorted(tags.items())]
    found = {}
    for page in client.get_paginator("get_resources").paginate(TagFilters=flt):
        for mapping in page.get("ResourceTagMappingList", []):
            found[mapping["ResourceARN"]] = {t["Key"]: t.get("Value") for t in mapping.get("Tags", [])}
    return found
