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


def test_the_operating_guide_names_the_required_fields_the_policy_model_has() -> None:
    """docs/operating.md lists a policy file's required fields: they are the model's
    (`REQUIRED`), counted and named, so a field added to the model is added to the guide."""
    import re

    from gemeingut.serve.gateway.policy import REQUIRED

    guide = Path(__file__).resolve().parents[3] / "docs" / "operating.md"
    said = " ".join(guide.read_text(encoding="utf-8").split())
    found = re.search(r"A policy file has (\w+) required top-level fields: (.*?); a file", said)
    assert found is not None
    numbers = {"three": 3, "four": 4, "five": 5, "six": 6}
    assert numbers[found.group(1)] == len(REQUIRED)
    assert tuple(re.findall(r"`(\w+)` \(", found.group(2))) == REQUIRED
