"""A bundle built by an earlier gemeingut failed `verify` wherever a translation changed since:
verify renders the card again with this version's words and compares it byte for byte. The
bundle carries the German of the version that wrote it (training-code/gemeingut/i18n/de.po,
data, never run): where its own source is another version that its lineage names, a document
that differs is rendered again with those words and compared exactly. Words can lie around a
true value, and the catalogue is bytes whoever alters a bundle writes too: the document passes
only where a signature checked with --key vouches for those words (verify says it did); without,
it differs, with a note how to check it. An older version is simulated as one looks: its
catalogue words a heading otherwise, its card has that heading, its source (so its code)
differs, its lineage and card name that code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.release.manifest import write_manifest
from gemeingut.release.signing import sign_bundle
from gemeingut.release.verify_snapshot import snapshot_code
from tests.test_cli import invoke

OURS = "Verzerrungen, Risiken und Grenzen"
THEIRS = "Verzerrungen, Risiken und Beschränkungen"  # the heading as the older version had it
CATALOGUE = Path("training-code/gemeingut/i18n/de.po")
LINEAGE = Path("training-metadata/lineage.json")


def _replace(path: Path, old: str, new: str) -> None:
    said = path.read_text(encoding="utf-8")
    assert old in said, path
    path.write_text(said.replace(old, new), encoding="utf-8")


def _older(bundle: Path, own_words: bool = True, lineage: bool = True, extra: str = "") -> str:
    """The bundle as the older version wrote it (its catalogue with `extra` entries); that
    version's code."""
    _replace(bundle / "README.md", f"## {OURS}\n", f"## {THEIRS}\n")
    catalogue = bundle / CATALOGUE
    catalogue.write_text(catalogue.read_text(encoding="utf-8") + extra, encoding="utf-8")
    if own_words:
        _replace(catalogue, f'msgstr "{OURS}"\n', f'msgstr "{THEIRS}"\n')
    else:  # another version, whose words are this one's
        catalogue.write_text(catalogue.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code = snapshot_code(bundle)
    assert code is not None
    record = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    if lineage:
        card = bundle / "README.md"
        for meta in record.values():  # the card names the code too
            card.write_text(card.read_text(encoding="utf-8").replace(meta["code"], code), "utf-8")
            meta["code"] = code
        (bundle / LINEAGE).write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(bundle)
    return code


def _verify(bundle: Path, *args: str):
    result = invoke("verify", bundle, *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result, " ".join(result.output.split())


def _worded_as(code: str) -> str:
    return (
        f"README.md ist so formuliert, wie {code} es formuliert, nicht wie diese Version: mit "
        "dem Deutsch jener Version (training-code/gemeingut/i18n/de.po) erneut erzeugt, ist es "
        "genau das, das die Dateien ergeben"
    )


def test_the_older_versions_words_pass_where_a_checked_signature_vouches_for_them(
    bundle: Path, keys: Path
) -> None:
    code = _older(bundle)
    sign_bundle(bundle, keys / "publisher.key")
    result, said = _verify(bundle, "--key", keys / "publisher.pub")
    assert result.exit_code == 0, said
    assert said.startswith("✓ Signatur gültig, Schlüssel "), said
    assert _worded_as(code) in said, said
    record = json.loads(invoke("verify", bundle, "--key", keys / "publisher.pub", "--json").stdout)
    assert record["ok"] is True and record["signature"]["valid"] is True, record
    assert [n.split(" is worded as ")[0] for n in record["notes"]] == ["README.md"]


def test_the_older_versions_words_fail_where_no_key_checks_them(bundle: Path, keys: Path) -> None:
    """Unsigned, or signed but not checked: the catalogue is the tamperer's too. The document
    is named as differing, with what it may be and how to check it."""
    code = _older(bundle)
    for signed in (False, True):
        if signed:
            sign_bundle(bundle, keys / "publisher.key")
        result, said = _verify(bundle)
        assert result.exit_code == 1, said
        assert "README.md weicht von dem ab, das die Dateien ergeben: Zeile " in said, said
        assert (
            f'"## {THEIRS}" ≠ "## {OURS}"; '
            f"es ist womöglich so formuliert, wie {code} es formuliert (mit dem Deutsch jener "
            "Version, training-code/gemeingut/i18n/de.po, erneut erzeugt, ist es genau das, das "
            "die Dateien ergeben), doch für diese Worte bürgt nur eine Signatur" in said
        ), said
        assert "`gemeingut verify --key ÖFFENTLICHER_SCHLÜSSEL`" in said, said
        assert _worded_as(code) not in said, said
    record = json.loads(invoke("verify", bundle, "--json").stdout)
    assert record["ok"] is False and "notes" not in record, record
    assert [p["file"] for p in record["problems"]] == ["README.md"], record["problems"]
    assert record["problems"][0]["kind"] == "older-wording", record["problems"]
    assert "only a signature vouches for those words" in record["problems"][0]["detail"]


def test_the_older_versions_words_fail_with_a_key_that_did_not_sign_them(
    bundle: Path, keys: Path
) -> None:
    _older(bundle)
    sign_bundle(bundle, keys / "stranger.key")
    result, said = _verify(bundle, "--key", keys / "publisher.pub")
    assert result.exit_code == 1, said
    assert "README.md weicht von dem ab" in said and "bürgt nur eine Signatur" in said, said
    assert "ist so formuliert, wie" not in said, said


def test_a_signer_vouches_for_the_older_versions_words_and_is_told_so(
    bundle: Path, keys: Path
) -> None:
    """`sign` checks the bundle first: its signer is about to vouch for those words, and is
    shown which they are; verify with that key then passes."""
    code = _older(bundle)
    signed = invoke("sign", bundle, "--key", keys / "publisher.key")
    assert signed.exit_code == 0, signed.output
    assert _worded_as(code) in " ".join(signed.output.split()), signed.output
    result, said = _verify(bundle, "--key", keys / "publisher.pub")
    assert result.exit_code == 0 and _worded_as(code) in said, said


def test_a_fact_changed_beside_the_older_wording_still_fails(bundle: Path) -> None:
    _older(bundle)
    _replace(bundle / "README.md", "Berichte): `CC-BY-4.0`.", "Berichte): `CC0-1.0`.")
    write_manifest(bundle)
    result, said = _verify(bundle)
    assert result.exit_code == 1, said
    assert "README.md weicht von dem ab, das die Dateien ergeben" in said, said
    assert "`CC0-1.0`" in said and "ist so formuliert" not in said, said
    assert "womöglich so formuliert" not in said, said


def test_a_wording_the_versions_own_catalogue_lacks_fails(bundle: Path) -> None:
    """Another version, but its catalogue has this version's heading: the card's is no word
    of its writer."""
    _older(bundle, own_words=False)
    result, said = _verify(bundle)
    assert result.exit_code == 1, said
    assert f'"## {THEIRS}" ≠ "## {OURS}"' in said, said


def test_a_catalogue_the_lineage_does_not_confirm_is_not_used(bundle: Path) -> None:
    """Only the source and catalogue changed: the lineage still names the code that built the
    bundle, so nothing confirms another version wrote it."""
    _older(bundle, lineage=False)
    result, said = _verify(bundle)
    assert result.exit_code == 1, said
    assert f'"## {THEIRS}" ≠ "## {OURS}"' in said and "ist so formuliert" not in said, said


def test_a_catalogue_text_that_reads_more_than_its_values_is_not_used(bundle: Path) -> None:
    """A text of the bundle's catalogue is a format string: one with a placeholder other than
    its msgid's (`{file.__class__}` reads an attribute), or a digit or mark this version's text
    lacks, is left out; one that differs in words is kept."""
    from gemeingut.release.verify_wording import writer_wording

    hostile = {
        "read {file}": "lies {file.__class__}",
        "index {file}": "Index {file[0]}",
        "spec {file}": "Format {file:{file.__class__}}",
        "pad {file}": "breit {file:>999999999}",
        "hide {file}": "versteckt {file:.0}",
        "drop {file}": "ohne `CC0-1.0`",
        "comment {file}": "Kommentar <!-- {file} -->",
        "digit {file}": "Ziffer 9 {file}",
        "twice {file}": "zweimal {file} {file}",
        "convert {file}": "umgewandelt {file!a}",
        "order {kept} of {total}": "Reihe {total} von {kept}",
    }
    extra = "".join(f'\nmsgid "{k}"\nmsgstr "{v}"\n' for k, v in hostile.items())
    extra += '\nmsgid "one {n}"\nmsgid_plural "many {n}"\nmsgstr[0] "eins"\nmsgstr[1] "viele"\n'
    _older(bundle, extra=extra + '\nmsgid "kept {file}"\nmsgstr "behalten als {file}"\n')
    wording = writer_wording(bundle)
    assert wording is not None and wording.german["Bias, risks and limitations"] == THEIRS
    assert not set(hostile) & set(wording.german), wording.german.keys() & set(hostile)
    assert wording.german["kept {file}"] == "behalten als {file}"
    assert all(isinstance(k, str) for k in wording.german)  # the plural entry left out


def test_a_catalogue_that_is_none_is_not_read_nor_said_on_stdout(bundle: Path) -> None:
    """babel reads a misformatted line with a warning printed to stdout, where --json is."""
    _older(bundle, extra='\n\x01 msgid msgstr """\n"\n')
    result = invoke("verify", bundle, "--json")
    assert "Traceback" not in result.output and "WARNING" not in result.stdout, result.stdout
    record = json.loads(result.stdout)
    assert record["ok"] is False and "notes" not in record, record


def test_a_catalogue_in_an_unknown_charset_is_not_read(bundle: Path) -> None:
    catalogue = bundle / CATALOGUE
    said = catalogue.read_text(encoding="utf-8")
    catalogue.write_text(said.replace("charset=utf-8", "charset=bogus", 1), encoding="utf-8")
    _older(bundle)
    result, said = _verify(bundle)
    assert result.exit_code == 1 and "ist so formuliert" not in said, said


@pytest.mark.parametrize(
    ("written", "card"),
    [
        ("`CC0-1.0`", "`CC0-1.0`"),  # the fact in place of its placeholder
        ("`CC0-1.0`<!-- {licence} -->", "`CC0-1.0`<!-- CC-BY-4.0 -->"),  # the value hidden
    ],
)
def test_a_fact_written_into_the_catalogue_still_fails(
    bundle: Path, written: str, card: str
) -> None:
    """The catalogue is the tamperer's too (its code version is computed from bytes they
    write): a text that writes a fact (a licence, a number) beside or in place of its value
    must not make a changed fact pass."""
    msgid = 'msgid "of the documents (this card, reports): `{licence}`."\n'
    _older(bundle)
    _replace(
        bundle / CATALOGUE,
        msgid + 'msgstr "der Dokumente (diese Karte, Berichte): `{licence}`."\n',
        msgid + f'msgstr "der Dokumente (diese Karte, Berichte): {written}."\n',
    )
    _replace(bundle / "README.md", "Berichte): `CC-BY-4.0`.", f"Berichte): {card}.")
    code = snapshot_code(bundle)
    record = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    card = bundle / "README.md"
    for meta in record.values():
        card.write_text(card.read_text(encoding="utf-8").replace(meta["code"], code), "utf-8")
        meta["code"] = code
    (bundle / LINEAGE).write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(bundle)
    result, said = _verify(bundle)
    assert result.exit_code == 1, said
    assert "`CC0-1.0`" in said and "ist so formuliert" not in said, said
