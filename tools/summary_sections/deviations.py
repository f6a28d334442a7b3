"""The deviations from the spec the environment acknowledges (stack_deviations), which verify reports."""

import sys

from tools.summary import ROOT, stack_setting

TITLE = "acknowledged deviations from the spec (stack_deviations)"
ORDER = 1


def descriptions():
    """{deviation: what it means}, from the collection's own table (plugins/filter/deviations.py)."""
    if str(ROOT / "collections") not in sys.path:
        sys.path.insert(0, str(ROOT / "collections"))
    from ansible_collections.solo_saving.infra.plugins.filter.deviations import DEVIATIONS

    return {name: f"{d['what']}; verify reports its rule {d['rule']} as acknowledged"
            for name, d in DEVIATIONS.items()}


def lines(ctx):
    deviations = stack_setting("stack_deviations", ctx.environment) or []
    known = descriptions()
    return [f"{name}: {known.get(name, 'not a deviation the collection knows (the pre-flight refuses it)')}"
            for name in deviations]
