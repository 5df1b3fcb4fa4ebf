"""A publication whose data statement is not the one this gemeingut renders from the same
records (made by an older version, or edited since) is refused by `release` before anything
is written, saying which line differs and how to publish the dataset again, on both paths
(our own pretraining's release, a fine-tune's); it once ended in an English RuntimeError of
the new bundle's self-check. A publication record that names no dataset is refused as none
(it was said to publish „Datensatz None“)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from gemeingut.hashing import sha256_file
from tests.release.test_finetune_publication import tuned_and_published  # noqa: F401 (fixture)
from tests.test_cli import invoke

OLDER = "gemeingut 0.9.0+src.0123456789"


def _older(pub: Path, root: Path) -> Path:
    """A copy of `pub` as an older gemeingut wrote it: its statement's title line worded
    otherwise, its record consistent with that (the file's digest, the version)."""
    copy = Path(shutil.copytree(pub, root / "pub-older"))
    statement = copy / "DATA_STATEMENT.md"
    lines = statement.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines) if line.startswith("# "))
    lines[number] = lines[number].replace("Data Statement für", "Datenblatt zu")
    statement.write_text("".join(lines), encoding="utf-8")
    record = json.loads((copy / "artifact.json").read_text(encoding="utf-8"))
    record["code"] = OLDER
    record["files"]["DATA_STATEMENT.md"] = "sha256:" + sha256_file(statement)
    (copy / "artifact.json").write_text(json.dumps(record), encoding="utf-8")
    return copy


def _release(root: Path, *args: object, lang: str = "de") -> tuple[int, str]:
    result = invoke("--lang", lang, "release", "--name", "x", "--out", root / "out", *args)
    return result.exit_code, " ".join(result.output.split())


def test_a_fine_tunes_older_publication_is_refused_before_building(
    tuned_and_published,  # noqa: F811
    tmp_path: Path,
) -> None:
    tuned, pub = tuned_and_published
    older = _older(pub, tmp_path)
    code, said = _release(tmp_path, "--finetuned", tuned, "--publication", older)
    assert code == 2, said
    assert f"{older / 'DATA_STATEMENT.md'} wurde von einer anderen Version von gemeingut" in said
    assert f"({OLDER})" in said and "Datenblatt zu" in said, said
    assert "gemeingut data publish DATASET --info INFO.toml --out NEU" in said, said
    assert f"mit denen {older} veröffentlicht wurde" in said, said
    assert "RuntimeError" not in said and "Traceback" not in said, said
    assert not (tmp_path / "out").exists()


def test_a_publication_record_without_its_dataset_is_no_publication_of_one(
    tuned_and_published,  # noqa: F811
    tmp_path: Path,
) -> None:
    tuned, pub = tuned_and_published
    copy = Path(shutil.copytree(pub, tmp_path / "pub"))
    record = json.loads((copy / "artifact.json").read_text(encoding="utf-8"))
    del record["inputs"]["dataset"]
    (copy / "artifact.json").write_text(json.dumps(record), encoding="utf-8")
    code, said = _release(tmp_path, "--finetuned", tuned, "--publication", copy, lang="en")
    assert code == 2, said
    assert f"--publication {copy} is no publication of a dataset" in said, said
    assert "None" not in said, said
    assert not (tmp_path / "out").exists()


def test_an_older_or_edited_publication_of_our_own_pretraining_is_refused(
    tiny_build, tmp_path: Path
) -> None:
    """The older one once failed the new bundle's self-check (a RuntimeError); the edited one
    is named as changed since, by this very version."""
    info = tmp_path / "info.toml"
    info.write_text(
        'title_de = "Winzkorpus"\ndescription_de = "Ein Korpus."\npublisher_name = "Testamt"\n'
        'download_url = "https://example.org/winz"\n',
        encoding="utf-8",
    )
    dataset = tiny_build["dataset"]["path"]
    pub = tmp_path / "pub"
    published = invoke("data", "publish", dataset, "--info", info, "--out", pub)
    assert published.exit_code == 0, published.output
    own = [f"--{k}={tiny_build[k]['path']}" for k in ("dataset", "tokenizer", "model")]
    own += ["--evaluation", tiny_build["evaluation"]["path"]]
    own += ["--finetuned", tiny_build["finetune"]["path"]]  # the evaluation is of the fine-tune
    older = _older(pub, tmp_path)
    code, said = _release(tmp_path, *own, "--publication", older)
    assert code == 2, said
    assert f"{older / 'DATA_STATEMENT.md'} wurde von einer anderen Version von gemeingut" in said
    assert f"gemeingut data publish {dataset} --info INFO.toml --out NEU" in said, said
    assert "RuntimeError" not in said and "Traceback" not in said, said
    assert not (tmp_path / "out").exists()
    statement = pub / "DATA_STATEMENT.md"
    text = statement.read_text(encoding="utf-8")
    statement.write_text(text.replace("Ein Korpus.", "Ein großes Korpus.", 1), encoding="utf-8")
    code, said = _release(tmp_path, *own, "--publication", pub)
    assert code == 2, said
    assert f"{statement} wurde nach der Veröffentlichung geändert" in said, said
    assert "Ein großes Korpus." in said, said
    assert not (tmp_path / "out").exists()
