"""`tierform init --platform X` writes a live target that validates, for every platform."""

from __future__ import annotations

import pytest

from tierform.core.loader import load_model
from tierform.core.recommend import PLATFORMS

NAMES = {"xlsx": "workbook", "churnzero": "cz", "gainsight": "gs", "totango": "tt"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_init_writes_a_live_target_that_validates(run, tmp_path, platform):
    path = tmp_path / "tierform.yaml"
    result = run("init", str(path), "--platform", platform)
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    name = NAMES.get(platform, platform)
    assert f"\n  {name}:\n    platform: {platform}\n" in text
    assert "#    platform:" not in text  # live, not commented out
    assert load_model(path).targets[name].platform == platform
    check = run("validate", "-c", str(path))
    assert check.exit_code == 0, check.output


def test_churnzero_block_is_the_documented_one(run, tmp_path):
    path = tmp_path / "tierform.yaml"
    run("init", str(path), "--platform", "churnzero")
    settings = load_model(path).targets["cz"].settings()
    assert settings["base_url"] == "https://acme.us2app.churnzero.net"
    assert settings["app_key"] == {"env": "CHURNZERO_APP_KEY"}
    assert settings["rest_user"] == "api-user@acme.com"
    assert settings["rest_key"] == {"env": "CHURNZERO_REST_KEY"}
