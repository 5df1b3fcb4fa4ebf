"""`verify` names every kind of tampering, and a signature binds every file to one key."""

import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import text
from gemeingut.release.bundle import write_bundle_croissant
from gemeingut.release.manifest import MANIFEST, SIGNATURE, write_manifest
from gemeingut.release.signing import create_key, list_keys, sign_bundle
from gemeingut.release.verify import verify_bundle


def _lines(bundle: Path) -> list[str]:
    return (bundle / MANIFEST).read_text(encoding="utf-8").splitlines(keepends=True)


def test_a_path_that_does_not_exist_is_named_as_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="existiert nicht"):  # a mistake in the call: exit 2
        verify_bundle(tmp_path / "nowhere")


def test_an_empty_folder_with_an_empty_manifest_fails(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text("")
    with pytest.raises(VerifyError, match="listet keine Dateien"):
        verify_bundle(tmp_path)


def test_a_manifest_with_invalid_utf8_is_a_clear_error(bundle: Path) -> None:
    with (bundle / MANIFEST).open("ab") as handle:
        handle.write(b"\xff\xfe  model/x\n")
    with pytest.raises(VerifyError, match=r"Byte \d+ ist kein UTF-8"):
        verify_bundle(bundle)


def test_a_path_listed_twice_is_named_with_its_line(bundle: Path) -> None:
    lines = _lines(bundle)
    (bundle / MANIFEST).write_text("".join([*lines, lines[0]]), encoding="utf-8")
    with pytest.raises(VerifyError, match=rf"MANIFEST:{len(lines) + 1}: .* steht zweimal darin"):
        verify_bundle(bundle)


def test_a_bundle_with_three_artifacts_deleted_and_a_rewritten_manifest_fails(
    bundle: Path,
) -> None:
    for folder in ("training-data", "test-data", "training-code"):
        shutil.rmtree(bundle / folder)
    write_manifest(bundle)
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    for folder in ("training-data", "test-data", "training-code"):
        assert f"unvollständig: kein Artefakt {folder}/" in str(caught.value)


def test_a_fifo_in_the_bundle_is_named(bundle: Path) -> None:
    os.mkfifo(bundle / "model" / "pipe")
    with pytest.raises(VerifyError, match=r"keine reguläre Datei: model/pipe"):
        verify_bundle(bundle)


def test_a_rewritten_manifest_passes_the_hashes_but_not_the_signature(
    bundle: Path, keys: Path
) -> None:
    sign_bundle(bundle, keys / "publisher.key")
    assert verify_bundle(bundle, keys / "publisher.pub").signed_by.startswith("SHA256:")
    weights = bundle / "model" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"bom\.cdx\.json weicht von dem ab"):
        verify_bundle(bundle)  # the ML-BOM and SPDX document name the old weights' hash
    _rewrite_documents(bundle)  # an attacker with gemeingut re-writes them, then re-hashes
    write_manifest(bundle)
    with pytest.raises(
        VerifyError, match=r"für andere Dateien .*geändert: model/model\.safetensors"
    ):
        verify_bundle(bundle)  # consistent again, but not with the list the signature holds
    with pytest.raises(
        VerifyError,
        match=r"mit publisher\.pub \(SHA256:\w+\) gültig, aber Dateien weichen "
        r"vom Signierten ab: .*geändert: model/model\.safetensors",
    ):  # the right key: the files were changed after signing
        verify_bundle(bundle, keys / "publisher.pub")


def _rewrite_documents(bundle: Path) -> None:
    from gemeingut.release.openness.derived import write_derived
    from gemeingut.release.openness.evidence import collect
    from gemeingut.release.openness.rating import rate

    evidence = collect(bundle)
    write_derived(bundle, evidence, rate(evidence))


def test_a_signature_made_by_another_key_fails(bundle: Path, keys: Path) -> None:
    sign_bundle(bundle, keys / "stranger.key")
    with pytest.raises(VerifyError, match=r"wurde mit dem Schlüssel SHA256:\w+ \(stranger\) "
                       r"erstellt, nicht mit SHA256:\w+ \(.*publisher\.pub\)"):  # fmt: skip
        verify_bundle(bundle, keys / "publisher.pub")


