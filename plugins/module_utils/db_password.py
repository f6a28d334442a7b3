# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which value of the master-password parameter the Aurora cluster holds.

AWS cannot say what a cluster's master password is. The cluster carries a tag naming the version
of the SSM parameter it was last given (version and time of the write: a parameter deleted and
created again starts at version 1 again, but not at the same time). The database module sets the
password from the parameter whenever the two differ (a parameter regenerated after it was lost),
and tags the cluster after; the rotation tags it once the cluster has applied the new password. A
run stopped between the two sets the same password again the next time: never a mismatch left.
"""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils import ssm as ssm_api

TAG = "MasterPasswordStamp"


def pending_name(name):
    """Where the rotation keeps the new password until it is complete (its default)."""
    return f"{name}-pending"


def stamp(meta):
    """The tag value of a parameter's current version (DescribeParameters metadata)."""
    modified = meta.get("LastModifiedDate")
    seconds = int(modified.timestamp()) if hasattr(modified, "timestamp") else 0
    return f"v{meta.get('Version', 0)}-{seconds}"


def parameter_state(ssm, name):
    """(stamp of the parameter or None when it does not exist, whether a rotation's pending one exists)."""
    found = ssm_api.describe_parameters(ssm, [name, pending_name(name)])
    return (stamp(found[name]) if name in found else None), pending_name(name) in found


def interrupted_rotation(name):
    return (f"a rotation of the master password was interrupted ({pending_name(name)} exists): finish it first, "
            "ansible-playbook playbooks/rotate-db-password.yml -i <inventory>, which sets the pending password on "
            "the cluster and in the parameter")
