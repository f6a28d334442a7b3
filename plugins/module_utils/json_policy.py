# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Semantic comparison of JSON policy documents (IAM-style and ECR lifecycle).

AWS hands policies back as text that may differ from what was sent (key order,
white space, a one-element list written as a scalar, the order of actions).
Comparing the text would report a change on every run; comparing the
normalised structures does not. Pure functions, unit-tested directly.
"""

from __future__ import annotations

import json

# The policy AWS gives a VPC endpoint when none is set ("full access").
FULL_ACCESS_STATEMENT = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


class PolicyError(ValueError):
    """A policy that is not a JSON object."""


def load_policy(document):
    """A policy given as a dict or as JSON text -> dict (None stays None)."""
    if document is None or document == "":
        return None
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        try:
            loaded = json.loads(document)
        except ValueError as e:
            raise PolicyError(f"not valid JSON: {e}") from None
        if not isinstance(loaded, dict):
            raise PolicyError(f"not a JSON object (got {type(loaded).__name__})")
        return loaded
    raise PolicyError(f"neither a mapping nor JSON text (got {type(document).__name__})")


def _canonical(value):
    """A hashable-friendly canonical form: sorted keys, sets of scalars, scalars for singletons."""
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        if all(not isinstance(item, (dict, list)) for item in items):
            unique = sorted({json.dumps(item, sort_keys=True) for item in items})
            items = [json.loads(item) for item in unique]
        else:
            items = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
        if len(items) == 1:
            return items[0]
        return items
    return value


def normalize_policy(document):
    """The canonical form of a policy (dict or JSON text); None when there is none.

    ``Statement`` given as one object equals a one-element list; lists of
    strings compare as sets; statements compare regardless of order.
    """
    policy = load_policy(document)
    if policy is None:
        return None
    return _canonical(policy)


def statements(document):
    """The statements of a policy document (dict) as a list: one object or none included."""
    body = document.get("Statement", []) if isinstance(document, dict) else []
    return body if isinstance(body, list) else [body]


def policies_equal(left, right):
    return normalize_policy(left) == normalize_policy(right)


def is_full_access(document):
    """True when a policy only allows everything to everyone (AWS's endpoint default).

    The ``Version`` is ignored: AWS writes 2008-10-17 on the default policy.
    """
    policy = normalize_policy(document)
    if policy is None:
        return True
    return policy.get("Statement") == _canonical(FULL_ACCESS_STATEMENT) and set(policy) <= {"Version", "Statement"}


def dumps(document):
    """Compact, key-sorted JSON text of a policy, as sent to AWS."""
    return json.dumps(load_policy(document), sort_keys=True, separators=(",", ":"))
