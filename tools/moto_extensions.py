"""What the project's emulator adds to moto: AWS calls the stack makes that moto does not implement.

Product code follows AWS; where moto lacks a call, it is filled in here, as AWS documents it, and every
emulator the project starts (``tools.emulator``, ``tools.latency_emulator``) installs it first.

  RDS ModifyEventSubscription, AddSourceIdentifierToSubscription, RemoveSourceIdentifierFromSubscription
      (moto 5.2 has only Create/Describe/DeleteEventSubscription). Amazon RDS API Reference: Modify changes
      the topic, the source type, the categories or Enabled, never the source ids (a new source type drops
      them here: the reference does not say, and ids of another type name nothing; the module converges
      either way, a second run removes what a first one left); Add/Remove answer SubscriptionNotFound for
      an unknown subscription and SourceNotFound for an unknown source (Remove of an id that is not in the
      subscription is accepted).
  S3 bucket policies: moto evaluates a bucket policy's statements for object calls but ignores their
      conditions, so the TLS-only statement every locked-down bucket carries (Deny s3:* when
      aws:SecureTransport is false) denies every object call. Requests to the emulator travel plain HTTP
      on loopback where every SDK call to AWS travels TLS: here such a statement is evaluated as AWS
      evaluates it for a TLS request, i.e. it does not apply.

Usage: python -m tools.moto_extensions [moto_server arguments]   (moto's server, with the additions)
"""

from __future__ import annotations

import sys

_INSTALLED = False


def _source_exists(backend, source_type, identifier):
    kinds = {
        "db-instance": backend.databases,
        "db-cluster": backend.clusters,
        "db-parameter-group": backend.db_parameter_groups,
        "db-security-group": backend.security_groups,
        "db-snapshot": backend.database_snapshots,
        "db-cluster-snapshot": backend.cluster_snapshots,
    }
    found = kinds.get(source_type)
    return found is None or identifier in found


def install() -> None:
    """Add the missing calls to moto's RDS backend and its query API (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import RDSClientError, SubscriptionNotFoundError
    from moto.rds.models import RDSBackend
    from moto.rds.responses import RDSResponse

    class SourceNotFoundError(RDSClientError):
        def __init__(self, identifier):
            super().__init__("SourceNotFound", f"Source {identifier} not found.")

    def _subscription(self, name):
        if name not in self.event_subscriptions:
            raise SubscriptionNotFoundError(name)
        return self.event_subscriptions[name]

    def modify_event_subscription(self, name, sns_topic_arn=None, source_type=None, event_categories=None,
                                  enabled=None):
        subscription = self._subscription(name)
        if sns_topic_arn:
            subscription.sns_topic_arn = sns_topic_arn
        if source_type and source_type != subscription.source_type:
            subscription.source_type = source_type
            subscription.source_ids = []
        if event_categories is not None:
            subscription.event_categories = list(event_categories)
        if enabled is not None:
            subscription.enabled = enabled
        return subscription

    def add_source_identifier_to_subscription(self, name, identifier):
        subscription = self._subscription(name)
        if not _source_exists(self, subscription.source_type, identifier):
            raise SourceNotFoundError(identifier)
        if identifier not in subscription.source_ids:
            subscription.source_ids = [*subscription.source_ids, identifier]
        return subscription

    def remove_source_identifier_from_subscription(self, name, identifier):
        subscription = self._subscription(name)
        subscription.source_ids = [i for i in subscription.source_ids if i != identifier]
        return subscription

    RDSBackend._subscription = _subscription
    RDSBackend.modify_event_subscription = modify_event_subscription
    RDSBackend.add_source_identifier_to_subscription = add_source_identifier_to_subscription
    RDSBackend.remove_source_identifier_from_subscription = remove_source_identifier_from_subscription

    def _enabled(value):
        if value is None or isinstance(value, bool):
            return value
        return str(value).lower() == "true"

    def modify_event_subscription_response(self):
        p = self.params
        subscription = self.backend.modify_event_subscription(
            p.get("SubscriptionName"), sns_topic_arn=p.get("SnsTopicArn"), source_type=p.get("SourceType"),
            event_categories=p.get("EventCategories"), enabled=_enabled(p.get("Enabled")))
        return ActionResult({"EventSubscription": subscription})

    def add_source_identifier_response(self):
        subscription = self.backend.add_source_identifier_to_subscription(
            self.params.get("SubscriptionName"), self.params.get("SourceIdentifier"))
        return ActionResult({"EventSubscription": subscription})

    def remove_source_identifier_response(self):
        subscription = self.backend.remove_source_identifier_from_subscription(
            self.params.get("SubscriptionName"), self.params.get("SourceIdentifier"))
        return ActionResult({"EventSubscription": subscription})

    RDSResponse.modify_event_subscription = modify_event_subscription_response
    RDSResponse.add_source_identifier_to_subscription = add_source_identifier_response
    RDSResponse.remove_source_identifier_from_subscription = remove_source_identifier_response
    _install_s3_secure_transport()
    _INSTALLED = True


def _insecure_transport_only(statement):
    """True for a statement that applies only to requests not made over TLS."""
    condition = statement.get("Condition") or {}
    flags = {str(k).lower(): v for k, v in (condition.get("Bool") or {}).items()}
    return set(condition) == {"Bool"} and set(flags) == {"aws:securetransport"} \
        and str(flags["aws:securetransport"]).lower() == "false"


def _install_s3_secure_transport() -> None:
    import json

    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
        body = policy.get("Statement", [])
        body = body if isinstance(body, list) else [body]
        kept = [s for s in body if not _insecure_transport_only(s)]
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**policy, "Statement": kept})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def main(argv: list[str]) -> None:
    install()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
