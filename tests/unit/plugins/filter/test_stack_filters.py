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
    assert any(e.startswith(expected) or expected in e for e in errors), errors


def test_wrapper_rejects_non_mapping():
    with pytest.raises(AnsibleFilterError, match="stack_errors expects a mapping, got list"):
        FilterModule().filters()["stack_errors"]([])
