# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the secrets layer: inventory validation and the module's parameter list.

No message ever quotes a value: an API key given in the inventory is only
named by its position and name.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

PATH_RE = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
# CreateDBCluster's documented limits for Aurora: a master user name of 1 to 16 letters or digits starting with
# a letter, and a master password of 8 to 41 printable characters other than '/', '"' and '@'.
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,15}$")
KMS_RE = re.compile(
    r"^(|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+"
    r"|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+))$")
# Parameters the secrets role owns; API keys may not take these names.
DB_KEYS = ("db_username", "db_password", "db_host", "db_port", "db_name")
# User names Aurora PostgreSQL refuses for the master user (its own roles and reserved words).
RESERVED_USERS = ("rdsadmin", "rdsrepladmin", "rds_superuser", "admin", "user", "public", "postgres_fdw")
PASSWORD_MIN = 16
PASSWORD_MAX = 41
API_KEY_MIN = 16
API_KEY_MAX = 1024
# A standard-tier parameter holds at most 4 KB.
MAX_VALUE = 4096


def secrets_errors(spec):
    """Every problem with the secrets inputs, as messages; [] when all is well.

    ``spec`` keys: path, kms_key_id, db_username, db_password_length, api_keys, api_key_length.
    """
    errors = []
    path = str(spec.get("path") or "")
    if not PATH_RE.match(path):
        errors.append(f"secrets_path = '{path}': give a hierarchy like '/solo-saving/prod' (starts with '/', "
                      "levels of letters, digits, '_', '.' and '-', no trailing '/')")
    elif re.match(r"^/(aws|ssm)", path, re.IGNORECASE):
        errors.append(f"secrets_path = '{path}': AWS reserves names starting with /aws and /ssm")
    elif path.count("/") > 14:
        errors.append(f"secrets_path = '{path}' has {path.count('/')} levels; AWS allows 15 with the parameter's own")
    kms = str(spec.get("kms_key_id") or "")
    if not KMS_RE.match(kms):
        errors.append(f"secrets_kms_key_id = '{kms}': give a KMS key id, key ARN, alias name (alias/...) or alias "
                      "ARN, or leave it empty for the AWS-managed key alias/aws/ssm")
    username = str(spec.get("db_username") or "")
    if not USERNAME_RE.match(username):
        errors.append(f"secrets_db_username = '{username}': Aurora wants 1 to 16 letters or digits, starting with "
                      "a letter")
    elif username.lower() in RESERVED_USERS:
        errors.append(f"secrets_db_username = '{username}' is reserved by Aurora PostgreSQL: choose another name "
                      "(for example appadmin)")
    lengths = (
        ("db_password_length", PASSWORD_MIN, PASSWORD_MAX,
         f"an Aurora master password has at most {PASSWORD_MAX} characters"),
        ("api_key_length", API_KEY_MIN, API_KEY_MAX, "a parameter holds at most 4 KB"),
    )
    for name, low, high, why in lengths:
        value = spec.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.append(f"secrets_{name} = {value!r}: give a number from {low} to {high} ({why}; fewer than "
                          f"{low} characters is too easy to guess)")
    api_keys = spec.get("api_keys")
    if api_keys is None:
        api_keys = []
    if not isinstance(api_keys, list):
        errors.append("secrets_api_keys must be a list of {name, value (optional: generated when left out), "
                      "description}")
        api_keys = []
    seen = set()
    for i, item in enumerate(api_keys):
        where = f"secrets_api_keys[{i}]"
        if not isinstance(item, dict) or not item.get("name"):
            errors.append(f"{where} must be a mapping with a name, like {{name: payment_api_key}}")
            continue
        name = str(item["name"])
        where = f"{where} ({name})"
        if not NAME_RE.match(name):
            errors.append(f"{where}: the name may only hold letters, digits, '_', '.' and '-'")
        if name in DB_KEYS:
            errors.append(f"{where}: {name} is a database parameter of the secrets role; rename the API key")
        if name in seen:
            errors.append(f"{where}: listed twice")
        seen.add(name)
        unknown = sorted(set(item) - {"name", "value", "description", "length"})
        if unknown:
            errors.append(f"{where}: unknown keys {', '.join(unknown)} (the keys are name, value, description, "
                          "length)")
        value = item.get("value")
        if value is not None and len(str(value)) > MAX_VALUE:
            errors.append(f"{where}: the value is longer than {MAX_VALUE} characters, the most a parameter holds")
        length = item.get("length")
        if length is not None and (isinstance(length, bool) or not isinstance(length, int)
                                   or not API_KEY_MIN <= length <= API_KEY_MAX):
            errors.append(f"{where}: length {length!r} is outside {API_KEY_MIN}-{API_KEY_MAX}")
    return errors


def secrets_parameters(api_keys, db_username, db_password_length=40, api_key_length=40, placeholder="unset"):
    """The ssm_secure_parameters module's ``parameters`` list.

    The database connection settings the database role learns (host, port,
    name) get a placeholder, written only when absent. An API key with a
    value comes from the inventory; one without is generated once.
    """
    params = [
        {"key": "db_username", "policy": "value", "value": db_username,
         "description": "Aurora master user name"},
        {"key": "db_password", "policy": "generate", "length": db_password_length,
         "description": "Aurora master password - generated once, never rotated by a run"},
    ]
    for key, what in (("db_host", "Aurora writer endpoint"), ("db_port", "Aurora port"),
                      ("db_name", "Aurora database name")):
        params.append({"key": key, "policy": "placeholder", "value": placeholder,
                       "description": f"{what} - written by the database role"})
    for item in api_keys or []:
        entry = {"key": item["name"], "description": item.get("description") or f"API key {item['name']}"}
        value = item.get("value")
        if value is not None and str(value) != "":
            entry.update(policy="value", value=value)
        else:
            entry.update(policy="generate", length=item.get("length") or api_key_length)
        params.append(entry)
    return params


def _secrets_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"secrets_errors expects a mapping, got {type(spec).__name__}")
    return secrets_errors(spec)


def _secrets_parameters(api_keys, db_username, db_password_length=40, api_key_length=40, placeholder="unset"):
    if api_keys is not None and not isinstance(api_keys, list):
        raise AnsibleFilterError("secrets_parameters expects the list secrets_api_keys")
    return secrets_parameters(api_keys, db_username, db_password_length, api_key_length, placeholder)


class FilterModule:
    def filters(self):
        return {"secrets_errors": _secrets_errors, "secrets_parameters": _secrets_parameters}
