"""The registry layer: the ECR repositories the images are pushed to."""

TITLE = "registry"
ORDER = 40


def lines(ctx):
    ecr = ctx.client("ecr")
    prefix = f"{ctx.prefix}/"
    out = []
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repo in page["repositories"]:
            if not repo["repositoryName"].startswith(prefix):
                continue
            out.append(f"{repo['repositoryUri']}  tags {repo.get('imageTagMutability')}, scan on push "
                       f"{'on' if (repo.get('imageScanningConfiguration') or {}).get('scanOnPush') else 'off'}, "
                       f"{(repo.get('encryptionConfiguration') or {}).get('encryptionType', 'AES256')}")
    return sorted(out)
