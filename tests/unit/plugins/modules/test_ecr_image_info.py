"""ecr_image_info: finds tags, names the repositories that lack one."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.modules import ecr_image_info
from tests.support.modules import ModuleFail

IMAGES = {("p/backend", "v1"): {"imageDigest": "sha256:b", "imagePushedAt": "2026-11-29"},
          ("p/frontend", "v1"): {"imageDigest": "sha256:f", "imagePushedAt": "2026-11-29"}}


@pytest.fixture(autouse=True)
def fake(monkeypatch):
    monkeypatch.setattr(ecr_image_info.api, "describe_image_tag",
                        lambda client, repo, tag: IMAGES.get((repo, tag)))


def test_found(run_module):
    result = run_module(ecr_image_info, {"repositories": ["p/backend", "p/frontend"], "tag": "v1"}, check_mode=True)
    assert result["changed"] is False and result["missing"] == []
    assert result["images"]["p/backend"]["digest"] == "sha256:b"


def test_missing_fails_naming_the_repository(run_module):
    with pytest.raises(ModuleFail, match=r"image tag 'v2' is not in p/backend: push the image first \(the deploy "
                                         r"changed nothing\)"):
        run_module(ecr_image_info, {"repositories": ["p/backend"], "tag": "v2"})


def test_missing_reported_without_failing(run_module):
    result = run_module(ecr_image_info, {"repositories": ["p/backend", "p/frontend"], "tag": "v2",
                                         "fail_on_missing": False})
    assert result["missing"] == ["p/backend", "p/frontend"]
