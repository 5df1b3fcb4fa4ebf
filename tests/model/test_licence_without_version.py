"""A licence named without its version is refused with the SPDX id meant where SPDX knows the
licence in one version only: `CC0` was said to be "neither an SPDX licence id nor terms
gemeingut knows", with `LicenseRef-CC0` as the way to name it."""

import pytest

from gemeingut.i18n import text
from gemeingut.model.licence_names import unknown_licence


@pytest.mark.parametrize(
    ("given", "meant"), [("CC0", "CC0-1.0"), ("cc0", "CC0-1.0"), ("ODbL", "ODbL-1.0")]
)
def test_a_licence_without_its_version_is_said_with_the_id_meant(given: str, meant: str) -> None:
    refusal = unknown_licence(given)
    assert refusal is not None
    reason, hint = refusal
    said = f"„{given}“ ist keine SPDX-Lizenzkennung; meinten Sie {meant}?"
    assert text(reason, "de") == said
    assert text(reason, "en") == f"'{given}' is not an SPDX licence id; did you mean {meant}?"
    assert text(hint, "en") == f"name the licence as SPDX spells it: {meant}"


def test_a_licence_in_several_versions_is_not_guessed() -> None:
    refusal = unknown_licence("CC-BY")  # 1.0, 2.0, 2.5, 3.0 and 4.0
    assert refusal is not None
    assert "did you mean" not in text(refusal[0], "en")


def test_ids_with_their_version_still_pass() -> None:
    assert unknown_licence("CC0-1.0") is None and unknown_licence("MIT") is None
