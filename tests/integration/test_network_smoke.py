"""Temporary smoke test of the fixtures; replaced by the integration suite."""


def test_network_converges(playbook, aws):
    first = playbook("site.yml", "--tags", "network", check=True)
    assert first.recap()["changed"] == 1
    vpcs = aws.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["solo-saving-local-vpc"]}])["Vpcs"]
    assert len(vpcs) == 1
