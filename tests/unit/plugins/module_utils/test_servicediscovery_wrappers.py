"""Cloud Map wrappers: a repeated namespace creation returns the operation already under way."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ansible_collections.solo_saving.infra.plugins.module_utils import servicediscovery as sd
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError


class Client:
    def __init__(self, error=None):
        self.error = error
        self.calls = []

    def create_private_dns_namespace(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return {"OperationId": "op-new"}


def error(code, **extra):
    return ClientError({"Error": {"Code": code, "Message": "x"}, **extra}, "CreatePrivateDnsNamespace")


def test_creation_returns_the_operation():
    client = Client()
    assert sd.create_private_dns_namespace(client, "x.internal", "vpc-1", "tok", "d", [], 60) == "op-new"
    assert client.calls[0]["CreatorRequestId"] == "tok"
    assert client.calls[0]["Properties"] == {"DnsProperties": {"SOA": {"TTL": 60}}}


def test_a_repeated_request_returns_the_operation_under_way():
    client = Client(error("DuplicateRequest", DuplicateOperationId="op-1"))
    assert sd.create_private_dns_namespace(client, "x.internal", "vpc-1", "tok", "d", [], 60) == "op-1"


def test_other_errors_fail():
    client = Client(error("ConflictingDomainExists"))
    with pytest.raises(SoloAwsError, match="Failed to create the Cloud Map private DNS namespace"):
        sd.create_private_dns_namespace(client, "x.internal", "vpc-1", "tok", "d", [], 60)
