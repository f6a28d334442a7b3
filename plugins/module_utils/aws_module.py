# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module class of this collection: ``AnsibleAWSModule`` with cheaper clients.

``AnsibleAWSModule.client()`` builds a new boto3 session for every client, and
every new session parses botocore's JSON data again (endpoints, partitions,
the service model): about 0.3 s a client, more than most of our modules spend
talking to AWS. :class:`SoloAwsModule` takes the same connection options and
reports the same errors, but

* builds one session per module run and profile, shared by the module's clients;
* gives every session the interpreter's botocore data loader, which only caches
  the JSON files it read from botocore's data path. When the interpreter
  outlives one module run (an Ansible strategy that keeps a persistent Python
  on the target, such as mitogen) the next module finds the files parsed.

Credentials, region and endpoint are still resolved for each module run from
its own parameters and environment: only read-only botocore data is shared.
"""

from __future__ import annotations

import sys
import types

try:
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.loaders
    import botocore.session
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing library
    pass

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible_collections.amazon.aws.plugins.module_utils.botocore import enable_placebo, get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.solo_saving.infra.plugins.module_utils import common

USER_AGENT = f"APN/1.0 Ansible/{ANSIBLE_VERSION} solo_saving.infra"
# The loaders live in a registry module of their own: Ansible (and mitogen) re-import a
# collection's module_utils for every module run, so a global of this file would not last.
LOADER_REGISTRY = "_solo_saving_infra_botocore_loaders"
# botocore's standard retry mode (throttling of every protocol, 5xx, with jittered backoff and a
# retry quota), the same for every client of every module. Ten attempts: at 30 % of calls throttled
# a call still fails after them once in 170,000; aws_call then retries throttling a while longer.
RETRY_CONFIG = {"mode": "standard", "total_max_attempts": 10}


def shared_loader(data_path):
    """The interpreter's botocore loader for ``data_path`` (AWS_DATA_PATH; None for the default)."""
    registry = sys.modules.get(LOADER_REGISTRY)
    if registry is None:
        registry = types.ModuleType(LOADER_REGISTRY)
        registry.loaders = {}
        sys.modules[LOADER_REGISTRY] = registry
    loader = registry.loaders.get(data_path)
    if loader is None:
        loader = registry.loaders[data_path] = botocore.loaders.create_loader(data_path)
    return loader


def new_session(profile=None):
    """A boto3 session for ``profile`` whose botocore data loader is the interpreter's."""
    core = botocore.session.Session(profile=profile)
    loader = shared_loader(core.get_config_variable("data_path"))
    core.register_component("data_loader", loader)
    known = list(loader.search_paths)
    session = boto3.session.Session(botocore_session=core)
    # boto3 appends its own data directory to the loader of every session it wraps;
    # once is enough for a loader that many sessions share.
    for path in loader.search_paths[len(known):]:
        if path in known:
            loader.search_paths.remove(path)
        else:
            known.append(path)
    enable_placebo(session)
    return session


class SoloAwsModule(AnsibleAWSModule):
    """``AnsibleAWSModule`` whose clients share one session per module run."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._sessions = {}
        common.RETRIED.clear()

    def _with_retries(self, result):
        """``result`` with what the run waited for (``retried``: condition, call, tries, seconds)."""
        report = common.retried_report()
        if report and "retried" not in result:
            result["retried"] = report
        return result

    def exit_json(self, *args, **kwargs):
        super().exit_json(*args, **self._with_retries(kwargs))

    def fail_json(self, *args, **kwargs):
        super().fail_json(*args, **self._with_retries(kwargs))

    def exit_plan(self, plan, **result):
        """Exit with what ``plan`` (a :class:`common.Plan`) recorded: changed, its actions and, with
        ``--diff``, its before / after views, next to the module's own ``result``."""
        output = dict(changed=bool(plan.actions), actions=plan.actions, **result)
        if self._diff:
            output["diff"] = {"before": plan.before, "after": plan.after}
        self.exit_json(**output)

    def client(self, service, retry_decorator=None, **extra_params):
        if retry_decorator is not None:
            return super().client(service, retry_decorator=retry_decorator, **extra_params)
        region, endpoint_url, params = get_aws_connection_info(self)
        params.update(extra_params)
        profile = params.pop("profile_name", None)
        config = botocore.config.Config(user_agent=USER_AGENT, retries=dict(RETRY_CONFIG))
        for extra in (params.pop("config", None), params.pop("aws_config", None)):
            if extra:
                config = config.merge(extra if isinstance(extra, botocore.config.Config)
                                      else botocore.config.Config(**extra))
        try:
            session = self._sessions.get(profile)
            if session is None:
                session = self._sessions[profile] = new_session(profile)
            return session.client(service, config=config, region_name=region, endpoint_url=endpoint_url, **params)
        except botocore.exceptions.NoRegionError:
            self.fail_json(msg=f"The {self._name} module requires a region and none was found in configuration, "
                               "environment variables or module parameters")
        except (ValueError, botocore.exceptions.BotoCoreError) as e:
            self.fail_json_aws(e, msg="Couldn't connect to AWS")
