#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssm_secure_parameters
short_description: Ensure a set of SecureString parameters under one path, generating secrets inside the module
version_added: 0.1.0
description:
  - Ensures SSM Parameter Store C(SecureString) parameters named C(<path>/<key>) in one call, each with one of
    three policies - C(generate) (a random value created once, when the parameter is absent, and never
    changed again), C(value) (the value given, rewritten when the stored one differs) and C(placeholder)
    (the value given is written only when the parameter is absent; another role owns the real value).
  - Values never leave the module - they are not returned, not shown in C(--diff), and masked should they
    appear in an error. Generated values are created in the module. Give the task C(no_log) anyway, since
    the values it is passed are in the task's arguments.
  - A generated parameter is created with C(Overwrite=false), so neither a second run, nor a run after an
    interrupted one, nor check mode can replace it. Only a change of type or KMS key rewrites a generated
    or placeholder parameter, with its current value.
  - Parameters are created with their tags in the same call (crash safety); missing tags are added later.
  - In check mode nothing is written; a parameter that would be created is returned with the ARN
    C(planned:ssm-parameter:<name>).
author:
  - Solo Saving platform team (@solo-saving)
options:
  path:
    description:
      - The hierarchy the parameters live under, such as C(/solo-saving/prod). Starts with C(/), does not end
        with one; may not start with C(/aws) or C(/ssm).
    type: str
    required: true
  parameters:
    description: The parameters.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: The last part of the name (C(<path>/<key>)); letters, digits, C(_), C(.) and C(-).
        type: str
        required: true
      policy:
        description:
          - C(generate) creates a random value when the parameter is absent and never changes it.
          - C(value) writes I(value) and rewrites it whenever the stored value differs.
          - C(placeholder) writes I(value) only when the parameter is absent.
        type: str
        choices: [generate, value, placeholder]
        default: value
      value:
        description: The value, for the C(value) and C(placeholder) policies.
        type: str
      length:
        description: Length of a generated value, 16 to 1024.
        type: int
        default: 40
      description:
        description: The parameter's description; written with the value (a change of it alone writes nothing).
        type: str
  kms_key_id:
    description:
      - The customer managed KMS key (id, ARN, alias name or alias ARN) that encrypts every parameter. Empty
        means the AWS-managed key C(alias/aws/ssm).
      - A change of key rewrites the parameters with their current values.
    type: str
    default: ""
  tags:
    description: Tags for every parameter. Other tags found on the parameters are kept.
    type: dict
    default: {}
