# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DynamoDB API wrappers for the run lock's table: one function per call."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, aws_call, error_code

try:
    from botocore.exceptions import ClientError, WaiterError
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule
    ClientError = WaiterError = Exception

NOT_FOUND = ["ResourceNotFoundException"]
KEY = "lock_id"


@aws_call("describe the run lock table", not_found=NOT_FOUND)
def describe_table(client, name):
    return client.describe_table(TableName=name)["Table"]


@aws_call("create the run lock table", retry_codes=["LimitExceededException"])
def create_table(client, name, tags):
    """An on-demand table keyed by lock id, encrypted (DynamoDB's default), tagged; one that exists counts."""
    try:
        client.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                            Tags=[{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())])
    except ClientError as e:
        if error_code(e) != "ResourceInUseException":  # another run created it meanwhile
            raise


def wait_table_active(client, name, timeout=300):
    try:
        client.get_waiter("table_exists").wait(TableName=name,
                                               WaiterConfig={"Delay": 2, "MaxAttempts": max(1, timeout // 2)})
    except WaiterError as e:
        raise SoloAwsError(f"the run lock table {name} was not active after {timeout} s") from e


@aws_call("take the run lock", not_found=NOT_FOUND)
def put_lock(client, table, item, now):
    """Write ``item`` unless another run holds a lease that has not expired; True when written, None when
    the table does not exist.

    DynamoDB evaluates the condition and writes in one step: of two runs only one can win.
    """
    try:
        values = {k: ({"N": str(v)} if isinstance(v, int) else {"S": str(v)}) for k, v in item.items()}
        client.put_item(
            TableName=table, Item=values,
            ConditionExpression="attribute_not_exists(lock_id) OR expires < :now OR run_id = :run",
            ExpressionAttributeValues={":now": {"N": str(now)}, ":run": {"S": item["run_id"]}})
    except ClientError as e:
        if error_code(e) == "ConditionalCheckFailedException":
            return False
        raise
    return True


@aws_call("read the run lock", not_found=NOT_FOUND)
def get_lock(client, table, lock_id):
    """The lock item as a plain dict, or None."""
    found = client.get_item(TableName=table, Key={KEY: {"S": lock_id}}, ConsistentRead=True).get("Item")
    if not found:
        return None
    return {k: (int(v["N"]) if "N" in v else v.get("S")) for k, v in found.items()}


@aws_call("release the run lock", not_found=NOT_FOUND)
def delete_lock(client, table, lock_id, run_id=None):
    """Delete the lock (only if ``run_id`` still holds it, when given); True when deleted."""
    kwargs = {"TableName": table, "Key": {KEY: {"S": lock_id}}}
    if run_id is not None:
        kwargs.update(ConditionExpression="run_id = :run", ExpressionAttributeValues={":run": {"S": run_id}})
    try:
        client.delete_item(**kwargs)
    except ClientError as e:
        if error_code(e) == "ConditionalCheckFailedException":
            return False
        raise
    return True
