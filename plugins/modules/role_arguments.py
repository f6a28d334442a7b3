#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin of the same name (plugins/action/role_arguments.py), on
# the controller; this file documents it.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: role_arguments
short_description: Check the play's values against several roles' argument specs in one task
version_added: 0.2.0
description:
  - For each role named in I(roles), reads the I(entry_point) of the role's C(meta/argument_specs.yml)
    and validates the play's values of its options exactly as Ansible does when the role starts (the
    options with a value, templated, then checked for type, choices, required and so on).
  - Fails with every role's messages at once, each prefixed by the role's name; nothing is called and
    nothing changes, so it runs the same in check mode.
  - Ansible checks a role's spec in a task of its own each time the role starts. The pre-flight play
    checks all seven roles of the stack before any AWS call; one task instead of seven saves the
    per-task cost of six.
  - Only roles of this collection. To see the roles' defaults, import them first (with C(import_role)
    of an entry point without an argument spec, which adds no task), as the pre-flight play does.
  - With I(check_unknown_variables), also refuses every variable of the play whose name starts with the
    prefix of a role named in I(roles) or of I(extra_prefixes) and that no role of the collection knows
    (a misspelling, which Ansible would silently ignore), naming the closest known name. Known are the
    options of every entry point of every role's argument spec, every role's defaults, each role's
    published result (C(<role>_result)) and I(known_variables); names starting with C(__) are internal
    values and never checked.
  - With I(production), also refuses secret values given as plain text, for each list variable of
    I(secret_values). A value passes when it is vault-encrypted in the inventory (an inline C(!vault)
    value or a variable of a vault-encrypted file, directly or through a template naming such a
    variable), when its own template calls a lookup, or when it is left out (generated). No message
    quotes a value.
author:
  - Solo Saving platform team (@solo-saving)
options:
  roles:
    description: Names of roles of this collection (C(network) or C(solo_saving.infra.network)).
    type: list
    elements: str
    required: true
  entry_point:
    description: The entry point whose options are checked.
    type: str
    default: main
  check_unknown_variables:
    description: Refuse variables with a role's prefix that no role knows (see the description).
    type: bool
    default: false
  extra_prefixes:
    description: More prefixes to check with I(check_unknown_variables), without the underscore (C(stack)).
    type: list
    elements: str
    default: []
  known_variables:
    description: Variables with a checked prefix that are set outside the roles (a playbook's own inputs).
    type: list
    elements: str
    default: []
  production:
    description: The environment is production; refuse plain-text secret values (see I(secret_values)).
    type: bool
    default: false
  secret_values:
    description:
      - List variables whose entries hold a secret, with the key of the secret in each entry
        (C(secrets_api_keys) with C(value)); an empty key for a variable that is itself a secret
        (C(stack_aws_secret_key)), which may also be empty.
    type: dict
    default: {}
attributes:
  action:
    description: Runs on the controller as an action plugin.
    support: full
  check_mode:
    description: Changes nothing, so it runs the same in check mode.
    support: full
  platform:
    description: The roles' specs and the play's values, on the controller.
    support: full
    platforms: all
"""

EXAMPLES = r"""
- name: Check every role's inputs against its argument spec.
  solo_saving.infra.role_arguments:
    roles: [network, endpoints, secrets, registry, database, edge, services]

- name: Check the inputs, misspelt variables and, in production, plain-text secrets too.
  solo_saving.infra.role_arguments:
    roles: [network, endpoints, secrets, registry, database, edge, services]
    check_unknown_variables: true
    extra_prefixes: [stack]
    production: "{{ stack_is_production }}"
    secret_values: {secrets_api_keys: value}
"""

RETURN = r"""
roles:
  description: The roles whose specs were checked.
  returned: always
  type: list
  elements: str
argument_errors:
  description: The validation messages, each prefixed by its role's name; empty when the values are valid.
  returned: always
  type: list
  elements: str
  sample: ["network: argument 'network_frontend_port' is of type str and we were unable to convert to int",
           "network_vpc_cdir is not a variable of this collection (a misspelling? Ansible would ignore it): did you
            mean network_vpc_cidr? Rename or remove it"]
"""