notes:
  - Generated values use letters, digits and C(-_.~) - characters that need no escaping in a connection URL
    and that Aurora accepts in a master password (it refuses C(/), C('), C("), C(@) and spaces). Every value
    has at least one lower-case letter, one upper-case letter, one digit and one symbol.
  - The moto emulator does not return C(ARN) from C(DescribeParameters); the module then reads it with
    C(GetParameters) without decryption.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the stack's SecureString parameters.
  solo_saving.infra.ssm_secure_parameters:
    path: /solo-saving/prod
    parameters:
      - {key: db_username, policy: value, value: appadmin}
      - {key: db_password, policy: generate, length: 40, description: Aurora master password}
      - {key: db_host, policy: placeholder, value: "unset: written by the database role"}
      - {key: payment_api_key, policy: value, value: "{{ vault_payment_api_key }}"}
    tags:
      Project: solo-saving
  register: secrets
  no_log: true
"""

RETURN = r"""
path:
  description: The path of the parameters.
  returned: always
  type: str
  sample: /solo-saving/prod
kms_key_id:
  description: The KMS key given (empty for the AWS-managed key).
  returned: always
  type: str
parameters:
  description: Name, ARN and version of every parameter, by key. Never the value.
  returned: always
  type: dict
  sample: {db_password: {name: /solo-saving/prod/db_password,
                         arn: "arn:aws:ssm:ap-northeast-1:123456789012:parameter/solo-saving/prod/db_password",
                         version: 1}}
actions:
  description: What the run did (or, in check mode, would do), one sentence each, naming no value.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views (type, KMS key, whether the value changes), by key; never a value.
  returned: when diff mode is on
  type: dict
"""

import re

from ansible_collections.solo_saving.infra.plugins.module_utils import kms as kms_api
from ansible_collections.solo_saving.infra.plugins.module_utils import ssm as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    planned_id,
    tag_list,
    tags_to_set,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.passwords import generate_value

DEFAULT_KEY = "alias/aws/ssm"
MIN_LENGTH = 16
MAX_LENGTH = 1024
PATH_RE = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
KEY_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
# AWS allows 15 levels in a parameter's hierarchy.
MAX_LEVELS = 15
HIDDEN = "(hidden)"
HIDDEN_CHANGED = "(hidden, changes)"


class ParameterError(Exception):
    """A request the module refuses."""


def key_form(key_id):
    """'key/<id>' or 'alias/<name>' for any way of naming a KMS key (id, ARN, alias, alias ARN)."""
    key_id = key_id or DEFAULT_KEY
    if key_id.startswith("arn:"):
        return key_id.split(":", 5)[5]
    if key_id.startswith("alias/"):
        return key_id
    return f"key/{key_id}"


def validate(params):
    """Input problems, as one message; None when all is well."""
    path = params["path"]
    if not PATH_RE.match(path):
        return (f"path = '{path}': start with '/', separate levels with '/', use letters, digits, '_', '.' and "
                "'-', and do not end with '/'")
    if re.match(r"^/(aws|ssm)", path, re.IGNORECASE):
        return f"path = '{path}': AWS reserves names starting with /aws and /ssm"
    seen = set()
    for item in params["parameters"]:
        key = item["key"]
        where = f"parameters[{key}]"
        if not KEY_RE.match(key):
            return f"{where}: the key may only hold letters, digits, '_', '.' and '-'"
        if key in seen:
            return f"{where}: listed twice"
        seen.add(key)
        if path.count("/") + 1 > MAX_LEVELS:
            return f"{where}: {path}/{key} has more than {MAX_LEVELS} levels"
        if item["policy"] == "generate":
            if item.get("value") not in (None, ""):
                return f"{where}: a generated parameter takes no value (use policy 'value' to give one)"
            if not MIN_LENGTH <= item["length"] <= MAX_LENGTH:
                return f"{where}: length {item['length']} is outside {MIN_LENGTH}-{MAX_LENGTH}"
        elif item.get("value") in (None, ""):
            return f"{where}: policy '{item['policy']}' needs a non-empty value"
    return None


class SecureParameters(Plan):
    """Describe -> compare -> act; values stay in this object."""

    def __init__(self, client, kms_client_factory, params, check_mode, no_log_values):
        self.client = client
        self.kms_client_factory = kms_client_factory
        self._kms_client = None
        self._resolved_keys = {}
        self.params = params
        super().__init__(check_mode)
        self.no_log_values = no_log_values
        self.path = params["path"]
        self.key_id = params["kms_key_id"] or ""
        self.tags = params["tags"] or {}

    def secret(self, value):
        """Mask ``value`` wherever the module's output might carry it."""
        if value:
            self.no_log_values.add(value)
        return value

    # -- KMS keys ----------------------------------------------------------------------
    def _resolve(self, key_id):
        if key_id not in self._resolved_keys:
            if self._kms_client is None:
                self._kms_client = self.kms_client_factory()
            metadata = kms_api.describe_key(self._kms_client, key_id)
            self._resolved_keys[key_id] = metadata["Arn"] if metadata else None
        return self._resolved_keys[key_id]

    def same_key(self, current):
        """Whether a parameter's KeyId names the desired key (an alias is resolved when forms differ)."""
        have, want = key_form(current), key_form(self.key_id)
        if have == want:
            return True
        if have.startswith("alias/") == want.startswith("alias/"):
            return False  # two key ids, or two aliases, that differ
        current_arn = self._resolve(current or DEFAULT_KEY)
        return current_arn is not None and current_arn == self._resolve(self.key_id or DEFAULT_KEY)

    # -- run -------------------------------------------------------------------------
    def converge(self):
        specs = [dict(item, name=f"{self.path}/{item['key']}") for item in self.params["parameters"]]
        for spec in specs:
            self.secret(spec.get("value"))
        names = [spec["name"] for spec in specs]
        meta = api.describe_parameters(self.client, names) if names else {}
        self.refuse_other_types(meta)
        rewrite_reasons = {}
        for spec in specs:
            found = meta.get(spec["name"])
            if found is None:
                continue
            reasons = []
            if not self.same_key(found.get("KeyId")):
                reasons.append(f"KMS key {found.get('KeyId') or DEFAULT_KEY} -> {self.key_id or DEFAULT_KEY}")
            rewrite_reasons[spec["name"]] = reasons
        # Decrypted values are read only where they are compared or carried over to a rewrite.
        need_values = [s["name"] for s in specs if s["name"] in meta
                       and (s["policy"] == "value" or rewrite_reasons[s["name"]])]
        values = api.get_parameters(self.client, need_values, decrypt=True) if need_values else {}
        for found in values.values():
            self.secret(found.get("Value"))
        arns = {name: m["ARN"] for name, m in meta.items() if m.get("ARN")}
        arns.update({name: v["ARN"] for name, v in values.items() if v.get("ARN")})
        missing_arns = [name for name in meta if name not in arns]
        if missing_arns:
            arns.update({name: p["ARN"] for name, p in
                         api.get_parameters(self.client, missing_arns, decrypt=False).items()})

        result, created = {}, []
        # A parameter's ARN is arn:...:parameter<name>: with one ARN of the path known, check mode predicts the
        # ARN a missing parameter will have (its task definitions then plan no change for a recreated one).
        known = next(iter(arns.values()), "")
        arn_prefix = known[:known.index(":parameter/") + len(":parameter")] if ":parameter/" in known else ""
        for spec in specs:
            name, key = spec["name"], spec["key"]
            found = meta.get(name)
            view = {"name": name, "type": "SecureString", "kms_key_id": self.key_id or DEFAULT_KEY, "value": HIDDEN}
            if found is None:
                self.before[key] = None
                self.after[key] = view
                version = self.create(spec)
                if not self.check_mode:
                    created.append(name)
                arn = arn_prefix + name if arn_prefix and name.startswith("/") else planned_id("ssm-parameter", name)
                result[key] = {"name": name, "arn": arn, "version": version or 0}
                continue
            self.before[key] = {"name": name, "type": found.get("Type"),
                                "kms_key_id": found.get("KeyId") or DEFAULT_KEY, "value": HIDDEN}
            self.after[key] = view
            version = self.update(spec, found, rewrite_reasons[name], values.get(name))
            self.converge_tags(name)
            result[key] = {"name": name, "arn": arns.get(name, ""), "version": version}
        if created:
            fresh = api.get_parameters(self.client, created, decrypt=False)
            for spec in specs:
                if spec["name"] in fresh:
                    result[spec["key"]].update(arn=fresh[spec["name"]]["ARN"],
                                               version=fresh[spec["name"]]["Version"])
        return {"path": self.path, "kms_key_id": self.key_id, "parameters": result}

    @staticmethod
    def refuse_other_types(meta):
        """Fail, before any write, on parameters of another type than SecureString.

        AWS cannot change a parameter's type (PutParameter answers HierarchyTypeMismatchException),
        and deleting one to create it again would lose its value if the run stopped in between.
        """
        wrong = sorted((name, m.get("Type")) for name, m in meta.items() if m.get("Type") != "SecureString")
        if wrong:
            listed = ", ".join(f"{name} ({kind})" for name, kind in wrong)
            first = wrong[0][0]
            raise ParameterError(
                f"{listed}: not a SecureString, and AWS cannot change a parameter's type. Keep its value and "
                f"recreate it: aws ssm get-parameter --name {first} --query Parameter.Value --output text; "
                f"aws ssm delete-parameter --name {first}; aws ssm put-parameter --name {first} --type "
                "SecureString --value <the value>; then run again. Nothing was changed.")

    def create(self, spec):
        how = {"generate": "a generated value", "value": "the inventory's value",
               "placeholder": "a placeholder value"}[spec["policy"]]
        value = None
        if not self.check_mode:
            value = self.secret(generate_value(spec["length"])) if spec["policy"] == "generate" else spec["value"]
        tags = tag_list(self.tags) or None
        return self.act(f"create {spec['name']} with {how}", api.create_secure_parameter, self.client,
                        spec["name"], value, self.key_id or None, spec.get("description"), tags)

    def update(self, spec, found, reasons, current):
        version = found.get("Version")
        reasons = list(reasons)
        value = current.get("Value") if current else None
        if spec["policy"] == "value" and value != spec["value"]:
            reasons.append("the value differs from the inventory's")
            value = spec["value"]
            self.after[spec["key"]]["value"] = HIDDEN_CHANGED
        if not reasons:
            return version
        if value is None:
            raise ParameterError(f"could not read {spec['name']} to rewrite it")
        new_version = self.act(f"rewrite {spec['name']}: {'; '.join(reasons)}", api.overwrite_secure_parameter,
                               self.client, spec["name"], value, self.key_id or None, spec.get("description"))
        return new_version or version

    def converge_tags(self, name):
        if not self.tags:
            return
        missing = tags_to_set(api.list_parameter_tags(self.client, name), self.tags)
        if missing:
            self.act(f"update the tags of {name}: {', '.join(sorted(missing))}", api.add_parameter_tags,
                     self.client, name, tag_list(missing))


def main():
    argument_spec = dict(
        path=dict(type="str", required=True),
        parameters=dict(type="list", elements="dict", default=[], options=dict(
            key=dict(type="str", required=True, no_log=False),
            policy=dict(type="str", choices=["generate", "value", "placeholder"], default="value"),
            value=dict(type="str", no_log=True),
            length=dict(type="int", default=40),
            description=dict(type="str"),
        )),
        kms_key_id=dict(type="str", default="", no_log=False),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    problem = validate(module.params)
    if problem:
        module.fail_json(msg=problem)
    ensure = SecureParameters(module.client("ssm"), lambda: module.client("kms"), module.params,
                              module.check_mode, module.no_log_values)
    try:
        result = ensure.converge()
    except ParameterError as e:
        module.fail_json(msg=str(e), actions=ensure.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(ensure, **result)


if __name__ == "__main__":
    main()
