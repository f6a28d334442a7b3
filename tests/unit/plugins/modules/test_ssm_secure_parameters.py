"""ssm_secure_parameters: the three policies, never-regenerate, KMS / type drift, check mode, no value in output."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import passwords
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import ssm_secure_parameters as mod
from tests.support.modules import ModuleFail

PATH = "/t/dev"
API_KEY = "inventory-api-key-0123456789abcdef"
ARGS = {
    "path": PATH,
    "parameters": [
        {"key": "db_username", "policy": "value", "value": "app_admin"},
        {"key": "db_password", "policy": "generate", "length": 40, "description": "master password"},
        {"key": "db_host", "policy": "placeholder", "value": "unset"},
        {"key": "payment_api_key", "policy": "value", "value": API_KEY},
    ],
    "tags": {"Project": "t"},
}
KEY_ARN = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class FakeSsm:
    """In-memory Parameter Store behind the module_utils.ssm wrappers; records every write."""

    def __init__(self):
        self.params = {}
        self.tags = {}
        self.writes = []
        self.decrypted_reads = []
        self.report_arn = False  # moto's DescribeParameters has no ARN; real AWS has

    def describe_parameters(self, client, names):
        found = {}
        for name in names:
            if name in self.params:
                p = self.params[name]
                found[name] = {"Name": name, "Type": p["Type"], "KeyId": p["KeyId"], "Version": p["Version"]}
                if self.report_arn:
                    found[name]["ARN"] = f"arn:aws:ssm:ap-northeast-1:123456789012:parameter{name}"
        return found

    def get_parameters(self, client, names, decrypt=True):
        if decrypt:
            self.decrypted_reads.extend(names)
        return {n: {"Name": n, "Value": self.params[n]["Value"] if decrypt else "AQICAH-ciphertext",
                    "Version": self.params[n]["Version"],
                    "ARN": f"arn:aws:ssm:ap-northeast-1:123456789012:parameter{n}"}
                for n in names if n in self.params}

    def create_secure_parameter(self, client, name, value, key_id=None, description=None, tags=None):
        self.writes.append(f"create:{name}")
        if name in self.params:
            return None
        self.params[name] = {"Value": value, "Type": "SecureString", "KeyId": key_id or "alias/aws/ssm",
                             "Version": 1, "Description": description}
        self.tags[name] = {t["Key"]: t["Value"] for t in tags or []}
        return 1

    def overwrite_secure_parameter(self, client, name, value, key_id=None, description=None):
        self.writes.append(f"overwrite:{name}")
        p = self.params[name]
        p.update(Value=value, Type="SecureString", KeyId=key_id or "alias/aws/ssm", Version=p["Version"] + 1)
        return p["Version"]

    def list_parameter_tags(self, client, name):
        return dict(self.tags.get(name, {}))

    def add_parameter_tags(self, client, name, tags):
        self.writes.append(f"tag:{name}")
        self.tags.setdefault(name, {}).update({t["Key"]: t["Value"] for t in tags})


@pytest.fixture
def fake(monkeypatch):
    fake = FakeSsm()
    for name in ("describe_parameters", "get_parameters", "create_secure_parameter", "overwrite_secure_parameter",
                 "list_parameter_tags", "add_parameter_tags"):
        monkeypatch.setattr(mod.api, name, getattr(fake, name))
    aliases = {"alias/aws/ssm": "arn:aws:kms:ap-northeast-1:123456789012:key/aws-managed",
               "alias/app": KEY_ARN, KEY_ARN: KEY_ARN}
    monkeypatch.setattr(mod.kms_api, "describe_key",
                        lambda client, key: {"Arn": aliases[key]} if key in aliases else None)
    return fake


@pytest.fixture
def masked(monkeypatch):
    """The values the module asked Ansible to mask, from the last run."""
    seen = set()
    original = mod.SecureParameters.__init__

    def init(self, client, kms_factory, params, check_mode, no_log_values):
        original(self, client, kms_factory, params, check_mode, seen)

    monkeypatch.setattr(mod.SecureParameters, "__init__", init)
    return seen


def no_value_in(result, *values):
    text = json.dumps(result)
    return all(v not in text for v in values)


def test_check_mode_on_an_empty_account_plans_every_parameter_and_writes_nothing(run_module, fake):
    result = run_module(mod, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["changed"] is True
    assert result["actions"] == [
        "create /t/dev/db_username with the inventory's value",
        "create /t/dev/db_password with a generated value",
        "create /t/dev/db_host with a placeholder value",
        "create /t/dev/payment_api_key with the inventory's value",
    ]
    assert result["parameters"]["db_password"] == {"name": "/t/dev/db_password",
                                                   "arn": "planned:ssm-parameter:/t/dev/db_password", "version": 0}
    assert result["diff"]["before"]["db_password"] is None
    assert result["diff"]["after"]["db_password"] == {"name": "/t/dev/db_password", "type": "SecureString",
                                                      "kms_key_id": "alias/aws/ssm", "value": "(hidden)"}
    assert no_value_in(result, API_KEY)


def test_the_generated_password_is_created_once_and_never_changed(run_module, fake, masked):
    first = run_module(mod, ARGS)
    password = fake.params["/t/dev/db_password"]["Value"]
    assert len(password) == 40
    assert set(password) <= set(passwords.ALPHABET)
    assert not set(password) & set("/\"'@ ")
    assert password in masked and API_KEY in masked
    assert no_value_in(first, password, API_KEY)
    assert first["parameters"]["db_password"]["arn"] == \
        "arn:aws:ssm:ap-northeast-1:123456789012:parameter/t/dev/db_password"
    assert first["parameters"]["db_password"]["version"] == 1
    assert fake.tags["/t/dev/db_password"] == {"Project": "t"}  # tagged in the create call
    writes = list(fake.writes)
    second = run_module(mod, ARGS)
    check = run_module(mod, ARGS, check_mode=True, diff=True)
    assert second["changed"] is False and check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes
    assert fake.params["/t/dev/db_password"] == {**fake.params["/t/dev/db_password"], "Value": password, "Version": 1}
    # The generated value is never even read back: only the value-policy parameters are decrypted.
    assert "/t/dev/db_password" not in fake.decrypted_reads


def test_an_interrupted_run_keeps_what_it_created(run_module, fake):
    # The first run died after creating the password: the next run adopts it.
    fake.params["/t/dev/db_password"] = {"Value": "Already-Created-Password-0123456789", "Type": "SecureString",
                                         "KeyId": "alias/aws/ssm", "Version": 1}
    fake.tags["/t/dev/db_password"] = {"Project": "t"}
    result = run_module(mod, ARGS)
    assert "create:/t/dev/db_password" not in fake.writes
    assert fake.params["/t/dev/db_password"]["Value"] == "Already-Created-Password-0123456789"
    assert fake.params["/t/dev/db_password"]["Version"] == 1
    assert result["parameters"]["db_password"]["version"] == 1


def test_a_parameter_created_concurrently_is_kept(run_module, fake, monkeypatch):
    original = fake.create_secure_parameter

    def racing(client, name, value, *args, **kwargs):
        if name.endswith("db_password"):  # someone else won the race
            fake.params[name] = {"Value": "Their-Value-0123456789abcdef", "Type": "SecureString",
                                 "KeyId": "alias/aws/ssm", "Version": 1}
        return original(client, name, value, *args, **kwargs)

    monkeypatch.setattr(mod.api, "create_secure_parameter", racing)
    result = run_module(mod, ARGS)
    assert fake.params["/t/dev/db_password"]["Value"] == "Their-Value-0123456789abcdef"
    assert result["parameters"]["db_password"]["version"] == 1


def test_an_inventory_value_that_changed_is_rewritten_without_showing_it(run_module, fake):
    run_module(mod, ARGS)
    args = copy.deepcopy(ARGS)
    args["parameters"][3]["value"] = "rotated-api-key-abcdef0123456789"
    plan = run_module(mod, args, check_mode=True, diff=True)
    assert plan["actions"] == ["rewrite /t/dev/payment_api_key: the value differs from the inventory's"]
    assert plan["diff"]["before"]["payment_api_key"]["value"] == "(hidden)"
    assert plan["diff"]["after"]["payment_api_key"]["value"] == "(hidden, changes)"
    assert no_value_in(plan, API_KEY, "rotated-api-key-abcdef0123456789")
    run = run_module(mod, args)
    assert run["actions"] == plan["actions"]
    assert fake.params["/t/dev/payment_api_key"]["Value"] == "rotated-api-key-abcdef0123456789"
    assert run["parameters"]["payment_api_key"]["version"] == 2
    assert run_module(mod, args)["changed"] is False


def test_a_placeholder_never_overwrites_the_value_the_database_role_wrote(run_module, fake):
    run_module(mod, ARGS)
    fake.params["/t/dev/db_host"]["Value"] = "cluster.cluster-abc.ap-northeast-1.rds.amazonaws.com"
    fake.params["/t/dev/db_host"]["Version"] = 2
    result = run_module(mod, ARGS)
    assert result["changed"] is False
    assert fake.params["/t/dev/db_host"]["Value"] == "cluster.cluster-abc.ap-northeast-1.rds.amazonaws.com"


def test_a_new_kms_key_rewrites_every_parameter_with_its_current_value(run_module, fake):
    run_module(mod, ARGS)
    password = fake.params["/t/dev/db_password"]["Value"]
    fake.params["/t/dev/db_host"]["Value"] = "written-by-the-database-role"
    result = run_module(mod, {**ARGS, "kms_key_id": "alias/app"})
    assert "rewrite /t/dev/db_password: KMS key alias/aws/ssm -> alias/app" in result["actions"]
    assert fake.params["/t/dev/db_password"]["Value"] == password
    assert fake.params["/t/dev/db_password"]["KeyId"] == "alias/app"
    assert fake.params["/t/dev/db_host"]["Value"] == "written-by-the-database-role"
    assert no_value_in(result, password)
    assert run_module(mod, {**ARGS, "kms_key_id": "alias/app"})["changed"] is False


def test_a_key_reported_as_an_arn_matches_the_alias_that_names_it(run_module, fake):
    run_module(mod, {**ARGS, "kms_key_id": "alias/app"})
    for p in fake.params.values():
        p["KeyId"] = KEY_ARN  # how AWS may report a customer managed key
    assert run_module(mod, {**ARGS, "kms_key_id": "alias/app"})["changed"] is False
    assert run_module(mod, {**ARGS, "kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"})["changed"] is False


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_plain_string_parameter_is_refused_before_any_write(run_module, fake, check_mode):
    """AWS answers HierarchyTypeMismatchException to a PutParameter that changes the type."""
    fake.params["/t/dev/db_password"] = {"Value": "Plain-Text-Password-0123456789", "Type": "String", "KeyId": None,
                                         "Version": 3}
    with pytest.raises(ModuleFail) as failed:
        run_module(mod, ARGS, check_mode=check_mode)
    message = failed.value.result["msg"]
    assert message.startswith("/t/dev/db_password (String): not a SecureString, and AWS cannot change a parameter's "
                              "type. Keep its value and recreate it: aws ssm get-parameter --name /t/dev/db_password")
    assert message.endswith("then run again. Nothing was changed.")
    assert fake.writes == []
    assert fake.params["/t/dev/db_password"]["Type"] == "String"
    assert "Plain-Text-Password-0123456789" not in json.dumps(failed.value.result)


def test_missing_tags_are_added_and_arns_come_from_describe_when_aws_reports_them(run_module, fake):
    run_module(mod, ARGS)
    fake.tags["/t/dev/db_name"] = {}
    fake.tags["/t/dev/db_host"] = {"Project": "other", "Owner": "x"}
    fake.report_arn = True
    result = run_module(mod, ARGS)
    assert result["actions"] == ["update the tags of /t/dev/db_host: Project"]
    assert fake.tags["/t/dev/db_host"] == {"Project": "t", "Owner": "x"}
    assert result["parameters"]["db_host"]["arn"].endswith(":parameter/t/dev/db_host")


@pytest.mark.parametrize(("change", "message"), [
    ({"path": "t/dev"}, "path = 't/dev': start with '/'"),
    ({"path": "/aws/x"}, "AWS reserves names starting with /aws and /ssm"),
    ({"parameters": [{"key": "a b", "value": "x"}]}, r"parameters\[a b\]: the key may only hold"),
    ({"parameters": [{"key": "a", "value": "x"}, {"key": "a", "value": "y"}]}, r"parameters\[a\]: listed twice"),
    ({"parameters": [{"key": "a", "policy": "generate", "value": "x"}]}, "a generated parameter takes no value"),
    ({"parameters": [{"key": "a", "policy": "generate", "length": 8}]}, "length 8 is outside 16-1024"),
    ({"parameters": [{"key": "a", "policy": "placeholder"}]}, "policy 'placeholder' needs a non-empty value"),
    ({"parameters": [{"key": "a", "value": ""}]}, "policy 'value' needs a non-empty value"),
])
def test_input_errors_before_any_call(run_module, fake, change, message):
    with pytest.raises(ModuleFail, match=message):
        run_module(mod, {**ARGS, **change})
    assert fake.writes == []


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to describe SSM parameters", exception=RuntimeError("AccessDenied"))

    monkeypatch.setattr(mod.api, "describe_parameters", boom)
    with pytest.raises(ModuleFail) as failure:
        run_module(mod, ARGS)
    assert failure.value.result["msg"] == "Failed to describe SSM parameters"


def test_generated_values_use_every_class_and_only_safe_characters():
    for _ in range(50):
        value = passwords.generate_value(16)
        assert len(value) == 16
        for cls in passwords.CLASSES:
            assert set(value) & set(cls)
    assert not set(passwords.ALPHABET) & set("/\"'@ ")


def test_generation_redraws_until_every_class_is_present():
    draws = iter("aaaaaaaaaaaaaaaa" + "aB3-aaaaaaaaaaaa")
    assert passwords.generate_value(16, choice=lambda alphabet: next(draws)) == "aB3-aaaaaaaaaaaa"


@pytest.mark.parametrize(("key", "form"), [
    ("", "alias/aws/ssm"),
    (None, "alias/aws/ssm"),
    ("alias/app", "alias/app"),
    ("1234abcd-12ab-34cd-56ef-1234567890ab", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    (KEY_ARN, "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("arn:aws:kms:ap-northeast-1:123456789012:alias/app", "alias/app"),
])
def test_key_forms(key, form):
    assert mod.key_form(key) == form


def test_check_mode_predicts_the_arn_of_a_parameter_to_recreate(run_module, fake):
    """A lost parameter comes back under the same ARN: the plan says so, and the services then plan no change."""
    run_module(mod, ARGS)
    del fake.params["/t/dev/db_password"]
    planned = run_module(mod, ARGS, check_mode=True)
    assert planned["parameters"]["db_password"]["arn"] == \
        "arn:aws:ssm:ap-northeast-1:123456789012:parameter/t/dev/db_password"
    assert fake.writes.count("create:/t/dev/db_password") == 1  # only the first run's


def test_on_an_empty_account_check_mode_plans_ids_it_cannot_know(run_module, fake):
    planned = run_module(mod, ARGS, check_mode=True)
    assert planned["parameters"]["db_password"]["arn"] == "planned:ssm-parameter:/t/dev/db_password"
