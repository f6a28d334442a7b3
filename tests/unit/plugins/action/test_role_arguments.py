"""role_arguments: every role's argument spec checked in one task, as Ansible checks one role's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.solo_saving.infra.plugins.action import role_arguments
from tests.conftest import ROOT

ROLES = ["network", "endpoints", "secrets", "registry", "database", "edge", "services"]


class Identity:
    """The values of these tests are plain data: templating leaves them as they are."""

    def template(self, value):
        return value


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