def test_an_unsigned_bundle_fails_when_a_key_is_given(bundle: Path, keys: Path) -> None:
    with pytest.raises(VerifyError, match=f"nicht signiert: {SIGNATURE} fehlt"):
        verify_bundle(bundle, keys / "publisher.pub")


def test_a_damaged_signature_is_a_clear_error_with_and_without_a_key(
    bundle: Path, keys: Path
) -> None:
    (bundle / SIGNATURE).write_text("{not json")
    with pytest.raises(VerifyError, match="lässt sich nicht lesen"):
        verify_bundle(bundle, keys / "publisher.pub")
    result = CliRunner().invoke(app, ["verify", str(bundle)])
    assert result.exit_code != 0 and "Signatur ist beschädigt" in result.output
    assert "Traceback" not in result.output


def test_a_copied_and_renamed_signed_bundle_still_verifies(
    bundle: Path, keys: Path, tmp_path: Path
) -> None:
    sign_bundle(bundle, keys / "publisher.key")
    moved = shutil.copytree(bundle, tmp_path / "elsewhere" / "renamed")
    assert verify_bundle(moved, keys / "publisher.pub").files > 0


def test_keys_are_created_private_and_never_overwritten(keys: Path) -> None:
    assert stat.S_IMODE((keys / "publisher.key").stat().st_mode) == 0o600
    names = {k.name: k for k in list_keys(keys)}
    assert set(names) == {"publisher", "stranger"}
    assert names["publisher"].fingerprint != names["stranger"].fingerprint
    with pytest.raises(InputError, match="gibt es schon"):
        create_key("publisher", keys)
    with pytest.raises(InputError, match="taugt nicht als Dateiname"):
        create_key("../evil", keys)


def test_a_public_key_that_is_not_pem_is_a_clear_error(bundle: Path, tmp_path: Path) -> None:
    sign_bundle(bundle, _key(tmp_path))
    (tmp_path / "bad.pub").write_text("hello")
    with pytest.raises(InputError, match="kein öffentlicher Schlüssel im PEM-Format"):
        verify_bundle(bundle, tmp_path / "bad.pub")


def _key(folder: Path) -> Path:
    return create_key("own", folder / "k").private  # type: ignore[return-value]


