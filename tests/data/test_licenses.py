import pytest

from gemeingut.data.licenses import Obligation, decide, licence_ids


@pytest.mark.parametrize(
    ("expression", "chosen", "obligation"),
    [
        ("CC0-1.0", "CC0-1.0", Obligation.NONE),
        ("cc-by-4.0", "CC-BY-4.0", Obligation.ATTRIBUTION),
        ("CC-BY-SA-4.0", "CC-BY-SA-4.0", Obligation.SHARE_ALIKE),
        ("DL-DE-BY-2.0", "DL-DE-BY-2.0", Obligation.ATTRIBUTION),
        ("DL-DE-ZERO-2.0", "DL-DE-ZERO-2.0", Obligation.NONE),
        ("LicenseRef-German-Official-Work", "LicenseRef-German-Official-Work", Obligation.NONE),
        ("ODbL-1.0", "ODbL-1.0", Obligation.SHARE_ALIKE),
        ("ODC-By-1.0", "ODC-By-1.0", Obligation.ATTRIBUTION),
        ("PDDL-1.0", "PDDL-1.0", Obligation.NONE),
    ],
)
def test_open_licence_is_admitted(expression: str, chosen: str, obligation: Obligation) -> None:
    decision = decide(expression)
    assert decision.admitted and decision.reason == "admitted"
    assert decision.chosen == chosen
    assert decision.obligation == obligation


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("CC-BY-NC-4.0", "licence-non-commercial"),
        ("CC-BY-NC-SA-4.0", "licence-non-commercial"),
        ("CC-BY-ND-4.0", "licence-no-derivatives"),
        ("CC-BY-NC-ND-4.0", "licence-non-commercial"),
        ("LicenseRef-Proprietary", "licence-proprietary"),
        ("proprietary", "licence-proprietary"),
        (None, "licence-missing"),
        ("", "licence-missing"),
        ("   ", "licence-missing"),
        ("CC-BY-4.0 AND (", "licence-unparseable"),
        ("AND OR", "licence-unparseable"),
        ("()", "licence-unparseable"),
        ("LicenseRef-Something-Else", "licence-unknown"),
        ("GPL-3.0-only", "licence-unknown"),
    ],
)
def test_closed_missing_or_broken_licence_is_refused_with_reason(
    expression: str | None, reason: str
) -> None:
    decision = decide(expression)
    assert not decision.admitted
    assert decision.reason == reason
    assert decision.detail


def test_or_expression_picks_the_least_demanding_open_alternative() -> None:
    decision = decide("CC-BY-SA-4.0 OR CC0-1.0")
    assert decision.admitted and decision.chosen == "CC0-1.0"
    assert decision.obligation == Obligation.NONE


def test_or_expression_with_only_closed_alternatives_is_refused() -> None:
    decision = decide("CC-BY-NC-4.0 OR LicenseRef-Proprietary")
    assert not decision.admitted and decision.reason == "licence-non-commercial"


def test_and_expression_needs_every_part_open() -> None:
    assert decide("CC-BY-4.0 AND CC-BY-SA-4.0").obligation == Obligation.SHARE_ALIKE
    refused = decide("CC-BY-4.0 AND CC-BY-NC-4.0")
    assert not refused.admitted and refused.reason == "licence-non-commercial"


def test_with_exception_is_judged_by_its_licence() -> None:
    assert decide("CC-BY-4.0 WITH Classpath-exception-2.0").admitted


@pytest.mark.parametrize(
    ("expression", "ids"),
    [
        ("cc-by-4.0", ["CC-BY-4.0"]),
        ("Apache-2.0 WITH LLVM-exception OR (MIT AND mit)", ["Apache-2.0", "MIT"]),
        ("llama3.1 AND LicenseRef-Apache-2.0", ["llama3.1", "LicenseRef-Apache-2.0"]),
        ("CC-BY-4.0 AND (", []),
        ("()", []),
        ("", []),
        (None, []),
    ],
)
def test_licence_ids_names_each_licence_once_without_exceptions(
    expression: str | None, ids: list[str]
) -> None:
    assert licence_ids(expression) == ids
