# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS API wrappers: one function per call, each retried, one error type."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call


@aws_call("describe the KMS key", not_found=["NotFoundException"])
def describe_key(client, key_id):
    """The key's metadata (Arn, KeyManager, ...) for a key id, key ARN, alias name or alias ARN; None if unknown."""
    return client.describe_key(KeyId=key_id)["KeyMetadata"]
