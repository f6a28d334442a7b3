# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The project's default strategy: Ansible's ``linear``, run through mitogen when it is installed.

Every task of the stack runs on the controller (``connection: local``) and most of them are
modules that import boto3. With the stock strategy each task starts a new Python, imports
boto3 and parses botocore's data again, about a second a task; mitogen keeps one Python per
host for the whole run and runs the modules inside it, so the imports and the parsed data
(see ``plugins/module_utils/aws_module.py``) are paid once. Task order, check mode, diff,
``no_log`` and results are those of ``linear``.

The switch: ``ANSIBLE_STRATEGY=linear`` (or ``strategy: linear`` on a play) runs without
mitogen; without the ``mitogen`` package (an execution environment that does not ship it)
this strategy says so once and behaves as ``linear``.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.loader import strategy_loader
from ansible.utils.display import Display

try:
    import ansible_mitogen.strategy  # also checks that mitogen supports this ansible-core
except (ImportError, AnsibleError) as e:  # the package is missing, or refuses this ansible-core
    ansible_mitogen = None
    Display().warning(f"mitogen is not available ({e}); running with the linear strategy.")

_Linear = strategy_loader.get("linear", class_only=True)

if ansible_mitogen is None:
    class StrategyModule(_Linear):
        """Ansible's linear strategy."""
else:
    class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Linear):
        """Ansible's linear strategy, with mitogen's connection and module runner."""
