"""A signature valid for the key given, over files changed since, is said as what it is: the
key is the publisher's, the files differ from what was signed; never "another key"."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import MANIFEST
from gemeingut.release.signing import fingerprint, sign_bundle
from gemeingut.release.verify import verify_bundle


def _edit_perplexity_in_card(bundle: Path) -> None:
    """A number in the card's table changed, as a forger of a better result would."""
    card = bundle / "README.md"
    lines = card.read_text(encoding="utf-8").splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if "erplex" in line and "|" in line)
    lines[row] = re.sub(r"\d+[.,]\d+", "1.01", lines[row], count=1)
    card.write_text("".join(lines), encoding="utf-8")


def _rehash(bundle: Path, rel: str) -> None:
    from gemeingut.hashing import sha256_file

    lines = [line.split("  ", 1) for line in (bundle / MANIFEST).read_text().splitlines()]
    rewritten = [f"{sha256_file(bundle / p) if p == rel else h}  {p}\n" for h, p in lines]
    (bundle / MANIFEST).write_text("".join(rewritten), encoding="utf-8")


def test_a_card_edited_and_rehashed_is_said_valid_for_the_key_but_changed(
    bundle: Path, keys: Path
) -> None:
    sign_bundle(bundle, keys / "publisher.key")
    _edit_perplexity_in_card(bundle)
    _rehash(bundle, "README.md")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle, keys / "publisher.pub")
    said = " ".join(text(caught.value.message).split())
    key = fingerprint(keys / "publisher.pub")
    assert f"ist mit publisher.pub ({key}) gültig" in said, said
    assert "geändert: MANIFEST; geändert: README.md" in said
    assert "nicht bestätigen" not in said and "anderen Schlüssel" not in text(caught.value.hint)
    assert "Perplexität in der Tabelle" in said  # the claim the edit falsified, named too
    result = CliRunner().invoke(app, ["verify", str(bundle), "--key", str(keys / "publisher.pub"),
                                      "--json"])  # fmt: skip
    record = json.loads(result.stdout)
    assert result.exit_code == 1 and record["ok"] is False
    assert record["signature"]["valid"] is True, record["signature"]
    assert record["signature"]["manifest_signed"] is False
    assert record["problems"][0]["kind"] == "changed-after-signing"


def test_a_card_edited_without_rehashing_keeps_the_signature_valid(
    bundle: Path, keys: Path
) -> None:
    sign_bundle(bundle, keys / "publisher.key")
    _edit_perplexity_in_card(bundle)
    result = CliRunner().invoke(app, ["verify", str(bundle), "--key", str(keys / "publisher.pub"),
                                      "--json"])  # fmt: skip
    record = json.loads(result.stdout)
    assert record["signature"]["valid"] is True and record["signature"]["manifest_signed"] is True
    details = [problem["detail"] for problem in record["problems"]]
    assert "changed: README.md" in details, details
    assert any("the table's" in detail for detail in details), details  # which claim changed


def test_another_key_stays_said_as_another_key(bundle: Path, keys: Path) -> None:
    sign_bundle(bundle, keys / "stranger.key")
    _edit_perplexity_in_card(bundle)
    _rehash(bundle, "README.md")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle, keys / "publisher.pub")
    said = text(caught.value.message)
    assert "(stranger) erstellt, nicht mit" in said and "gültig" not in said.split("\n")[1]
    result = CliRunner().invoke(app, ["verify", str(bundle), "--key", str(keys / "publisher.pub"),
                                      "--json"])  # fmt: skip
    signature = json.loads(result.stdout)["signature"]
    assert signature["valid"] is False and signature["manifest_signed"] is None


def test_a_signed_list_rewritten_to_the_changed_files_is_not_valid(
    bundle: Path, keys: Path
) -> None:
    """A forger who also rewrites the digests inside bundle.sig gets no "valid": the statement
    no longer matches its signature, whatever key it is checked with."""
    import base64

    from gemeingut.hashing import sha256_file
    from gemeingut.release.manifest import SIGNATURE

    sign_bundle(bundle, keys / "publisher.key")
    _edit_perplexity_in_card(bundle)
    _rehash(bundle, "README.md")
    document = json.loads((bundle / SIGNATURE).read_text(encoding="utf-8"))
    envelope = document["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    for resource in statement["predicate"]["resources"]:
        if resource["name"] in ("README.md", MANIFEST):
            resource["digest"] = sha256_file(bundle / resource["name"])
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    (bundle / SIGNATURE).write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle, keys / "publisher.pub")
    said = " ".join(text(caught.value.message).split())
    expected = "nicht bestätigen: die signierte Aussage passt nicht zu ihrer Signatur"
    assert f"lässt sich mit publisher.pub {expected}" in said, said
    assert "gültig" not in said


def test_a_signature_file_with_a_second_envelope_is_named_as_damaged(
    bundle: Path, keys: Path
) -> None:
    """A forged statement beside the genuine one, under the reader's other spelling of the
    field, is refused as a damaged file, in words: not pydantic's English dump of it."""
    from gemeingut.release.manifest import SIGNATURE

    sign_bundle(bundle, keys / "publisher.key")
    document = json.loads((bundle / SIGNATURE).read_text(encoding="utf-8"))
    document["dsse_envelope"] = document["dsseEnvelope"]
    (bundle / SIGNATURE).write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle, keys / "publisher.pub")
    said = " ".join(text(caught.value.message).split())
    assert "bundle.sig lässt sich nicht lesen: das Feld dsse_envelope" in said, said
    assert "validation error" not in said and "gültig" not in said
    result = CliRunner().invoke(app, ["verify", str(bundle), "--key", str(keys / "publisher.pub"),
                                      "--json"])  # fmt: skip
    assert json.loads(result.stdout)["signature"]["valid"] is False


def test_a_signature_without_its_key_hint_keeps_verify_json_parseable(
    bundle: Path, keys: Path
) -> None:
    """The hint is not signed, anyone may drop it: model-signing then prints a warning on
    stdout, which must not break the JSON a script reads there."""
    from gemeingut.release.manifest import SIGNATURE

    sign_bundle(bundle, keys / "publisher.key")
    document = json.loads((bundle / SIGNATURE).read_text(encoding="utf-8"))
    del document["verificationMaterial"]["publicKey"]["hint"]
    (bundle / SIGNATURE).write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", str(bundle), "--key", str(keys / "publisher.pub"),
                                      "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["signature"]["valid"] is True  # the key made it
