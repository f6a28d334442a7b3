# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch (metric alarms) API wrappers: one function per call."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call


@aws_call("describe the metric alarms")
def describe_alarms(client, prefix):
    """{name: alarm} of the metric alarms whose names start with ``prefix``."""
    alarms = {}
    for page in client.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"]):
        for alarm in page.get("MetricAlarms", []):
            alarms[alarm["AlarmName"]] = alarm
    return alarms


@aws_call("put a metric alarm")
def put_metric_alarm(client, args):
    client.put_metric_alarm(**args)


@aws_call("delete metric alarms", not_found=["ResourceNotFound"])
def delete_alarms(client, names):
    # DeleteAlarms takes at most 100 names per call.
    names = list(names)
    for start in range(0, len(names), 100):
        client.delete_alarms(AlarmNames=names[start:start + 100])


@aws_call("read the tags of an alarm")
def list_tags(client, arn):
    return client.list_tags_for_resource(ResourceARN=arn).get("Tags", [])


@aws_call("tag an alarm")
def tag_resource(client, arn, tags):
    client.tag_resource(ResourceARN=arn, Tags=tags)
