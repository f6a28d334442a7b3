"""role_arguments: every role's argument spec checked in one task, as Ansible checks one role's."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultedValue
from ansible.template import Templar

from ansible_collections.solo_saving.infra.plugins.action import role_arguments
from tests.conftest import ROOT

ROLES = ["network", "endpoints", "secrets", "registry", "database", "edge", "services"]


class Identity:
    """The values of these tests are plain data: templating leaves them as they are."""

    def template(self, value):
        return value

    def is_template(self, value):
        return False


def run(args, task_vars, check_mode=False):
    task = SimpleNamespace(args=args, check_mode=check_mode, diff=False, async_val=0, action="role_arguments",
                           _uuid="test")
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir="/nonexistent"))  # never used: no remote step
    action = role_arguments.ActionModule(task, connection=connection, play_context=None, loader=DataLoader(),
                                         templar=Identity(), shared_loader_obj=None)
    return action.run(task_vars=task_vars)


def role_defaults(*roles):
    """What the pre-flight's import of each role's inputs entry point puts in the play.

    The roles' defaults follow the stack-wide settings (the stack role's defaults, their dependency):
    they are templated over those here, as the play would, so the action sees the values.
    """
    loader = DataLoader()

    def load(path):
        return loader.load_from_file(str(ROOT / path), trusted_as_template=True)

    values = {}
    for role in roles:
        values.update(load(f"roles/{role}/defaults/main.yml"))
    context = dict(load("roles/stack/defaults/main.yml"), **values,
                   __database_ssm_path=load("roles/database/vars/main.yml")["__database_ssm_path"])
    templar = Templar(loader=loader, variables=context)
    return {name: templar.template(value) for name, value in values.items()}


@pytest.fixture
def stack_vars():
    values = role_defaults(*ROLES)
    values.update({f"{role}_name_prefix": "solo-test" for role in ROLES})
    return values


def test_the_stack_defaults_pass_for_every_role(stack_vars):
    result = run({"roles": ROLES}, stack_vars)
    assert not result.get("failed"), result["msg"]
    assert result["argument_errors"] == []
    assert result["roles"] == ROLES
    assert result["changed"] is False


@pytest.mark.parametrize("check_mode", [False, True])
def test_every_role_with_a_bad_value_is_named_in_one_failure(stack_vars, check_mode):
    # Nothing changes either way, so check mode checks the same and fails the same.
    stack_vars.update(network_frontend_port="http", services_frontend_cpu="lots")
    result = run({"roles": ROLES}, stack_vars, check_mode=check_mode)
    assert result["failed"] is True
    assert [e.split(":", 1)[0] for e in result["argument_errors"]] == ["network", "services"]
    assert "network_frontend_port" in result["argument_errors"][0]
    assert "services_frontend_cpu" in result["argument_errors"][1]
    assert result["msg"].startswith("Validation of arguments failed:\nnetwork: ")


def test_a_required_input_without_a_value_fails_like_the_roles_own_check(stack_vars):
    del stack_vars["network_name_prefix"]
    result = run({"roles": ["solo_saving.infra.network"]}, stack_vars)
    assert result["failed"] is True
    assert result["argument_errors"] == ["solo_saving.infra.network: missing required arguments: network_name_prefix"]


def test_only_the_named_roles_are_checked(stack_vars):
    stack_vars["services_frontend_cpu"] = "lots"
    assert run({"roles": ["network", "edge"]}, stack_vars)["argument_errors"] == []


def test_a_role_that_is_not_in_the_collection_is_refused_with_the_known_ones(stack_vars):
    known = r"'netwrok' is not a role of this collection.*database, edge, endpoints"
    with pytest.raises(AnsibleActionFail, match=known):
        run({"roles": ["netwrok"]}, stack_vars)


def test_an_entry_point_the_role_does_not_have_is_refused(stack_vars):
    with pytest.raises(AnsibleActionFail, match=r"the role network has no entry point 'validate'.*lookup, main"):
        run({"roles": ["network"], "entry_point": "validate"}, stack_vars)


def test_the_inputs_entry_point_adds_no_task_and_has_no_spec_of_its_own():
    # With an argument spec, Ansible would add a validation task to every import of it: the very
    # per-role task the pre-flight's one role_arguments task replaces.
    for role in ROLES:
        specs = DataLoader().load_from_file(str(ROOT / "roles" / role / "meta" / "argument_specs.yml"))
        assert "inputs" not in specs["argument_specs"], role
        assert DataLoader().load_from_file(str(ROOT / "roles" / role / "tasks" / "inputs.yml")) == [], role


# -- misspelt variables: a role's prefix, but no role knows the name ----------------------------------
UNKNOWN = {"roles": ROLES, "check_unknown_variables": True, "extra_prefixes": ["stack", "teardown", "deploy"],
           "known_variables": ["deploy_service", "stack_preflight_passed"]}


def test_the_stack_defaults_and_the_published_results_are_known(stack_vars):
    for role in ("secrets", "database"):  # the fixture gives every role a name prefix; these two have none
        del stack_vars[f"{role}_name_prefix"]
    stack_vars.update(network_result={"vpc_id": "vpc-1"}, database_result={}, __network_subnets=[],
                      stack_preflight_passed=True, deploy_service="all", stack_environment="prod",
                      teardown_confirm="prod", vault_payment_api_key="not a prefix of a role")
    result = run(UNKNOWN, stack_vars)
    assert not result.get("failed"), result["msg"]


@pytest.mark.parametrize(("name", "expected"), [
    ("network_vpc_cdir", "network_vpc_cdir is not a variable of this collection (a misspelling? Ansible would ignore "
                         "it): did you mean network_vpc_cidr? Rename or remove it"),
    ("services_frontend_cpus", "services_frontend_cpus is not a variable of this collection (a misspelling? Ansible "
                               "would ignore it): did you mean services_frontend_cpu?"),
    ("stack_enviroment", "did you mean stack_environment?"),
    ("deploy_imagetag", "deploy_imagetag is not a variable of this collection"),
    ("teardown_confirmed", "did you mean teardown_confirm?"),
])
def test_a_misspelt_variable_is_refused_with_the_closest_name(stack_vars, name, expected):
    stack_vars[name] = "x"
    result = run(UNKNOWN, stack_vars)
    assert result["failed"] is True
    assert any(expected in e for e in result["argument_errors"]), result["argument_errors"]


def test_without_the_option_unknown_variables_are_not_looked_at(stack_vars):
    stack_vars["network_vpc_cdir"] = "x"
    assert not run({"roles": ROLES}, stack_vars).get("failed")


def test_every_variable_the_project_sets_or_documents_is_known():
    # The inventories' variables and every -e name=... of the docs, playbooks and workflows: the pre-flight
    # must not refuse a variable the project itself sets or tells users to set.
    prefixes = tuple(f"{p}_" for p in [*ROLES, "stack", "teardown", "deploy"])
    preflight = (ROOT / "playbooks/preflight.yml").read_text()
    listed = re.search(r"known_variables: \[([^\]]*)\]", preflight).group(1)
    known = role_arguments.known_variables(DataLoader(), ROOT / "roles") | {n.strip() for n in listed.split(",")}
    used = set()
    for path in ROOT.glob("inventories/**/*.yml"):
        used.update(yaml.safe_load(path.read_text()) or {})
    for path in [ROOT / "README.md", ROOT / "Makefile", *ROOT.glob("playbooks/*.yml"), *ROOT.glob("roles/*/README.md"),
                 *ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("docs/**/*.md"), *ROOT.glob("docs/awx/*.yml")]:
        used.update(re.findall(r"-e\s+'?\"?([a-z][a-z0-9_]*)=", path.read_text()))
    assert {"stack_environment", "teardown_confirm", "deploy_image_tag"} <= used
    assert sorted(n for n in used if n.startswith(prefixes) and n not in known) == []


# -- plain-text secrets in production ------------------------------------------------------------------------
class Templates:
    """A templar over ``variables``: '{{ name }}' is the variable's value; anything else with '{{' a lookup."""

    def __init__(self, **variables):
        self.variables = variables

    def is_template(self, value):
        return isinstance(value, str) and "{{" in value

    def template(self, value):
        name = value.strip("{} ")
        return self.variables.get(name, "looked up")


VAULTED = VaultedValue(ciphertext="$ANSIBLE_VAULT;1.1;AES256\n3132").tag("sk-vaulted")


@pytest.mark.parametrize(("value", "source"), [
    (VAULTED, "vault"),
    ("{{ vault_payment_api_key }}", "vault"),
    ("{{ lookup('amazon.aws.aws_ssm', '/team/payment') }}", "lookup"),
    ("{{ query('ansible.builtin.env', 'PAYMENT_KEY') | first }}", "lookup"),
    (None, "generated"),
    ("", "generated"),
    ("sk-plain", None),
    ("{{ plain_payment_api_key }}", None),
])
def test_where_a_secret_value_comes_from(value, source):
    templar = Templates(vault_payment_api_key=VAULTED, plain_payment_api_key="sk-plain")
    assert role_arguments.secret_source(value, templar) == source


def test_production_refuses_a_plain_text_api_key_without_printing_it():
    keys = [{"name": "payment_api_key", "value": "sk-plain"}, {"name": "partner_key", "value": VAULTED},
            {"name": "session_key"}, {"name": "relayed_key", "value": "{{ plain_payment_api_key }}"}]
    errors = role_arguments.plain_secret_errors("secrets_api_keys", keys, "value",
                                                Templates(plain_payment_api_key="sk-plain"))
    assert errors == [
        "secrets_api_keys[0] (payment_api_key): the value is plain text in the inventory; production "
        "(stack_is_production) takes secrets from Ansible Vault or a lookup: encrypt it (ansible-vault encrypt_string "
        "--name vault_payment_api_key ...) and refer to it (\"{{ vault_payment_api_key }}\"), give the value as a "
        "lookup, or leave the value out to have it generated",
        "secrets_api_keys[3] (relayed_key): the value is plain text in the inventory; production (stack_is_production) "
        "takes secrets from Ansible Vault or a lookup: encrypt it (ansible-vault encrypt_string --name "
        "vault_relayed_key ...) and refer to it (\"{{ vault_relayed_key }}\"), give the value as a lookup, or leave "
        "the value out to have it generated"]
    assert not any("sk-plain" in e for e in errors)


def test_the_action_checks_secrets_only_in_production(stack_vars):
    stack_vars["secrets_api_keys"] = [{"name": "payment_api_key", "value": "sk-plain"}]
    args = {"roles": ROLES, "secret_values": {"secrets_api_keys": "value"}}
    assert not run(dict(args, production=False), stack_vars).get("failed")
    failed = run(dict(args, production=True), stack_vars)
    assert failed["failed"] is True
    assert "secrets_api_keys[0] (payment_api_key): the value is plain text" in failed["msg"]


def test_a_value_of_a_vault_encrypted_file_is_from_vault(tmp_path):
    # A whole vars file encrypted with ansible-vault: its values carry no vault tag, only where they come from.
    from ansible.parsing.vault import VaultLib, VaultSecret

    secret = VaultSecret(b"a-test-vault-password")
    encrypted = tmp_path / "vault.yml"
    encrypted.write_bytes(VaultLib([("default", secret)]).encrypt("vault_payment_api_key: sk-in-a-vaulted-file\n"))
    plain = tmp_path / "secrets.yml"
    plain.write_text("plain_payment_api_key: sk-plain\n")
    loader = DataLoader()
    loader.set_vault_secrets([("default", secret)])
    from_vault = loader.load_from_file(str(encrypted))["vault_payment_api_key"]
    from_plain = loader.load_from_file(str(plain))["plain_payment_api_key"]
    templar = Templates(vault_payment_api_key=from_vault, plain_payment_api_key=from_plain)
    assert role_arguments.secret_source(from_vault, templar) == "vault"
    assert role_arguments.secret_source("{{ vault_payment_api_key }}", templar) == "vault"
    assert role_arguments.secret_source(from_plain, templar) is None
    assert role_arguments.secret_source("{{ plain_payment_api_key }}", templar) is None


def test_a_variable_that_is_itself_a_secret():
    templar = Templates(vault_aws_secret_key=VAULTED)
    check = role_arguments.plain_secret_errors
    assert check("stack_aws_secret_key", "", "", templar) == []
    assert check("stack_aws_secret_key", "{{ vault_aws_secret_key }}", "", templar) == []
    assert check("stack_aws_secret_key", "{{ lookup('ansible.builtin.env', 'AWS_SECRET') }}", "", templar) == []
    assert check("stack_aws_secret_key", "wJalrXUtnFEMI/K7MDENG", "", templar) == [
        "stack_aws_secret_key is plain text in the inventory; production (stack_is_production) takes secrets from "
        "Ansible Vault or a lookup: encrypt it (ansible-vault encrypt_string --name stack_aws_secret_key ...), give "
        "it as a lookup, or leave it empty"]
