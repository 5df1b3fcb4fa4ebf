"""Bundles of fine-tunes of a foreign base, as a researcher makes them: a full fine-tune and a
LoRA adapter whose data is under CC BY. `verify --rerun` says why their validation loss is not
re-run from what each bundle holds (never a pretraining record or an adapter it lacks), the
NOTICE of a record made before attribution was asked for says what is missing (never "None")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.i18n import text
from gemeingut.release.notice import finetune_notice
from gemeingut.release.rerun_checked import not_rerun
from tests.release.test_finetune_release import base_folder, fine_tune, release

CREDIT = ("--data-attribution", "Stadt Musterstadt, Bürgerfragen", "--data-url",
          "https://example.org/fragen")  # fmt: skip


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("full")
    tuned = fine_tune(root, base_folder(root), "--method", "full", "--license", "Apache-2.0")
    return release(root, tuned)


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A LoRA adapter (no --merge) of data under CC-BY-4.0, released with its base's Hub id."""
    root = tmp_path_factory.mktemp("adapter")
    base = base_folder(root)
    tuned = fine_tune(root, base, "--license", "Apache-2.0", "--data-license", "CC-BY-4.0", *CREDIT)
    return {"base": base, "bundle": release(root, tuned, "--base-hub-id", "uni-example/winzig")}


def test_a_full_fine_tune_says_why_from_what_it_holds(full: Path) -> None:
    assert not (full / "training-metadata" / "training.json").exists()
    said = text(not_rerun(full), "de")  # type: ignore[arg-type]
    assert said.startswith("Validierungsverlust nicht wiederholt: training-metadata/finetune.json")
    assert "Beispielen, die aus ihren Daten zurückgehalten wurden" in said, said
    assert "training.json" not in said and "Adapter" not in said, said


def test_an_adapter_says_it_holds_no_base_weights(adapter: dict[str, Path]) -> None:
    said = text(not_rerun(adapter["bundle"]), "en")  # type: ignore[arg-type]
    assert "training.json" not in said, said
    assert "holds the adapter without the base's weights" in said, said
    assert "in bfloat16" in said or "in float32" in said, said  # as the record says


def test_a_notice_never_says_none_for_a_record_without_attribution(
    adapter: dict[str, Path], tmp_path: Path
) -> None:
    bundle = Path(shutil.copytree(adapter["bundle"], tmp_path / "bundle"))
    notice = (bundle / "NOTICE").read_text(encoding="utf-8")
    assert f"  {CREDIT[1]} | {CREDIT[3]}\n" in notice, notice
    lineage = bundle / "training-metadata" / "lineage.json"
    record = json.loads(lineage.read_text(encoding="utf-8"))
    params = record["finetune"]["params"]
    params["data_attribution"] = params["data_url"] = None  # as a fine-tune made before
    lineage.write_text(json.dumps(record), encoding="utf-8")
    rendered = "".join(finetune_notice(bundle))
    assert "None" not in rendered, rendered
    missing = "die Namensnennung, die ihre Lizenz verlangt, und die Herkunft der Daten"
    assert f"  {missing} sind nicht verzeichnet\n" in rendered, rendered


@pytest.mark.parametrize(
    ("content", "said_de"),
    [(b"[1]", "enthält kein JSON-Objekt"), (b"{", "lässt sich nicht lesen"),
     (b"\xff\xfe", "lässt sich nicht lesen")],
)  # fmt: skip
def test_a_damaged_fine_tune_record_is_named_not_a_traceback(
    tmp_path: Path, content: bytes, said_de: str
) -> None:
    from gemeingut.errors import InputError
    from gemeingut.release.layout import FINETUNE_RECORD

    record = tmp_path / FINETUNE_RECORD
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_bytes(content)
    with pytest.raises(InputError) as refused:
        not_rerun(tmp_path)
    said = text(refused.value.message, "de")
    assert str(record) in said and said_de in said, said


def test_a_record_without_the_bases_dtype_says_it_is_not_recorded(tmp_path: Path) -> None:
    from gemeingut.release.layout import FINETUNE_RECORD

    record = tmp_path / FINETUNE_RECORD
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"output": "lora-adapter"}), encoding="utf-8")
    said = text(not_rerun(tmp_path), "de")  # type: ignore[arg-type]
    assert "über Basisgewichten in einem nicht verzeichneten Datentyp" in said, said
    assert " in ?" not in said
