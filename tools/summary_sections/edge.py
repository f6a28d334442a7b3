"""The edge: the app's URL, the certificate, the ALB's listeners and the web ACL in front of it."""

TITLE = "edge"
ORDER = 60


def lines(ctx):
    elbv2 = ctx.client("elbv2")
    try:
        (lb,) = elbv2.describe_load_balancers(Names=[f"{ctx.prefix}-alb"])["LoadBalancers"]
    except elbv2.exceptions.LoadBalancerNotFoundException:
        return []
    out = [f"ALB {lb['LoadBalancerName']} ({lb['Scheme']}) {lb['DNSName']}"]
    for listener in sorted(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"],
                           key=lambda x: x["Port"]):
        actions = ", ".join(a["Type"] for a in listener["DefaultActions"])
        policy = f" {listener['SslPolicy']}" if listener["Protocol"] == "HTTPS" else ""
        out.append(f"listener {listener['Port']} {listener['Protocol']}{policy}: {actions}")
    acm = ctx.client("acm")
    certificates = acm.list_certificates(CertificateStatuses=["PENDING_VALIDATION", "ISSUED"])
    for summary in certificates["CertificateSummaryList"]:
        tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(
            CertificateArn=summary["CertificateArn"])["Tags"]}
        if tags.get("Name") == f"{ctx.prefix}-app":
            out.append(f"certificate {summary['DomainName']} {summary['Status']} -> https://{summary['DomainName']}")
    wafv2 = ctx.client("wafv2")
    acl = wafv2.get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"]).get("WebACL")
    if acl:
        out.append(f"web ACL {acl['Name']}: {', '.join(r['Name'] for r in acl.get('Rules', []))}")
    else:
        out.append("web ACL: none associated")
    return out
