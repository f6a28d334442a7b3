"""The request table covers every AWS operation the collection's wrappers can call.

The recorded runs evaluate what the emulator run calls; drift corrections and the teardown of leftovers
call more. Each operation the wrappers name must be one the reference knows, and one whose request this
module can turn into resource ARNs (an entry in RESOURCES, or no resource type at all), so that the day
a run makes it, it is evaluated rather than failing as unmodelled.
"""

from __future__ import annotations

from tests.support.aws import ROOT
from tests.support.iam import code_operations
from tests.support.iam_requests import NO_PERMISSION_NEEDED, RESOURCES, known_action, resource_types


def test_every_operation_of_the_wrappers_is_known_and_modelled():
    operations = code_operations(sorted((ROOT / "plugins" / "module_utils").glob("*.py")))
    unknown, unmodelled = {}, {}
    for candidates, files in operations.items():
        actions = [a for a in candidates.split("|") if a not in NO_PERMISSION_NEEDED]
        if not actions:
            continue
        if not any(known_action(a) for a in actions):
            unknown[candidates] = sorted(files)
            continue
        if not any(a in RESOURCES or not resource_types(a) for a in actions if known_action(a)):
            unmodelled[candidates] = sorted(files)
    assert len(operations) > 100
    assert unknown == {}, "operations the Service Authorization Reference does not know"
    assert unmodelled == {}, "operations with resource types and no entry in tests/support/iam_requests.RESOURCES"
