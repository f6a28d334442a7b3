# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check several roles' inputs against their argument specs in one task (see the module's documentation).

Beside the specs, and in the same task: variables with a role's prefix that no role knows (a misspelling,
which Ansible would silently ignore), and, in production, secret values given as plain text.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.vault import VaultHelper, is_encrypted_file

try:  # where a value was loaded from (ansible-core 2.19 and later)
    from ansible._internal._datatag._tags import Origin
except ImportError:  # pragma: no cover - an older ansible-core: only inline vault values are recognised
    Origin = None
from ansible.plugins.action.validate_argument_spec import ActionModule as ValidateArgumentSpec

# plugins/action/role_arguments.py -> the collection's root, whose roles/ this action reads.
COLLECTION_ROOT = Path(__file__).resolve().parents[2]
# A value that calls a lookup plugin (lookup(...), query(...), q(...)) in its own template.
LOOKUP_RE = re.compile(r"\b(lookup|query|q)\s*\(")


def known_variables(loader, roles_dir: Path) -> set[str]:
    """Every input of every role of the collection (each entry point's options and each default), and the
    result each role publishes (``<role>_result``)."""
    known = set()
    for role in sorted(p for p in roles_dir.iterdir() if p.is_dir()):
        known.add(f"{role.name}_result")
        specs = role / "meta" / "argument_specs.yml"
        if specs.is_file():
            for entry in ((loader.load_from_file(str(specs)) or {}).get("argument_specs") or {}).values():
                known.update((entry or {}).get("options") or {})
        defaults = role / "defaults" / "main.yml"
        if defaults.is_file():
            known.update(loader.load_from_file(str(defaults)) or {})
    return known


def unknown_variable_errors(names, prefixes, known) -> list[str]:
    """A message for each name with one of ``prefixes`` that is not in ``known``, with the closest known name.

    Names starting with ``__`` are internal values and never inputs.
    """
    errors = []
    for name in sorted(n for n in names if isinstance(n, str)):
        prefix = next((p for p in prefixes if name.startswith(p)), None)
        if prefix is None or name in known:
            continue
        candidates = sorted(k for k in known if k.startswith(prefix))
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        hint = (f"did you mean {close[0]}?" if close else
                f"the {prefix}* variables are {', '.join(candidates)}" if len(candidates) <= 12 else
                f"see the inputs of the role ({prefix}*) in its README")
        errors.append(f"{name} is not a variable of this collection (a misspelling? Ansible would ignore it): "
                      f"{hint} Rename or remove it")
    return errors


def vaulted(value) -> bool:
    """The value is vault-encrypted: an inline ``!vault`` value, or one loaded from a vault-encrypted file."""
    if VaultHelper.get_ciphertext(value, with_tags=False):
        return True
    origin = Origin.get_tag(value) if Origin is not None else None
    if origin is None or not origin.path:
        return False
    try:
        with open(origin.path, "rb") as source:
            return is_encrypted_file(source)
    except OSError:
        return False


def secret_source(value, templar) -> str | None:
    """Where a secret value comes from: 'vault', 'lookup', 'generated' (no value), or None (plain text).

    A value is from Vault when the inventory holds it encrypted (an inline ``!vault`` value, or a variable
    of a vault-encrypted file) - directly or through a template that names such a variable; it is from a
    lookup when its own template calls one (``{{ lookup('aws_ssm', ...) }}``).
    """
    if value is None or value == "":
        return "generated"
    if vaulted(value):
        return "vault"
    if isinstance(value, str) and templar.is_template(value):
        if LOOKUP_RE.search(value):
            return "lookup"
        if vaulted(templar.template(value)):
            return "vault"
    return None


def plain_secret_errors(variable, raw, field, templar) -> list[str]:
    """A message for each entry of the list ``variable`` whose ``field`` is plain text; never the value.

    With an empty ``field`` the variable itself is the secret (a string).
    """
    if not field:
        if secret_source(raw, templar) is not None:
            return []
        return [f"{variable} is plain text in the inventory; production (stack_is_production) takes secrets from "
                f"Ansible Vault or a lookup: encrypt it (ansible-vault encrypt_string --name {variable} ...), give it "
                "as a lookup, or leave it empty"]
    items = templar.template(raw) if isinstance(raw, str) and templar.is_template(raw) else raw
    errors = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue  # the role's own rules say what an entry must be
        if secret_source(item.get(field), templar) is None:
            name = item.get("name")
            where = f"{variable}[{index}]" + (f" ({name})" if isinstance(name, str) else "")
            errors.append(f"{where}: the {field} is plain text in the inventory; production (stack_is_production) "
                          "takes secrets from Ansible Vault or a lookup: encrypt it (ansible-vault encrypt_string "
                          f"--name vault_{name or 'key'} ...) and refer to it (\"{{{{ vault_{name or 'key'} }}}}\"), "
                          f"give the {field} as a lookup, or leave the {field} out to have it generated")
    return errors


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
            check_unknown_variables=dict(type="bool", default=False),
            extra_prefixes=dict(type="list", elements="str", default=[]),
            known_variables=dict(type="list", elements="str", default=[]),
            production=dict(type="bool", default=False),
            secret_values=dict(type="dict", default={}),
        ))[1]
        errors = []
        if args["check_unknown_variables"]:
            roles_dir = COLLECTION_ROOT / "roles"
            prefixes = [f"{name.rpartition('.')[2]}_" for name in args["roles"] + args["extra_prefixes"]]
            known = known_variables(self._loader, roles_dir) | set(args["known_variables"])
            errors.extend(unknown_variable_errors(task_vars, prefixes, known))
        if args["production"]:
            for variable, field in args["secret_values"].items():
                errors.extend(plain_secret_errors(variable, task_vars.get(variable), str(field), self._templar))
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
