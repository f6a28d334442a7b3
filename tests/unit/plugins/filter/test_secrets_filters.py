"""secrets_errors / secrets_parameters: every rule, with the message a user reads, and no value in any message."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.secrets import (
    FilterModule,
    secrets_errors,
    secrets_parameters,
)

SECRET = "sk_live_DoNotPrintMe_0123456789"
GOOD = {
    "path": "/solo-saving/prod",
    "kms_key_id": "",
    "db_username": "appadmin",
    "db_password_length": 40,
    "api_keys": [{"name": "payment_api_key", "value": SECRET}, {"name": "session_key", "length": 64}],
    "api_key_length": 40,
}


def spec(**changes):
    return {**GOOD, **changes}


def test_good_spec_has_no_errors():
    assert secrets_errors(spec()) == []


@pytest.mark.parametrize("key", [
    "", "1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-1234567890abcdef1234567890abcdef", "alias/solo-saving/ssm",
    "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:ap-northeast-1:123456789012:alias/solo-saving",
])
def test_every_form_of_kms_key_is_accepted(key):
    assert secrets_errors(spec(kms_key_id=key)) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"path": "solo-saving/prod"}, "secrets_path = 'solo-saving/prod': give a hierarchy like '/solo-saving/prod'"),
    ({"path": "/solo-saving/prod/"}, "secrets_path = '/solo-saving/prod/'"),
    ({"path": "/solo saving"}, "secrets_path = '/solo saving'"),
    ({"path": "/AWS/prod"}, "secrets_path = '/AWS/prod': AWS reserves names starting with /aws and /ssm"),
    ({"path": "/ssm"}, "AWS reserves names starting with /aws and /ssm"),
    ({"path": "/a" * 15}, "has 15 levels; AWS allows 15 with the parameter's own"),
    ({"kms_key_id": "my-key"}, "secrets_kms_key_id = 'my-key': give a KMS key id, key ARN, alias name"),
    ({"db_username": "1admin"}, "secrets_db_username = '1admin': Aurora wants 1 to 16 letters or digits, "
                                "starting with a letter"),
    ({"db_username": "a" * 17}, "secrets_db_username = 'aaaaaaaaaaaaaaaaa'"),
    ({"db_username": "app_admin"}, "secrets_db_username = 'app_admin'"),
    ({"db_username": "rdsadmin"}, "secrets_db_username = 'rdsadmin' is reserved by Aurora PostgreSQL"),
    ({"db_password_length": 8}, "secrets_db_password_length = 8: give a number from 16 to 41"),
    ({"db_password_length": 42}, "secrets_db_password_length = 42: give a number from 16 to 41 (an Aurora "
                                 "master password has at most 41 characters"),
    ({"db_password_length": "40"}, "secrets_db_password_length = '40'"),
    ({"api_key_length": True}, "secrets_api_key_length = True"),
    ({"api_keys": {"name": "x"}}, "secrets_api_keys must be a list of {name, value"),
    ({"api_keys": [{"value": SECRET}]}, "secrets_api_keys[0] must be a mapping with a name"),
    ({"api_keys": [{"name": "payment api key", "value": SECRET}]},
     "secrets_api_keys[0] (payment api key): the name may only hold letters, digits, '_', '.' and '-'"),
    ({"api_keys": [{"name": "db_password"}]}, "secrets_api_keys[0] (db_password): db_password is a database "
                                              "parameter of the secrets role; rename the API key"),
    ({"api_keys": [{"name": "k"}, {"name": "k"}]}, "secrets_api_keys[1] (k): listed twice"),
    ({"api_keys": [{"name": "k", "secret": SECRET}]}, "secrets_api_keys[0] (k): unknown keys secret"),
    ({"api_keys": [{"name": "k", "value": SECRET * 200}]}, "secrets_api_keys[0] (k): the value is longer than 4096"),
    ({"api_keys": [{"name": "k", "length": 8}]}, "secrets_api_keys[0] (k): length 8 is outside 16-1024"),
])
def test_each_rule_names_the_variable_and_never_the_value(changes, expected):
    errors = secrets_errors(spec(**changes))
    assert any(expected in e for e in errors), errors
    assert not any(SECRET in e for e in errors)


def test_parameters_give_each_its_policy():
    params = secrets_parameters(GOOD["api_keys"] + [{"name": "empty", "value": ""}], "appadmin", 48, 40,
                                "unset")
    policies = {p["key"]: p["policy"] for p in params}
    assert policies == {"db_username": "value", "db_password": "generate", "db_host": "placeholder",
                        "db_port": "placeholder", "db_name": "placeholder", "payment_api_key": "value",
                        "session_key": "generate", "empty": "generate"}
    by_key = {p["key"]: p for p in params}
    assert by_key["db_password"]["length"] == 48
    assert by_key["session_key"]["length"] == 64
    assert by_key["empty"]["length"] == 40
    assert by_key["payment_api_key"]["value"] == SECRET
    assert by_key["db_host"]["value"] == "unset"
    assert "value" not in by_key["db_password"]


def test_wrappers_refuse_bad_types():
    filters = FilterModule().filters()
    with pytest.raises(AnsibleFilterError, match="secrets_errors expects a mapping, got str"):
        filters["secrets_errors"]("x")
    with pytest.raises(AnsibleFilterError, match="secrets_parameters expects the list secrets_api_keys"):
        filters["secrets_parameters"]({"name": "x"}, "appadmin")
    assert len(filters["secrets_parameters"](None, "appadmin")) == 5
