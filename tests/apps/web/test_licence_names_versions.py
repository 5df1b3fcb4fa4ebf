"""licences by the names their deeds give them: 3.0 and the versions before
it (1.0 to 2.5, with their port: Generic, or the country of a ported licence) say "NoDerivs"
(German "Keine Bearbeitung") and the German "Nicht-kommerziell"; 4.0 keeps its own wording."""

from __future__ import annotations

import pytest

from gemeingut.data.licence_names import licence_name

BY_NC_SA = "Namensnennung – Nicht-kommerziell – Weitergabe unter gleichen Bedingungen"


@pytest.mark.parametrize(
    ("licence", "language", "name"),
    [
        # 3.0
        ("CC-BY-ND-3.0-DE", "de", "Namensnennung – Keine Bearbeitung 3.0 Deutschland"),
        ("CC-BY-NC-SA-3.0", "de", f"{BY_NC_SA} 3.0 Unported"),
        (
            "CC-BY-NC-ND-3.0-AT",
            "de",
            "Namensnennung – Nicht-kommerziell – Keine Bearbeitung 3.0 Österreich",
        ),
        ("cc-by-3.0", "de", "Namensnennung 3.0 Unported"),
        ("CC-BY-NC-ND-3.0", "en", "Attribution-NonCommercial-NoDerivs 3.0 Unported"),
        ("CC-BY-ND-3.0-DE", "en", "Attribution-NoDerivs 3.0 Germany"),
        # 4.0: its own wording
        (
            "CC-BY-NC-ND-4.0",
            "de",
            "Namensnennung – Nicht kommerziell – Keine Bearbeitungen 4.0 International",
        ),
        ("CC-BY-ND-4.0", "en", "Attribution-NoDerivatives 4.0 International"),
        # 1.0 to 2.5: worded as 3.0
        ("CC-BY-2.0", "de", "Namensnennung 2.0 Generisch"),
        ("CC-BY-ND-2.0", "de", "Namensnennung – Keine Bearbeitung 2.0 Generisch"),
        ("CC-BY-NC-2.5", "de", "Namensnennung – Nicht-kommerziell 2.5 Generisch"),
        ("CC-BY-NC-SA-2.0-DE", "de", f"{BY_NC_SA} 2.0 Deutschland"),
        ("CC-BY-2.5-AU", "de", "Namensnennung 2.5 Australien"),
        ("CC-BY-ND-2.5", "en", "Attribution-NoDerivs 2.5 Generic"),
        ("CC-BY-SA-2.0-UK", "en", "Attribution-ShareAlike 2.0 UK: England & Wales"),
        ("CC-BY-SA-2.1-JP", "en", "Attribution-ShareAlike 2.1 Japan"),
        # 1.0 names "NoDerivs" before "NonCommercial" (CC BY-ND-NC 1.0)
        ("CC-BY-NC-ND-1.0", "en", "Attribution-NoDerivs-NonCommercial 1.0 Generic"),
    ],
)
def test_a_licence_is_named_as_its_deed_names_it(licence: str, language: str, name: str) -> None:
    """`name` after "Creative Commons "."""
    assert licence_name(licence, language) == f"Creative Commons {name}"
