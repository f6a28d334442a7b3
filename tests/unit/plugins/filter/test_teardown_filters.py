"""teardown_errors: the confirmation and production rules, checked before any AWS call."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.teardown import FilterModule, as_bool, teardown_errors

GOOD = {"confirm": "dev", "environment": "dev", "is_production": False, "name_prefix": "solo-saving-dev",
        "lift_deletion_protection": False, "final_snapshot": False, "delete_secrets": False, "delete_images": False,
        "delete_access_logs": False, "delete_hosted_zone": False, "wait_timeout": 1800, "wait_delay": 10}


def test_a_confirmed_request_passes():
    assert teardown_errors(GOOD) == []


def test_extra_vars_given_as_text_pass():
    # -e key=value gives strings
    spec = {**GOOD, "is_production": True, "lift_deletion_protection": "true", "wait_timeout": "600",
            "delete_images": "yes", "wait_delay": "0"}
    assert teardown_errors(spec) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"confirm": ""}, "teardown_confirm must equal the environment name 'dev' (it is not set): run with "
                      "-e teardown_confirm=dev to delete every resource of dev"),
    ({"confirm": None}, "teardown_confirm must equal the environment name 'dev' (it is not set)"),
    ({"confirm": "prod"}, "teardown_confirm must equal the environment name 'dev' (got 'prod')"),
    ({"confirm": "DEV"}, "teardown_confirm must equal the environment name 'dev' (got 'DEV')"),
    ({"environment": "", "confirm": ""}, "stack_environment is empty: the teardown needs the inventory of one "
                                         "environment (-i inventories/<env>)"),
    ({"is_production": True}, "dev is a production environment (stack_is_production): its Aurora cluster and load "
                              "balancer are protected from deletion; add -e teardown_lift_deletion_protection=true"),
    ({"is_production": True, "lift_deletion_protection": "false"},
     "a final snapshot solo-saving-dev-final-YYYYMMDD-HHMM"),
    ({"is_production": "maybe"}, "stack_is_production = 'maybe': use true or false"),
    ({"lift_deletion_protection": "treu"}, "teardown_lift_deletion_protection = 'treu': use true or false"),
    ({"delete_secrets": None}, "teardown_delete_secrets = None: use true or false"),
    ({"wait_timeout": 0}, "teardown_wait_timeout = 0: use a whole number of seconds, at least 1"),
    ({"wait_timeout": "soon"}, "teardown_wait_timeout = 'soon': use a whole number of seconds, at least 1"),
    ({"wait_delay": -1}, "teardown_wait_delay = -1: use a whole number of seconds, at least 0"),
    ({"wait_delay": True}, "teardown_wait_delay = True"),
])
def test_each_rule(changes, expected):
    errors = teardown_errors({**GOOD, **changes})
    assert any(expected in e for e in errors), errors


def test_production_with_the_lift_passes():
    assert teardown_errors({**GOOD, "is_production": True, "lift_deletion_protection": True}) == []


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), ("True", True), ("on", True), ("1", True), (1, True),
    (False, False), ("no", False), ("0", False), (0, False),
    ("maybe", None), (None, None), ([], None),
])
def test_as_bool(value, expected):
    assert as_bool(value) is expected


def test_wrapper_rejects_non_mapping():
    with pytest.raises(AnsibleFilterError, match="teardown_errors expects a mapping, got str"):
        FilterModule().filters()["teardown_errors"]("dev")
