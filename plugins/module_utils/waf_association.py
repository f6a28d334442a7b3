# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which web ACL protects each resource: read, compare, associate. Shared by the web ACL module
(I(resource_arns)) and the association module."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils import wafv2 as api
from ansible_collections.solo_saving.infra.plugins.module_utils.common import is_planned
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import EdgeError


def short_arn(arn):
    """'web ACL <name>' or 'load balancer <name>' from an ARN, for readable actions."""
    if is_planned(arn):
        return arn
    resource = arn.split(":", 5)[-1]
    parts = resource.split("/")
    if parts[0] == "loadbalancer":
        return "load balancer " + "/".join(parts[2:3])
    if len(parts) >= 3 and parts[1] == "webacl":
        return "web ACL " + parts[2]
    return resource


def _associate(client, acl, resource, ready):
    if ready is not None:
        ready(resource)
    api.associate_web_acl(client, acl, resource)


def converge_associations(client, acl, resource_arns, present, plan, before, after, ready=None):
    """{resource ARN: web ACL ARN after the run ('' for none)}; ``before`` / ``after`` get the views.

    A resource with another web ACL is disassociated first (a resource has at most one); planned ids
    (check mode on an empty account) are compared, never sent. ``ready(resource ARN)``, when given,
    is called before a resource is associated (waiting for a load balancer to be active).
    """
    for value in [acl, *resource_arns]:
        if is_planned(value) and not plan.check_mode:
            raise EdgeError(f"{value} is a planned id from a check-mode run; it can only be used in check mode")
    result = {}
    for resource in resource_arns:
        current = None
        if not is_planned(resource):
            found = api.get_web_acl_for_resource(client, resource)
            current = found["ARN"] if found else None
        before[resource] = current or ""
        if present:
            if current != acl:
                if current:
                    plan.act(f"disassociate {short_arn(resource)} from {short_arn(current)}",
                             api.disassociate_web_acl, client, resource)
                plan.act(f"associate {short_arn(resource)} with {short_arn(acl)}", _associate,
                         client, acl, resource, ready)
            result[resource] = acl
        else:
            if current == acl:
                plan.act(f"disassociate {short_arn(resource)} from {short_arn(acl)}", api.disassociate_web_acl,
                         client, resource)
                current = None
            result[resource] = current or ""
        after[resource] = result[resource]
    return result
