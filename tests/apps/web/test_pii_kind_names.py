"""The page names the kinds of personal data (what a rule looks for, what the stored
conversations lose) by the one list the detectors keep, `data.pii.KIND_NAMES`: a kind added
there shows on the page, in German and English, without a second list to keep in step."""

from __future__ import annotations

import importlib

import pytest

from gemeingut.apps.web import texts
from gemeingut.data import pii
from gemeingut.i18n import _, text


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_page_names_each_kind_as_the_detectors_do(language: str) -> None:
    shown = {k: v for k, v in texts.page_texts(language).items() if k.startswith("pii_")}
    assert shown == {f"pii_{kind}": text(pii.KIND_NAMES[kind], language) for kind in pii.PII_TYPES}
    if language == "de":
        assert shown["pii_email"] == "E-Mail-Adressen"
    else:
        assert shown["pii_person_name"] == "names after a form of address or a title"


def test_a_kind_added_to_the_detectors_shows_on_the_page() -> None:
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(pii.KIND_NAMES, "passport", _("passport numbers"))
            importlib.reload(texts)
            assert texts.page_texts("en")["pii_passport"] == "passport numbers"
            assert texts.TEXTS["pii_passport"] is pii.KIND_NAMES["passport"]
    finally:  # the page's texts as they were, for every later test
        importlib.reload(texts)
    assert "pii_passport" not in texts.TEXTS
