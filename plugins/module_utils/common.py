# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the solo_saving.infra modules.

Every AWS call of a module goes through a wrapper in
``module_utils/<service>.py`` built with :func:`aws_call`: one retry policy
(botocore's standard mode for throttling and 5xx, then a jittered backoff bounded
in time for throttling that outlasts it and for the eventual-consistency answers
each wrapper names) and one error type, :class:`SoloAwsError`, which the module
turns into ``fail_json_aws``. What a module run waited for is in its result
(``retried``, shown with ``-v``).

Check mode on an empty account: a module that would create a resource returns
a *planned* identifier (``planned:<kind>:<name>``) in its place, so that the
next module in the play can plan against it. :func:`is_planned` tells such an
identifier apart; modules never send one to AWS.
"""

from __future__ import annotations

import functools
import hashlib
import random
import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

PLANNED_PREFIX = "planned:"

# How long AWS users see an eventual-consistency answer last. AWS documents no bound ("a few
# seconds, possibly minutes": EC2 API reference, "Eventual consistency"; IAM user guide,
# "Changes that I make are not always immediately visible"); terraform-provider-aws retries these
# for two minutes (its `PropagationTimeout`), and so do we.
CONSISTENCY_SECONDS = 120

# Throttling, every protocol's spelling (botocore's standard retry mode, `retries/standard.py`).
# Botocore retries them first (SoloAwsModule configures its standard mode for every client); a call
# still throttled after botocore's attempts is retried here, for this long, before it fails.
THROTTLE_CODES = [
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
    "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
]
THROTTLE_SECONDS = 300

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


def error_code(error):
    """The AWS error code of a botocore ClientError ('' for anything else).

    amazon.aws's is_boto3_error_code returns an exception class to match with isinstance, never a
    boolean: ``if is_boto3_error_code(...)`` is always true.
    """
    info = getattr(error, "response", None)
    return str(info.get("Error", {}).get("Code", "")) if isinstance(info, dict) else ""


class Condition:
    """An answer of AWS that means "not yet" for one call, and how long AWS users see it last.

    ``code`` is the error code; ``message`` (optional) a text the error message must contain, for
    codes AWS also uses for real errors (ECS's InvalidParameterException); ``seconds`` the bound
    of the wait; ``why`` says where the behaviour is documented or reported.
    """

    def __init__(self, code, seconds=CONSISTENCY_SECONDS, message=None, why=""):
        self.code = code
        self.seconds = seconds
        self.message = message
        self.why = why

    @property
    def name(self):
        return f"{self.code} ({self.message})" if self.message else self.code

    def matches(self, error):
        if error_code(error) != self.code:
            return False
        message = str(error.response.get("Error", {}).get("Message", ""))
        return self.message is None or self.message.lower() in message.lower()


THROTTLED = [Condition(code, THROTTLE_SECONDS, why="throttled by AWS") for code in THROTTLE_CODES]

# What this module run waited for: {(condition, call): {"tries": n, "seconds": s}}. module_utils are
# imported afresh for every module run, and SoloAwsModule also clears it when a module starts.
RETRIED = {}


def retried_report():
    """What the run waited for, one entry per condition and call, for the module's result (``-v``)."""
    return [dict(condition=cond, call=call, tries=entry["tries"], seconds=round(entry["seconds"], 1))
            for (cond, call), entry in RETRIED.items()]


def record_retry(condition, description, seconds=0.0):
    """Note one retry of ``description`` (a call) after ``condition`` (its name), and the time it cost."""
    entry = RETRIED.setdefault((condition, description), {"tries": 0, "seconds": 0.0})
    entry["tries"] += 1
    entry["seconds"] += seconds


def _sleep(seconds):
    time.sleep(seconds)


def _clock():
    return time.monotonic()


def retry_while(func, conditions, description, sleep=None, clock=None, rand=None):
    """Call ``func()`` until it answers something other than one of ``conditions``.

    Each condition has its own bound (``Condition.seconds``, counted from the first time it was
    answered); the backoff is jittered and exponential (1 s, 2 s, 4 s ... at most 20 s). When a
    bound is reached the call fails naming the condition and how long it lasted. Written here
    rather than with amazon.aws's AWSRetry: that one counts tries, not time, and cannot say which
    condition it waited for, nor for how long.
    """
    sleep = sleep or _sleep
    clock = clock or _clock
    rand = rand or random.random
    first_seen = {}
    attempt = 0
    while True:
        try:
            return func()
        except ClientError as e:
            condition = next((c for c in conditions if c.matches(e)), None)
            if condition is None:
                raise
            now = clock()
            started = first_seen.setdefault(condition.name, now)
            if now - started >= condition.seconds:
                why = f"; {condition.why}" if condition.why else ""
                raise SoloAwsError(f"Failed to {description}: AWS still answered {condition.name} after "
                                   f"{now - started:.0f} s of retries (the bound for it{why})", e) from e
            delay = min(20.0, 2.0 ** min(attempt, 5)) * (0.5 + rand() / 2)
            delay = min(delay, max(0.1, started + condition.seconds - now))
            record_retry(condition.name, description, delay)
            sleep(delay)
            attempt += 1


def _as_conditions(retry_codes):
    return [c if isinstance(c, Condition) else Condition(c) for c in (retry_codes or [])]


def aws_call(description, not_found=None, retry_codes=None):
    """Decorate a wrapper of one AWS API call.

    ``description`` completes "Failed to ..." in the error message.
    ``not_found``: error codes that mean the resource is gone; the wrapper then
    returns ``None`` (deleting something that is not there counts as done).
    ``retry_codes``: what else means "not yet" for this call: error codes (retried for
    CONSISTENCY_SECONDS) or :class:`Condition` objects with their own bound and message;
    never combine with the ``not_found`` codes. Throttling is always retried.
    """
    conditions = [*_as_conditions(retry_codes), *THROTTLED]

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return retry_while(lambda: func(*args, **kwargs), conditions, description)
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


def idempotency_token(*parts, length=32):
    """A client token (ClientToken, clientToken, CreatorRequestId, IdempotencyToken) derived from the request.

    ``parts``: the stack, the resource's name and what identifies the request (its parent's id, the
    task definition, ...). A create retried, or sent again by a run started after a crash, carries
    the same token, and AWS answers it with the resource it already made instead of a second one.
    A part that changes when the stack is rebuilt (a VPC id, a task definition revision) keeps a
    token from naming a resource deleted since. Hex digits only: every API's token alphabet.
    """
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()[:length]


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
