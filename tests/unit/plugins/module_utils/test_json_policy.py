"""json_policy: policies compare by meaning, not by text."""

from __future__ import annotations

import json

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.json_policy import (
    PolicyError,
    dumps,
    is_full_access,
    load_policy,
    normalize_policy,
    policies_equal,
    statements,
)

PULL = {"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow",
                                                "Principal": {"AWS": ["arn:aws:iam::111111111111:root"]},
                                                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}


@pytest.mark.parametrize("other", [
    json.dumps(PULL),
    json.dumps(PULL, indent=4, sort_keys=True),
    # Statement as one object, a one-element list as a scalar, actions in another order.
    {"Statement": {"Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"], "Effect": "Allow",
                   "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Sid": "Pull"}, "Version": "2012-10-17"},
    # A duplicated action.
    {**PULL, "Statement": [{**PULL["Statement"][0], "Action": ["ecr:BatchGetImage", "ecr:BatchGetImage",
                                                              "ecr:GetDownloadUrlForLayer"]}]},
])
def test_equal_in_meaning(other):
    assert policies_equal(PULL, other)


@pytest.mark.parametrize("other", [
    {**PULL, "Version": "2008-10-17"},
    {**PULL, "Statement": [{**PULL["Statement"][0], "Effect": "Deny"}]},
    {**PULL, "Statement": [{**PULL["Statement"][0], "Action": ["ecr:BatchGetImage"]}]},
    {**PULL, "Statement": [PULL["Statement"][0], {"Effect": "Allow", "Principal": "*", "Action": "*"}]},
    None,
])
def test_different_in_meaning(other):
    assert not policies_equal(PULL, other)


def test_statements_compare_regardless_of_order():
    first = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    second = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}
    assert policies_equal({"Statement": [first, second]}, {"Statement": [second, first]})


def test_lifecycle_rules_compare_as_structures():
    rules = {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"],
                                                         "countType": "imageCountMoreThan", "countNumber": 30},
                        "action": {"type": "expire"}}]}
    assert policies_equal(rules, json.dumps(rules, separators=(",", ":")))
    changed = json.loads(json.dumps(rules))
    changed["rules"][0]["selection"]["countNumber"] = 31
    assert not policies_equal(rules, changed)


@pytest.mark.parametrize(("document", "expected"), [
    (None, True),
    ("", True),
    ('{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}',
     True),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}, True),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Resource": "*"}]}, False),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                     "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}}]}, False),
    ({"Id": "x", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}, False),
])
def test_full_access_is_recognised(document, expected):
    assert is_full_access(document) is expected


@pytest.mark.parametrize(("document", "message"), [
    ("{nope", "not valid JSON"),
    ("[1, 2]", r"not a JSON object \(got list\)"),
    (42, r"neither a mapping nor JSON text \(got int\)"),
])
def test_bad_documents_raise_policy_error(document, message):
    with pytest.raises(PolicyError, match=message):
        normalize_policy(document)


def test_load_and_dumps():
    assert load_policy(None) is None
    assert load_policy('{"a": 1}') == {"a": 1}
    assert dumps({"b": [1], "a": {"d": 2, "c": 3}}) == '{"a":{"c":3,"d":2},"b":[1]}'


def test_statements_lists_one_object_many_or_none():
    one = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert statements({"Statement": one}) == [one]
    assert statements({"Statement": [one, one]}) == [one, one]
    assert statements({"Version": "2012-10-17"}) == []
    assert statements(None) == []
