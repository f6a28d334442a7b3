# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check several roles' inputs against their argument specs in one task (see the module's documentation)."""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action.validate_argument_spec import ActionModule as ValidateArgumentSpec

# plugins/action/role_arguments.py -> the collection's root, whose roles/ this action reads.
COLLECTION_ROOT = Path(__file__).resolve().parents[2]


def role_options(loader, roles_dir: Path, role: str, entry_point: str) -> dict:
    """The options of one entry point of a role's meta/argument_specs.yml, or a clear failure."""
    path = roles_dir / role / "meta" / "argument_specs.yml"
    if not path.is_file():
        known = sorted(p.name for p in roles_dir.iterdir() if (p / "meta" / "argument_specs.yml").is_file())
        raise AnsibleActionFail(f"roles: {role!r} is not a role of this collection with an argument spec; "
                                f"use one of {', '.join(known)}")
    specs = (loader.load_from_file(str(path)) or {}).get("argument_specs") or {}
    if entry_point not in specs:
        raise AnsibleActionFail(f"entry_point: the role {role} has no entry point {entry_point!r} "
                                f"in meta/argument_specs.yml; it has {', '.join(sorted(specs))}")
    return specs[entry_point].get("options") or {}


class ActionModule(ValidateArgumentSpec):
    """Validate the play's values against the argument spec of each named role, like Ansible does for one.

    Ansible's own ``validate_argument_spec`` action, which checks a role's spec when the role starts,
    gives its way of reading the play's values (``get_args_from_task_vars``); only ``run`` differs.
    """

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ValidateArgumentSpec, self).run(tmp, task_vars)  # ActionBase's checks, not its run
        task_vars = task_vars or {}
        args = self.validate_argument_spec(argument_spec=dict(
            roles=dict(type="list", elements="str", required=True),
            entry_point=dict(type="str", default="main"),
        ))[1]
        errors = []
        for role in args["roles"]:
            options = role_options(self._loader, COLLECTION_ROOT / "roles", role.rpartition(".")[2],
                                   args["entry_point"])
            # As Ansible does for a role's own check: the options the play gives a value (the
            # role's defaults included, once the role is imported), templated, then validated.
            given = self.get_args_from_task_vars(options, task_vars)
            checked = ArgumentSpecValidator(options).validate(given, validate_role_argument_spec=True)
            errors.extend(f"{role}: {message}" for message in checked.error_messages)
        result.update(changed=False, roles=list(args["roles"]), argument_errors=errors)
        if errors:
            result.update(failed=True, msg="Validation of arguments failed:\n" + "\n".join(errors))
        else:
            result["msg"] = f"The inputs of {len(args['roles'])} roles match their argument specs"
        return result
