# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the solo_saving.infra modules.

Every AWS call of a module goes through a wrapper in
``module_utils/<service>.py`` built with :func:`aws_call`: one retry policy
(jittered backoff on throttling and eventual-consistency errors) and one error
type, :class:`SoloAwsError`, which the module turns into ``fail_json_aws``.

Check mode on an empty account: a module that would create a resource returns
a *planned* identifier (``planned:<kind>:<name>``) in its place, so that the
next module in the play can plan against it. :func:`is_planned` tells such an
identifier apart; modules never send one to AWS.
"""

from __future__ import annotations

import functools

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

PLANNED_PREFIX = "planned:"

# Error codes that mean "try again" beyond throttling (eventual consistency).
RETRY_CODES = [
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "DependencyViolation",
]


class SoloAwsError(Exception):
    """An AWS call failed; ``exception`` is the botocore error (or None)."""

    def __init__(self, message, exception=None):
        super().__init__(message)
        self.message = message
        self.exception = exception


def aws_call(description, not_found=None, retry_codes=None):
    """Decorate a wrapper of one AWS API call.

    ``description`` completes "Failed to ..." in the error message.
    ``not_found``: error codes that mean the resource is gone; the wrapper then
    returns ``None`` (deleting something that is not there counts as done).
    ``retry_codes``: extra error codes to retry (eventual consistency); never
    combine with the ``not_found`` codes.
    """

    def decorator(func):
        retrying = AWSRetry.jittered_backoff(retries=8, delay=1, max_delay=20,
                                             catch_extra_error_codes=retry_codes or [])(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return retrying(*args, **kwargs)
            except (ClientError, BotoCoreError) as e:
                # is_boto3_error_code returns an exception class to match against, never a boolean.
                if not_found and isinstance(e, is_boto3_error_code(not_found, e=e)):
                    return None
                raise SoloAwsError(f"Failed to {description}", e) from e

        return wrapper

    return decorator


class Plan:
    """Describe -> compare -> act: every write of a module goes through :meth:`act`.

    In check mode the write is skipped but recorded all the same, so check mode
    reports exactly the actions a real run takes. ``before`` / ``after`` hold the
    views a module returns as its ``--diff``.
    """

    def __init__(self, check_mode):
        self.check_mode = check_mode
        self.actions = []
        self.before = {}
        self.after = {}

    def act(self, sentence, func=None, *args, **kwargs):
        """Record an action; perform it unless in check mode."""
        self.actions.append(sentence)
        if func is not None and not self.check_mode:
            return func(*args, **kwargs)
        return None

    @property
    def changed(self):
        return bool(self.actions)


def fail_aws(module, error):
    """Fail the module with a :class:`SoloAwsError`'s message and AWS details."""
    if error.exception is not None:
        module.fail_json_aws(error.exception, msg=error.message)
    module.fail_json(msg=error.message)


def planned_id(kind, name):
    return f"{PLANNED_PREFIX}{kind}:{name}"


def is_planned(value):
    return isinstance(value, str) and value.startswith(PLANNED_PREFIX)


def tag_list(tags):
    """Ansible dict of tags -> AWS [{'Key':..,'Value':..}] sorted by key."""
    return [{"Key": k, "Value": str(v)} for k, v in sorted((tags or {}).items())]


def tag_dict(tags):
    """AWS tag list (Key/Value or key/value) -> dict."""
    result = {}
    for tag in tags or []:
        key = tag.get("Key", tag.get("key"))
        result[key] = tag.get("Value", tag.get("value"))
    return result


def tag_specifications(resource_type, tags):
    """TagSpecifications so that a resource is tagged atomically on create.

    A run killed right after the create call still leaves a tagged resource,
    which the next run finds instead of creating a duplicate.
    """
    return [{"ResourceType": resource_type, "Tags": tag_list(tags)}]


def tags_to_set(current, desired):
    """The tags of ``desired`` whose value differs in ``current`` (a dict).

    Only keys present in ``desired`` are managed: tags added by others (AWS
    Backup, cost allocation, ...) are left alone.
    """
    return {k: str(v) for k, v in (desired or {}).items() if current.get(k) != str(v)}
