"""stack_errors: the stack-wide settings."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.stack import FilterModule, stack_errors

GOOD = {"project": "solo-saving", "environment": "prod", "region": "ap-northeast-1",
        "account_id": "123456789012", "inventory_dir": "inventories/prod"}


def test_good_settings():
    assert stack_errors(GOOD) == []


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("account_id", "", "stack_account_id = '': set the 12-digit id of the AWS account this environment lives in, "
                       "in inventories/prod/group_vars/<env>/stack.yml"),
    ("account_id", "12345", "stack_account_id = '12345'"),
    ("project", "Solo_Saving", "stack_project = 'Solo_Saving': use lower-case letters"),
    ("project", "solo--saving", "stack_project = 'solo--saving'"),
    ("environment", "", "stack_environment = '': set it to a short lower-case name"),
    ("environment", "Prod-1", "stack_environment = 'Prod-1'"),
    ("region", "tokyo", "stack_region = 'tokyo' is not an AWS region name"),
    ("project", "solo-saving-platform", "make the name prefix 'solo-saving-platform-prod' (25 characters)"),
])
def test_each_rule(key, value, expected):
    errors = stack_errors({**GOOD, key: value})
    assert any(expected in e for e in errors), errors


def test_wrapper_rejects_non_mapping():
    with pytest.raises(AnsibleFilterError, match="stack_errors expects a mapping, got list"):
        FilterModule().filters()["stack_errors"]([])


# -- tags: AWS's limits, checked before the first resource is tagged ------------------------------
@pytest.mark.parametrize(("extra", "expected"), [
    (["CostCenter=savings"], "stack_extra_tags = ['CostCenter=savings'] is a list: give a mapping of tag key to value, "
                             "like {CostCenter: savings, Owner: platform-team}"),
    ("Owner=me", "stack_extra_tags = 'Owner=me' is a string: give a mapping"),
    ({"Owner": "x" * 257}, "stack_extra_tags['Owner']: the value has 257 characters; AWS allows 256"),
    ({"k" * 129: "v"}, "a tag key is a string of 1 to 128 characters"),
    ({"aws:createdBy": "me"}, "stack_extra_tags['aws:createdBy']: keys starting with 'aws:' are AWS's own"),
    ({"Owner": "me & you"}, "stack_extra_tags['Owner']: a tag value may hold letters, digits, spaces and _ ."),
    ({"Owner": None}, "stack_extra_tags['Owner'] = None: a tag value is a string (quote it; '' for none)"),
    ({"Project": "other"}, "stack_extra_tags['Project']: the stack sets Project itself"),
    ({f"k{i}": "v" for i in range(48)}, "stack_extra_tags has 48 tags: AWS allows 50 a resource, 3 of them the "
                                        "stack's own; keep to 47"),
])
def test_tags_break_no_aws_limit(extra, expected):
    errors = stack_errors({**GOOD, "extra_tags": extra})
    assert any(expected in e for e in errors), errors


def test_good_tags_pass_unicode_included():
    assert stack_errors({**GOOD, "extra_tags": {"CostCenter": "savings", "Owner": "チーム-1", "Note": ""}}) == []


def test_a_roles_own_tags_are_checked_only_when_they_differ_from_stack_tags():
    stack_tags = {"Project": "solo-saving", "Environment": "prod", "ManagedBy": "ansible"}
    tags = {"network_tags": stack_tags, "edge_tags": {"aws:x": "1"}}
    errors = stack_errors({**GOOD, "stack_tags": stack_tags, "tags": tags})
    assert errors == ["edge_tags['aws:x']: keys starting with 'aws:' are AWS's own; choose another key"]
