"""A policy file that lacks several of its required top-level fields is told all of them at
once, and which ones a policy needs: not one per run."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.serve.gateway.policy import Policy


def test_every_missing_top_level_field_is_named_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMEINGUT_LANG", "de")
    policy = tmp_path / "pol.yaml"
    policy.write_text("rules: []\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        Policy.load(policy)
    said = text(raised.value.message)
    assert "id, version, title" in said, said
    assert "id, version, title, rules" in text(raised.value.hint)
