# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The project's default strategy: Ansible's ``linear``, run through mitogen when it is installed.

Every task of the stack runs on the controller (``connection: local``) and most of them are
modules that import boto3. With the stock strategy each task starts a new Python, imports
boto3 and parses botocore's data again, about a second a task; mitogen keeps one Python per
host for the whole run and runs the modules inside it, so the imports and the parsed data
(see ``plugins/module_utils/aws_module.py``) are paid once. Task order, check mode, diff,
``no_log`` and results are those of ``linear``.

Ansible runs each task in a worker forked from the controller, so whatever a worker loads
dies with it. Before the first worker forks, this strategy has the controller do, once, the
loading that every worker would otherwise repeat (see ``_warm_the_controller``).

The switch: ``ANSIBLE_STRATEGY=linear`` (or ``strategy: linear`` on a play) runs without
mitogen; without the ``mitogen`` package (an execution environment that does not ship it)
this strategy says so once and behaves as ``linear``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from ansible.errors import AnsibleError
from ansible.plugins.loader import strategy_loader
from ansible.utils.display import Display

try:
    import ansible_mitogen.planner
    import ansible_mitogen.strategy  # also checks that mitogen supports this ansible-core
except (ImportError, AnsibleError) as e:  # the package is missing, or refuses this ansible-core
    ansible_mitogen = None
    Display().warning(f"mitogen is not available ({e}); running with the linear strategy.")

_Linear = strategy_loader.get("linear", class_only=True)

COLLECTION = "solo_saving.infra"  # the collection whose playbooks this strategy runs


def _load_template_plugins():
    """Load the filter and test plugins the playbooks' templates use, in the controller.

    Ansible loads a Jinja plugin the first time a template names it, in the worker that
    renders the template; a module task's arguments name ``combine`` and a filter of this
    collection or two, and loading them cost 0.05-0.15 s in every such task's worker. Loaded
    in the controller (0.2 s, once) they are in every worker's ``sys.modules`` from birth,
    where the plugin loader finds them first. Lookup plugins are left to load on demand.
    """
    from ansible.plugins.loader import filter_loader, test_loader

    for loader in (filter_loader, test_loader):
        for _plugin in loader.all(class_only=True):  # ansible.builtin's, imported on iteration
            pass
    for kind in ("filter", "test"):
        package = f"ansible_collections.{COLLECTION}.plugins.{kind}"
        try:
            found = importlib.import_module(package)
        except ImportError:
            continue
        for module in pkgutil.iter_modules(found.__path__):
            importlib.import_module(f"{package}.{module.name}")


def _remember_collection_dirs():
    """Make mitogen list the installed collections once a run instead of once a module task.

    For every task whose module lives in a collection, mitogen's planner calls
    ``list_collection_dirs()``, which reads the manifest of every installed collection (about
    0.2 s with the ``ansible`` package's hundred collections), in the task's worker. The
    controller lists them here, once, and every worker inherits the list. Collections do not
    appear or vanish during a run.
    """
    from ansible.collections.list import list_collection_dirs

    paths = tuple(os.fsdecode(path) for path in list_collection_dirs())

    def load_collections(invocation):
        invocation._extra_sys_paths.update(paths)

    ansible_mitogen.planner._load_collections = load_collections


_warm = False


def _warm_the_controller():
    """Do once per run, before the first worker forks, what each worker would do again.

    Measured on a no-op run of site.yml: a module task of ours went from about 0.3 s to 0.1 s.
    The loaded plugins and the list are the ones the workers would load themselves: results,
    check mode and errors are unchanged.
    """
    global _warm
    if _warm:
        return  # an earlier play of this run
    _load_template_plugins()
    if ansible_mitogen is not None and callable(getattr(ansible_mitogen.planner, "_load_collections", None)):
        _remember_collection_dirs()
    _warm = True


if ansible_mitogen is None:
    _Base = _Linear
else:
    class _Base(ansible_mitogen.strategy.StrategyMixin, _Linear):
        """Ansible's linear strategy, with mitogen's connection and module runner."""


class StrategyModule(_Base):
    """Ansible's linear strategy (through mitogen when installed), with warm workers."""

    def run(self, iterator, play_context, result=0):
        _warm_the_controller()
        return super().run(iterator, play_context, result)
