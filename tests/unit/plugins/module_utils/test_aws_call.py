"""aws_call: "not found" codes give None, every other error raises SoloAwsError."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, aws_call


def client_error(code):
    return ClientError({"Error": {"Code": code, "Message": "from the test"}}, "DeleteThing")


@aws_call("delete the thing", not_found=["ThingNotFound"])
def delete_thing(code):
    raise client_error(code)


def test_not_found_counts_as_done():
    assert delete_thing("ThingNotFound") is None


@pytest.mark.parametrize("code", ["AccessDenied", "DependencyViolation", "InvalidParameterValue"])
def test_other_errors_are_not_swallowed(code):
    with pytest.raises(SoloAwsError, match="Failed to delete the thing") as raised:
        delete_thing(code)
    assert raised.value.exception.response["Error"]["Code"] == code


def test_without_not_found_codes_every_error_raises():
    @aws_call("read the thing")
    def read_thing():
        raise client_error("ThingNotFound")

    with pytest.raises(SoloAwsError, match="Failed to read the thing"):
        read_thing()
