"""The secrets layer: the SecureString parameters, by name and version (never a value)."""

TITLE = "secrets"
ORDER = 30


def lines(ctx):
    ssm = ctx.client("ssm")
    path = f"/{ctx.project}/{ctx.environment}"
    paginator = ssm.get_paginator("describe_parameters")
    found = []
    for page in paginator.paginate(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [path]}]):
        found.extend(page.get("Parameters", []))
    return [f"{p['Name']:<40} {p['Type']:<12} v{p.get('Version')}  key {p.get('KeyId') or '-'}"
            for p in sorted(found, key=lambda p: p["Name"])]
