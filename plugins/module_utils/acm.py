# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACM API wrappers: one function per call, each retried, one error type."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call, tag_list

NOT_FOUND = ["ResourceNotFoundException"]


@aws_call("list the ACM certificates")
def list_certificates(client, statuses):
    """Certificate summaries with one of ``statuses``.

    ListCertificates returns only RSA_2048 certificates unless told otherwise; the
    certificates this collection requests are RSA_2048 (ACM's default key algorithm).
    """
    paginator = client.get_paginator("list_certificates")
    found = []
    for page in paginator.paginate(CertificateStatuses=list(statuses)):
        found.extend(page.get("CertificateSummaryList", []))
    return found


@aws_call("describe the certificate", not_found=NOT_FOUND)
def describe_certificate(client, arn):
    return client.describe_certificate(CertificateArn=arn)["Certificate"]


@aws_call("read the tags of the certificate", not_found=NOT_FOUND)
def list_certificate_tags(client, arn):
    return {t["Key"]: t.get("Value") for t in client.list_tags_for_certificate(CertificateArn=arn).get("Tags", [])}


@aws_call("request the certificate")
def request_certificate(client, domain_name, alternative_names, idempotency_token, tags):
    """RequestCertificate with DNS validation, tagged in the same call (a crash cannot leave it untagged)."""
    kwargs = {"DomainName": domain_name, "ValidationMethod": "DNS", "IdempotencyToken": idempotency_token,
              "Tags": tag_list(tags)}
    if alternative_names:
        kwargs["SubjectAlternativeNames"] = list(alternative_names)
    return client.request_certificate(**kwargs)["CertificateArn"]


@aws_call("tag the certificate")
def tag_certificate(client, arn, tags):
    client.add_tags_to_certificate(CertificateArn=arn, Tags=tag_list(tags))


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("delete the certificate", not_found=NOT_FOUND, retry_codes=["ResourceInUseException"])
def delete_certificate(client, arn):
    """A certificate stays "in use" for a while after its load balancer is deleted: retried."""
    client.delete_certificate(CertificateArn=arn)
