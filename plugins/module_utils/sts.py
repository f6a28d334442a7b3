# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""STS API wrappers: one function per call, each retried, one error type."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call


@aws_call("ask STS which account the credentials belong to")
def get_caller_identity(client):
    """{'Account': ..., 'Arn': ..., 'UserId': ...} of the credentials."""
    return client.get_caller_identity()