def test_verify_does_not_import_torch(bundle: Path) -> None:
    code = (
        "import sys; from gemeingut.cli import app; "
        f"sys.argv = ['gemeingut', 'verify', {str(bundle)!r}]\n"
        "try: app()\n"
        "except SystemExit as e: assert e.code in (0, None), e.code\n"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_rerun_scores_a_sample_of_the_audit_again_and_names_an_altered_log(bundle: Path) -> None:
    from gemeingut.release.rerun import rerun_bias_sample

    again = rerun_bias_sample(bundle, 8)
    assert again.checked == 8 and again.problems == []
    log = bundle / "audit" / "logs" / "bias.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    for record in records:
        record["delta"] += 1.0  # every published difference shifted by one nat
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    altered = rerun_bias_sample(bundle, 8)
    assert len(altered.problems) == 8
    assert "the log says delta" in text(altered.problems[0], "en")


def test_rerun_names_an_altered_grammatical_control(bundle: Path) -> None:
    """v3 flags gender by a pair's Δ less its control's: a log whose controls alone were
    edited must fail the re-run as an edited Δ does."""
    from gemeingut.release.rerun import rerun_bias_sample

    log = bundle / "audit" / "logs" / "bias.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    controlled = [r for r in records if isinstance(r.get("control_delta"), float)]
    assert controlled  # the shipped suite's gender pairs have controls
    for record in controlled:
        record["control_delta"] += 1.0
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    altered = rerun_bias_sample(bundle, len(records), seed=0)
    said = [text(problem, "en") for problem in altered.problems]
    assert len(said) == len(controlled) and all("control_delta" in s for s in said), said[:3]


def test_verify_rerun_from_the_command_line(bundle: Path) -> None:
    from tests.test_cli import invoke

    result = invoke("verify", bundle, "--rerun", "3")
    assert result.exit_code == 0, result.output
    assert "3 von" in result.output and "Bias-Paaren neu berechnet" in result.output
    said = " ".join(result.output.split())
    assert re.search(r"Prüfprotokolls \(die größte Abweichung: [\d,e-]+ Nats\)", said), said
    assert re.search(r"\(der Verlust weicht um [\d,e-]+ Nats ab\)", said), said
    record = json.loads(invoke("verify", bundle, "--rerun", "3", "--seed", "2", "--json").stdout)
    assert 0 <= record["rerun"]["largest_difference"] <= record["rerun"]["tolerance"]


def test_a_byte_changed_in_a_shard_is_named_with_and_without_a_rehashed_manifest(
    bundle: Path,
) -> None:
    shard = sorted((bundle / "training-data").glob("train-*.parquet"))[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    with pytest.raises(VerifyError, match=rf"geändert: training-data/{shard.name}"):
        verify_bundle(bundle)
    write_manifest(bundle)  # re-hashed: the damaged shard cannot be read to re-check claims
    with pytest.raises(VerifyError, match=rf"training-data/{shard.name} ist keine lesbare Parquet"):
        verify_bundle(bundle)


def test_a_record_cut_short_and_rehashed_is_named_not_a_traceback(bundle: Path) -> None:
    evaluation = bundle / "training-metadata" / "evaluation.json"
    record = json.loads(evaluation.read_text())
    del record["perplexity"]
    evaluation.write_text(json.dumps(record))
    write_manifest(bundle)
    with pytest.raises(
        VerifyError,
        match=r"evaluation\.json lässt sich nicht zurücklesen: das Feld 'perplexity' fehlt",
    ):
        verify_bundle(bundle)


def test_the_bundle_names_no_folder_of_the_building_machine(tiny_build) -> None:
    """The audit ran on the workspace's model folder; the bundle names its own ../model."""
    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    local = [str(tiny_build["workspace"]), str(tiny_build["recipe"].parent)]
    leaks = [
        f"{path.relative_to(bundle)} names {folder}"
        for path in sorted(bundle.rglob("*"))
        if path.is_file() and path.suffix in {".json", ".jsonl", ".md", ".yaml", ".yml", ""}
        for folder in local
        if folder in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert leaks == []
    report = json.loads((bundle / "audit" / "report.json").read_text())
    assert report["model"]["path"] == "../model"
    assert "pretrained=../model," in report["tasks"]["lm_eval"]["command"]


@pytest.fixture
def published(bundle: Path, tiny_build, tmp_path: Path) -> Path:
    """The tiny bundle as a build with [data.publication] makes it: the dataset's Croissant
    and DCAT-AP.de files beside its shards (the tiny recipe publishes nothing)."""
    from gemeingut.data.publish import PublicationInfo, publish_dataset

    info = PublicationInfo.model_validate(
        {
            "title_de": "Winziges Korpus",
            "description_de": "Testdaten.",
            "publisher_name": "Testamt",
            "download_url": "https://example.org/tiny/",
        }
    )
    publish_dataset(Path(tiny_build["dataset"]["path"]), info, tmp_path / "publication")
    shutil.copy2(tmp_path / "publication" / "dcat.ttl", bundle / "training-data" / "dcat.ttl")
    write_bundle_croissant(tmp_path / "publication" / "croissant.json", bundle / "training-data")
    write_manifest(bundle)
    return bundle


def test_mlcroissant_reads_the_training_data_from_the_bundles_croissant(published: Path) -> None:
    """The bundle's croissant.json names the bundle's paths (shards beside it, the test split
    in ../test-data, the exclusion records in excluded/), not the publication's."""
    mlc = pytest.importorskip("mlcroissant")
    logging.getLogger("absl").setLevel(logging.ERROR)
    croissant = published / "training-data" / "croissant.json"
    files = json.loads(croissant.read_text())["distribution"]
    urls = [f["contentUrl"] for f in files if "contentUrl" in f]
    assert all((croissant.parent / url).is_file() for url in urls)
    assert any(url.startswith("../test-data/test-") for url in urls)
    dataset = mlc.Dataset(jsonld=croissant)
    assert dataset.metadata.ctx.issues.errors == set()
    records = list(dataset.records("documents"))
    shards = published.glob("training-data/*.parquet")
    ids = {i for shard in shards for i in pq.read_table(shard, columns=["id"])["id"].to_pylist()}
    assert {r["documents/id"].decode() for r in records} == ids
    assert {r["documents/split"].decode() for r in records} == {"train", "validation"}
    excluded = pq.read_table(published / "training-data" / "excluded" / "exclusions.parquet")
    assert len(list(dataset.records("exclusions"))) == excluded.num_rows > 0


def test_the_data_metadata_names_the_shards_the_bundle_ships(published: Path) -> None:
    """Croissant and DCAT name each shard with its sha256; both are checked against the
    MANIFEST, so a shard swapped for another file and re-hashed is named by them."""
    bundle = published
    verify_bundle(bundle)
    shard = sorted((bundle / "training-data").glob("train-*.parquet"))[0]
    test_shard = sorted((bundle / "test-data").glob("test-*.parquet"))[0]
    shard.write_bytes(test_shard.read_bytes())  # a readable shard, with other bytes
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert f"croissant.json gibt {shard.name} den sha256" in str(failed.value)
    assert f"dcat.ttl: distribution-train gibt {shard.name} den sha256" in str(failed.value)


def test_data_metadata_that_names_a_missing_file_or_omits_a_shard_is_named(
    published: Path,
) -> None:
    bundle = published
    croissant = bundle / "training-data" / "croissant.json"
    document = json.loads(croissant.read_text())
    shard = next(f for f in document["distribution"] if f["@type"] == "cr:FileObject")
    omitted = Path(shard["contentUrl"]).name
    shard["contentUrl"] = shard["name"] = "shards/train-99999.parquet"
    croissant.write_text(json.dumps(document))
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert "croissant.json nennt train-99999.parquet, das das Paket nicht enthält" in str(
        failed.value
    )
    assert f"/{omitted} ist in training-data/croissant.json nicht beschrieben" in str(failed.value)


def test_sign_keeps_a_signature_unless_told_to_replace_it(bundle: Path, keys: Path) -> None:
    sign_bundle(bundle, keys / "publisher.key")
    again = CliRunner().invoke(app, ["sign", str(bundle), "--key", str(keys / "stranger.key")])
    assert again.exit_code == 2
    assert f"das Paket {bundle} ist bereits signiert ({SIGNATURE})" in again.output
    assert f"{SIGNATURE} ist bereits signiert" not in again.output  # a bundle is, not a file
    assert verify_bundle(bundle, keys / "publisher.pub").signed_by  # the first one is kept
    forced = ["sign", str(bundle), "--key", str(keys / "stranger.key"), "--force"]
    assert CliRunner().invoke(app, forced).exit_code == 0
    assert verify_bundle(bundle, keys / "stranger.pub").signed_by


@pytest.mark.parametrize("document", ["croissant.json", "dcat.ttl", "stats.json"])
def test_a_licence_edited_in_the_datas_own_documents_is_named(
    published: Path, document: str
) -> None:
    assert verify_bundle(published).files > 0
    _edit_licence(published / "training-data" / document, published)
    write_manifest(published)
    with pytest.raises(VerifyError, match=rf"training-data/{document}"):
        verify_bundle(published)


def test_a_licence_edited_in_the_data_statement_is_named(published: Path, tmp_path: Path) -> None:
    """The statement is checked as verify checks it (a bundle with it is rated again, which
    this test's bundle, made without one, is not)."""
    from gemeingut.release.openness.data_metadata import data_licence_problems
    from gemeingut.release.openness.evidence import collect

    statement = published / "training-data" / "DATA_STATEMENT.md"
    shutil.copy2(tmp_path / "publication" / "DATA_STATEMENT.md", statement)
    assert data_licence_problems(published, collect(published)) == []
    _edit_licence(statement, published)
    [problem] = data_licence_problems(published, collect(published))
    assert "training-data/DATA_STATEMENT.md" in text(problem)


def _edit_licence(path: Path, bundle: Path) -> None:
    """The corpus's first licence replaced by a non-commercial one, as a forger would."""
    stats = json.loads((bundle / "training-data" / "stats.json").read_text())
    first = next(iter(stats["kept_by_license"]))  # e.g. CC0-1.0
    edited = path.read_text(encoding="utf-8").replace(first, "CC-BY-NC-4.0")
    if path.name == "croissant.json":  # Croissant names a licence by its URL
        document = json.loads(edited)
        document["license"] = ["https://creativecommons.org/licenses/by-nc/4.0/"]
        edited = json.dumps(document)
    path.write_text(edited, encoding="utf-8")


@pytest.mark.parametrize(
    "record",
    ["training-data/stats.json", "training-data/croissant.json", "training-metadata/finetune.json"],
)
def test_a_record_that_is_not_an_object_is_named_with_its_file(
    published: Path, record: str
) -> None:
    (published / record).write_text("[]", encoding="utf-8")
    write_manifest(published)
    with pytest.raises(VerifyError, match=rf"{record} enthält kein JSON-Objekt"):
        verify_bundle(published)


@pytest.mark.parametrize("record", ["stats.json", "croissant.json"])
def test_the_data_licence_check_names_a_record_that_is_not_an_object(
    published: Path, record: str
) -> None:
    """Read by the data checks themselves too, which others than `verify` call."""
    from gemeingut.release.openness.data_metadata import data_licence_problems
    from gemeingut.release.openness.evidence import collect

    (published / "training-data" / record).write_text("[1]", encoding="utf-8")
    [problem] = data_licence_problems(published, collect(published))
    assert text(problem) == f"training-data/{record} enthält kein JSON-Objekt"


def test_turtle_that_does_not_parse_is_named_not_a_traceback(published: Path) -> None:
    (published / "training-data" / "dcat.ttl").write_text("@prefix x: <y> . kein Turtle")
    write_manifest(published)
    with pytest.raises(VerifyError, match=r"training-data/dcat\.ttl kann nicht gelesen werden"):
        verify_bundle(published)


_SWAP: dict[str, object] = {}


def _swap_manifest_when_opened_again(event: str, args: tuple) -> None:
    """A concurrent writer: the MANIFEST's lines reordered once it has been read."""
    path = _SWAP.get("path")
    if event != "open" or path is None or str(args[0]) != str(path):
        return
    _SWAP["opened"] = int(_SWAP.get("opened", 0)) + 1
    if _SWAP["opened"] == 2:
        _SWAP["path"] = None  # writing opens it too
        lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
        Path(path).write_text("".join(reversed(lines)), encoding="utf-8")


def test_the_signature_is_checked_against_the_manifest_bytes_whose_files_were_checked(
    bundle: Path, keys: Path
) -> None:
    """Read once: a MANIFEST that changes after it was parsed (another writer, a FUSE file
    system) cannot show one list to the file check and another to the signature."""
    sign_bundle(bundle, keys / "publisher.key")
    sys.addaudithook(_swap_manifest_when_opened_again)
    _SWAP.update(path=bundle / MANIFEST, opened=0)
    try:
        assert verify_bundle(bundle, keys / "publisher.pub").signed_by
    finally:
        _SWAP["path"] = None
    assert _SWAP["opened"] == 2  # it was changed after the one read verify makes


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _rehash(bundle: Path, rel: str) -> None:
    """The MANIFEST line of one file rewritten to its new hash, as a forger would."""
    from gemeingut.hashing import sha256_file

    lines = [line.split("  ", 1) for line in (bundle / MANIFEST).read_text().splitlines()]
    rewritten = [f"{sha256_file(bundle / p) if p == rel else h}  {p}\n" for h, p in lines]
    (bundle / MANIFEST).write_text("".join(rewritten), encoding="utf-8")


def _problems(caught: pytest.ExceptionInfo[VerifyError]) -> list[str]:
    """The problems verify lists, one a line after its first sentence."""
    lines = text(caught.value.message).splitlines()[1:]
    return [line.removeprefix("  – ") for line in lines if line.startswith("  – ")]


def test_a_signature_that_did_not_fail_is_said_apart_from_the_problems(
    bundle: Path, keys: Path
) -> None:
    """Neither "not signed" nor "signed, not checked" fails anything: said on their own line, before
    the problems, never as one of them."""
    notice = (bundle / "NOTICE").read_bytes()
    (bundle / "NOTICE").write_text("changed")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    lines = text(caught.value.message).splitlines()
    assert "Signatur: nicht signiert (das allein lässt die Prüfung nicht scheitern)" in lines[1]
    assert not any("signiert" in problem for problem in _problems(caught))
    (bundle / "NOTICE").write_bytes(notice)
    sign_bundle(bundle, keys / "publisher.key")
    (bundle / "README.md").write_text("changed")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    assert "Signatur: signiert mit dem Schlüssel" in text(caught.value.message).splitlines()[1]
    assert not any("signiert" in problem for problem in _problems(caught))
    with pytest.raises(VerifyError) as caught:  # checked: the list is genuine, a file is not
        verify_bundle(bundle, keys / "publisher.pub")
    said = text(caught.value.message).splitlines()[1]
    assert said.endswith(": das MANIFEST ist das signierte; davon weicht ab:"), said
    assert "allein" not in said and _problems(caught)[0] == "geändert: README.md"
    assert all("README.md" in problem for problem in _problems(caught))  # and what it lacks


def test_an_unchecked_signature_names_the_key_as_keys_list_does(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bundle.sig holds only the sha256 of the signer's PEM public key, which is the
    fingerprint `gemeingut keys list` and `verify --key` show: a key of `keys list` is named
    with it; any other key by that same fingerprint."""
    from gemeingut.release.signing import default_key_dir, fingerprint

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    elsewhere = tmp_path / "elsewhere"
    create_key("fremd", elsewhere)
    sign_bundle(bundle, elsewhere / "fremd.key")
    said = " ".join(text(verify_bundle(bundle).signature).split())
    assert f"signiert mit dem Schlüssel {fingerprint(elsewhere / 'fremd.pub')} (wie" in said
    create_key("amt", default_key_dir())
    sign_bundle(bundle, default_key_dir() / "amt.key")  # replaces the signature
    said = " ".join(text(verify_bundle(bundle).signature).split())
    assert f"Schlüssel amt ({fingerprint(default_key_dir() / 'amt.pub')}" in said


def test_a_failing_signature_is_said_first_though_other_checks_fail_too(
    bundle: Path, keys: Path
) -> None:
    sign_bundle(bundle, keys / "publisher.key")
    shard = sorted((bundle / "training-data").glob("train-*.parquet"))[0]
    _flip_a_byte(shard)
    _rehash(bundle, f"training-data/{shard.name}")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle, keys / "publisher.pub")
    problems = _problems(caught)
    assert "ist mit publisher.pub (SHA256:" in problems[0] and "gültig, aber" in problems[0]
    assert f"geändert: training-data/{shard.name}" in problems[0]
    assert len(problems) > 1  # the shard's own problems follow, each on its line
    (bundle / SIGNATURE).unlink()
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle, keys / "publisher.pub")
    assert f"nicht signiert: {SIGNATURE} fehlt" in _problems(caught)[0]


def test_problems_are_listed_one_a_line(bundle: Path) -> None:
    (bundle / "NOTICE").write_text("changed")
    (bundle / "README.md").write_text("changed")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    problems = _problems(caught)
    assert "geändert: NOTICE" in problems and "geändert: README.md" in problems
    assert not any(";" in problem for problem in problems)


def test_a_changed_document_is_named_with_the_field_that_differs(bundle: Path) -> None:
    weights = bundle / "model" / "model.safetensors"
    _flip_a_byte(weights)
    write_manifest(bundle)
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    [bom] = [p for p in _problems(caught) if p.startswith("bom.cdx.json")]
    assert "weicht von dem ab, das die Dateien ergeben: " in bom
    assert ".hashes[0].content" in bom and " ≠ " in bom


@pytest.mark.parametrize(
    ("path", "said", "not_said"),
    [
        ("training-data/../NOTICE", "nicht in Normalform", "verlässt das Paket"),
        ("../NOTICE", "verlässt das Paket", "Normalform"),
    ],
)
def test_a_dotdot_path_is_refused_in_true_words(
    bundle: Path, path: str, said: str, not_said: str
) -> None:
    with (bundle / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write(f"{'0' * 64}  {path}\n")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    [line] = [p for p in _problems(caught) if f"„{path}“" in p]
    assert said in line and not_said not in line


def test_a_verified_bundle_says_its_rating_and_the_key_its_signature_names(
    bundle: Path, keys: Path
) -> None:
    sign_bundle(bundle, keys / "publisher.key")
    result = CliRunner().invoke(app, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    [listed] = [k.fingerprint for k in list_keys(keys) if k.name == "publisher"]
    assert listed is not None and listed.startswith("SHA256:")
    assert f"signiert mit dem Schlüssel {listed} (wie `gemeingut keys list` ihn zeigt)" in lines[0]
    assert "nicht gegen einen Schlüssel geprüft" in lines[0]
    assert any("Model Openness Framework" in line and "Open Source AI" in line for line in lines)
    checked = CliRunner().invoke(app, ["verify", str(bundle), "--key", str(keys / "publisher.pub")])
    assert checked.exit_code == 0, checked.output
    first = checked.stderr.splitlines()[0]  # whole, however narrow the terminal
    assert first.endswith(f"Signatur gültig, Schlüssel {listed}"), first  # one fingerprint


def test_a_dcat_licence_changed_and_rehashed_is_named(published: Path) -> None:
    """dcterms:license is what GovData reads and shows: the dataset's and each
    distribution's must be the one the shards it holds give."""
    dcat = published / "training-data" / "dcat.ttl"
    turtle = dcat.read_text(encoding="utf-8")
    assert "licenses/other-closed>" not in turtle
    closed = re.sub(r"licenses/[^>]+>", "licenses/other-closed>", turtle)
    dcat.write_text(closed, encoding="utf-8")
    _rehash(published, "training-data/dcat.ttl")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(published)
    found = [p for p in _problems(caught) if "dcterms:license" in p]
    assert any("der Datensatz" in p for p in found)
    assert any("distribution-train" in p for p in found)
    assert all("other-closed" in p and "training-data/dcat.ttl" in p for p in found)


def test_other_open_stays_true_of_documents_under_several_open_licences(published: Path) -> None:
    """What gemeingut wrote before it named the governing licence is not a tampering."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS, RDF

    from gemeingut.data.publish.dcat import DCAT
    from gemeingut.data.publish.licenses import GOVDATA_OTHER_OPEN

    dcat = published / "training-data" / "dcat.ttl"
    graph = Graph().parse(dcat, format="turtle")
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    assert graph.value(dataset, DCTERMS.license) != URIRef(GOVDATA_OTHER_OPEN)
    graph.set((dataset, DCTERMS.license, URIRef(GOVDATA_OTHER_OPEN)))
    dcat.write_text(graph.serialize(format="turtle"), encoding="utf-8")
    _rehash(published, "training-data/dcat.ttl")
    assert verify_bundle(published).files > 0


def test_a_dataset_retyped_to_hide_its_licence_is_named(published: Path) -> None:
    """A dataset typed dcat:Catalog, and a distribution no dataset links, state licences
    that are checked all the same; a DCAT file without exactly one dcat:Dataset is named."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS, RDF

    from gemeingut.data.publish.dcat import DCAT

    dcat = published / "training-data" / "dcat.ttl"
    graph = Graph().parse(dcat, format="turtle")
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    graph.remove((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, RDF.type, DCAT.Catalog))
    graph.remove((dataset, DCAT.distribution, None))
    closed = URIRef("http://dcat-ap.de/def/licenses/other-closed")
    for subject in set(graph.subjects(DCTERMS.license, None)):
        graph.set((subject, DCTERMS.license, closed))
    dcat.write_text(graph.serialize(format="turtle"), encoding="utf-8")
    _rehash(published, "training-data/dcat.ttl")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(published)
    problems = _problems(caught)
    assert any("0 dcat:Dataset, nicht genau einen" in p for p in problems), problems
    found = [p for p in problems if "dcterms:license" in p and "other-closed" in p]
    assert any("#dataset" not in p and "dataset" in p for p in found), found
    assert any("distribution-train" in p for p in found)
