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


def test_versions_before_3_keep_the_wording_of_their_deeds() -> None:
    """1.0 to 2.5 word their elements as 3.0 does ("NoDerivs", "Keine Bearbeitung",
    "Nicht-kommerziell"), with their port: Generic, or the country of a ported licence."""
    assert licence_name("CC-BY-2.0", "de") == "Creative Commons Namensnennung 2.0 Generisch"
    assert licence_name("CC-BY-ND-2.0", "de") == (
        "Creative Commons Namensnennung – Keine Bearbeitung 2.0 Generisch"
    )
    assert licence_name("CC-BY-NC-2.5", "de") == (
        "Creative Commons Namensnennung – Nicht-kommerziell 2.5 Generisch"
    )
    assert licence_name("CC-BY-NC-SA-2.0-DE", "de") == (
        "Creative Commons Namensnennung – Nicht-kommerziell – Weitergabe unter gleichen "
        "Bedingungen 2.0 Deutschland"
    )
    assert licence_name("CC-BY-2.5-AU", "de") == "Creative Commons Namensnennung 2.5 Australien"
    assert licence_name("CC-BY-ND-2.5", "en") == (
        "Creative Commons Attribution-NoDerivs 2.5 Generic"
    )
    assert licence_name("CC-BY-SA-2.0-UK", "en") == (
        "Creative Commons Attribution-ShareAlike 2.0 UK: England & Wales"
    )
    assert licence_name("CC-BY-SA-2.1-JP", "en") == (
        "Creative Commons Attribution-ShareAlike 2.1 Japan"
    )
    # 1.0 names "NoDerivs" before "NonCommercial" (CC BY-ND-NC 1.0)
    assert licence_name("CC-BY-NC-ND-1.0", "en") == (
        "Creative Commons Attribution-NoDerivs-NonCommercial 1.0 Generic"
    )
