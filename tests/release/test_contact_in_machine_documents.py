"""The contact given at release in the SPDX document, the CycloneDX ML-BOM and the technical
report of both kinds of release, each in the field its standard has for it (SPDX: the model's
`support` reference and the supplier's `email` identifier; CycloneDX: the supplier's contact or
url), said as not given where the release gives none; `verify` renders them again, so a
contact changed in any one of them is named. And section 2.6 of a release of our own
pretraining says how curated fine-tuning data was filtered, from the dataset's record."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.ai_act import training_summary
from gemeingut.release.openness.contact import contact_kind, email_address
from gemeingut.release.openness.evidence import collect
from gemeingut.release.verify import verify_bundle
from tests.release.documents_again import documents_rendered_again
from tests.release.test_documents_say_what_the_bundle_holds import (
    CONTACT,
    curated,  # noqa: F401  (a fixture)
)

DOCUMENTS = ("spdx.json", "bom.cdx.json", "TECHNICAL_REPORT.md")
OTHER = "jemand@anders.example"
NOT_EVIDENCED = "not evidenced by the release's files (the provider must state it)"


def _with_contact(bundle: Path, contact: str) -> Path:
    """The recipe release as `release` writes it when its recipe names authors and `contact`."""
    info = bundle / "release.json"
    given = json.loads(info.read_text(encoding="utf-8"))
    given |= {"authors": ["Stadt Musterstadt"], "contact": contact}
    info.write_text(json.dumps(given, indent=2), encoding="utf-8")
    documents_rendered_again(bundle)
    return bundle


def _spdx(bundle: Path) -> dict[str, list]:
    """The SPDX document read back with the official bindings, its elements by type."""
    from spdx_python_model import v3_0_1 as spdx

    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO((bundle / "spdx.json").read_bytes()), objects)
    by_type: dict[str, list] = {}
    for item in objects.foreach():
        by_type.setdefault(type(item).__name__, []).append(item)
    return by_type


def _supplier(bundle: Path) -> dict:
    bom = json.loads((bundle / "bom.cdx.json").read_text(encoding="utf-8"))
    return bom["metadata"]["component"].get("supplier", {})


def _valid_bom(bundle: Path) -> bool:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text_ = (bundle / "bom.cdx.json").read_text(encoding="utf-8")
    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(text_) is None


def _report(bundle: Path) -> str:
    return (bundle / "TECHNICAL_REPORT.md").read_text(encoding="utf-8")


def _contact_said(bundle: Path, contact: str, email: str | None) -> None:
    """SPDX, ML-BOM and report of `bundle` carry `contact` (`email`: the address it is)."""
    by_type = _spdx(bundle)
    model = next(p for p in by_type["ai_AIPackage"] if p.get_id().endswith(":model"))
    support = [ref for ref in model.externalRef if str(ref.externalRefType).endswith("support")]
    assert [list(ref.locator) for ref in support] == [[contact]]
    (supplier,) = by_type["Organization"]
    identifiers = [i.identifier for i in supplier.externalIdentifier]
    assert identifiers == ([email] if email else [])
    assert _valid_bom(bundle)
    assert f"Anbieter: Stadt Musterstadt; Kontakt: {contact}." in _report(bundle)


@pytest.mark.parametrize(
    ("contact", "kind"),
    [
        (CONTACT, "email"),
        (f"mailto:{CONTACT}", "email"),
        ("https://schule.example/kontakt", "url"),
        ("Schulamt, Zimmer 3", "other"),
        ("it@schule", "other"),  # no domain: not an address a mail client can use
    ],
)
def test_a_contact_is_said_as_what_it_is(contact: str, kind: str) -> None:
    assert contact_kind(contact) == kind
    assert email_address(contact) == (CONTACT if kind == "email" else contact)


def test_the_recipe_releases_contact_is_in_spdx_the_ml_bom_and_the_report(bundle: Path) -> None:
    _with_contact(bundle, f"mailto:{CONTACT}")
    _contact_said(bundle, f"mailto:{CONTACT}", CONTACT)
    assert _supplier(bundle) == {"name": "Stadt Musterstadt", "contact": [{"email": CONTACT}]}
    verify_bundle(bundle)


def test_a_web_address_is_the_suppliers_url(bundle: Path) -> None:
    _with_contact(bundle, "https://schule.example/kontakt")
    _contact_said(bundle, "https://schule.example/kontakt", None)
    assert _supplier(bundle) == {
        "name": "Stadt Musterstadt",
        "url": ["https://schule.example/kontakt"],
    }


def test_a_release_without_a_contact_says_it_is_not_given(bundle: Path) -> None:
    """The tiny build's recipe names neither authors nor contact: no field is filled in, and
    each document says the contact is missing."""
    info = json.loads((bundle / "release.json").read_text(encoding="utf-8"))
    assert "contact" not in info
    (supplier,) = _spdx(bundle)["Organization"]
    assert supplier.comment == f"Contact: {NOT_EVIDENCED}"
    assert not list(supplier.externalIdentifier)
    assert not list(_spdx(bundle)["ai_AIPackage"][0].externalRef)
    bom = json.loads((bundle / "bom.cdx.json").read_text(encoding="utf-8"))
    model = bom["metadata"]["component"]
    assert "supplier" not in model
    assert {"name": "gemeingut:contact", "value": NOT_EVIDENCED} in model["properties"]
    assert "Anbieter: nicht angegeben; Kontakt: nicht angegeben." in _report(bundle)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_a_contact_changed_in_a_recipe_releases_document_is_named(bundle: Path, name: str) -> None:
    _with_contact(bundle, CONTACT)
    path = bundle / name
    shipped = path.read_text(encoding="utf-8")
    assert CONTACT in shipped
    path.write_text(shipped.replace(CONTACT, OTHER), encoding="utf-8")
    write_manifest(bundle)  # as a forger would: only a document rendered again finds it
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    said = text(caught.value.message)
    assert f"{name} weicht von dem ab, das die Dateien ergeben" in said, said
    assert OTHER in said, said


def test_the_fine_tunes_contact_is_in_its_documents_and_a_changed_one_is_named(
    curated: Path,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    _contact_said(curated, CONTACT, CONTACT)
    assert _supplier(curated) == {"name": "Stadt Musterstadt", "contact": [{"email": CONTACT}]}
    copy = tmp_path / "bundle"
    shutil.copytree(curated, copy)
    for name in DOCUMENTS:
        path = copy / name
        path.write_text(path.read_text(encoding="utf-8").replace(CONTACT, OTHER), "utf-8")
    write_manifest(copy)
    with pytest.raises(VerifyError) as caught:
        verify_bundle(copy)
    said = text(caught.value.message)
    for name in DOCUMENTS:
        assert f"{name} weicht von dem ab, das die Dateien ergeben" in said, said


def _section(summary: str, heading: str) -> str:
    return " ".join(summary.split(f"### {heading}", 1)[1].split("\n## ", 1)[0].split())


def test_the_recipe_releases_curated_fine_tuning_data_is_said_filtered_from_its_record(
    bundle: Path,
    curated: Path,  # noqa: F811  (the fixture imported above)
) -> None:
    """Section 2.6 of a release of our own pretraining whose fine-tuning data `data curate`
    made: what its curation removed and what its filters excluded, as its record counts them
    (a record that counts otherwise is said otherwise); data given as a file beside it, and
    data given as a file alone, are said not to be evidenced."""
    tuning = bundle / "training-data" / "finetuning"
    given = sorted(p.name for p in tuning.iterdir())
    assert given == ["chat.jsonl"]
    alone = _section(training_summary(bundle, collect(bundle)), "2.6")
    assert "Die Filterung der Feinabstimmungsdaten ist durch die Dateien" in alone
    shutil.copytree(
        curated / "training-data/finetuning/curated-dataset", tuning / "curated-dataset"
    )
    record_path = tuning / "curated-dataset" / "dataset.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    beside = _section(training_summary(bundle, collect(bundle)), "2.6")
    folder = "training-data/finetuning/curated-dataset/"
    assert f"Der kuratierte Datensatz {record['id']} in `{folder}`:" in beside
    assert "- Durch Platzhalter ersetzte personenbezogene Daten: email: 1, phone: 1." in beside
    gopher = record["stats"]["blocks"]["gopher_quality"]["excluded"]
    assert f"| Gopher-Qualitätsfilter (`gopher_quality`) | {gopher} |" in beside
    assert (
        "Die Filterung der übrigen Feinabstimmungsdaten (`training-data/finetuning/chat.jsonl`) "
        "ist durch die Dateien"
    ) in beside
    (tuning / "chat.jsonl").unlink()
    record["stats"]["blocks"]["pii_scrubber"]["replacements"] = {"email": 3}
    record_path.write_text(json.dumps(record), encoding="utf-8")
    curated_alone = _section(training_summary(bundle, collect(bundle)), "2.6")
    assert "- Durch Platzhalter ersetzte personenbezogene Daten: email: 3." in curated_alone
    assert "Die Filterung der" not in curated_alone
