"""The openness checks read an expression's licences with `licence_ids`: a `WITH` exception
(which once ended in an AttributeError) is read as its licence."""

from gemeingut.i18n import text
from gemeingut.release.openness.licence_text import text_required
from gemeingut.release.openness.licences import content_licence, share_alike_conflicts


def test_a_licence_with_an_exception_asks_for_its_text() -> None:
    assert text_required("Apache-2.0 WITH LLVM-exception AND llama3.1") == [
        "Apache-2.0",
        "llama3.1",
    ]
    assert text_required("CC-BY-4.0 AND (") == []


def test_a_share_alike_licence_with_an_exception_carries_it() -> None:
    sources = {"CC-BY-SA-4.0": {"wiki"}}
    assert share_alike_conflicts("CC-BY-SA-4.0 WITH LLVM-exception", sources) == {}
    assert share_alike_conflicts("MIT", sources) == {"CC-BY-SA-4.0": {"wiki"}}


def test_terms_of_their_own_with_an_exception_are_named() -> None:
    said = content_licence("LicenseRef-Eigene-Bedingungen WITH LLVM-exception")
    assert not said.open
    assert "eigene Bedingungen (Eigene-Bedingungen)" in text(said.detail)
