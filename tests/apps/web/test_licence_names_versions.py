"""Creative Commons 3.0 licences by the names their deeds give them, not 4.0's: "NoDerivs"
(German "Keine Bearbeitung") and the German "Nicht-kommerziell"; 4.0 keeps its own wording."""

from __future__ import annotations

from gemeingut.serve.licence_names import licence_name


def test_version_3_licences_keep_their_own_names() -> None:
    assert licence_name("CC-BY-ND-3.0-DE", "de") == (
        "Creative Commons Namensnennung – Keine Bearbeitung 3.0 Deutschland"
    )
    assert licence_name("CC-BY-NC-SA-3.0", "de") == (
        "Creative Commons Namensnennung – Nicht-kommerziell – Weitergabe unter gleichen "
        "Bedingungen 3.0 Unported"
    )
    assert licence_name("CC-BY-NC-ND-3.0-AT", "de") == (
        "Creative Commons Namensnennung – Nicht-kommerziell – Keine Bearbeitung 3.0 Österreich"
    )
    assert licence_name("cc-by-3.0", "de") == "Creative Commons Namensnennung 3.0 Unported"
    assert licence_name("CC-BY-NC-ND-3.0", "en") == (
        "Creative Commons Attribution-NonCommercial-NoDerivs 3.0 Unported"
    )
    assert licence_name("CC-BY-ND-3.0-DE", "en") == (
        "Creative Commons Attribution-NoDerivs 3.0 Germany"
    )


def test_version_4_licences_keep_the_4_0_wording() -> None:
    assert licence_name("CC-BY-NC-ND-4.0", "de") == (
        "Creative Commons Namensnennung – Nicht kommerziell – Keine Bearbeitungen 4.0 International"
    )
    assert licence_name("CC-BY-ND-4.0", "en") == (
        "Creative Commons Attribution-NoDerivatives 4.0 International"
    )
