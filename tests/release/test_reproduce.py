"""`gemeingut reproduce` rebuilds a release from its bundle alone and finds it equal."""

from pathlib import Path

import pytest

from gemeingut.errors import InputError, VerifyError
from gemeingut.release.reproduce import _stage_recipe, reproduce, strip_varying


def test_the_tiny_release_rebuilds_from_its_bundle_with_every_artifact_equal(
    tiny_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    monkeypatch.chdir(tmp_path)
    results = reproduce(bundle, Path("again"))  # relative, as a person types it
    roles = {r.role: r for r in results}
    assert {"dataset", "tokenizer", "model", "finetune", "evaluation", "audit", "release"} <= set(
        roles
    )
    unequal = {r.role: (r.rebuilt_id, r.differing) for r in results if not r.equal}
    assert unequal == {}
    rebuilt = tmp_path / "again" / "workspace" / "model" / roles["model"].recorded_id
    original = Path(tiny_build["model"]["path"])
    assert (rebuilt / "model.safetensors").read_bytes() == (
        original / "model.safetensors"
    ).read_bytes()  # the same weights, bit for bit


def test_a_tampered_bundle_is_not_rebuilt(bundle: Path, tmp_path: Path) -> None:
    (bundle / "NOTICE").write_text("changed")
    with pytest.raises(VerifyError, match="geändert: NOTICE"):
        reproduce(bundle, tmp_path / "again")
    assert not (tmp_path / "again").exists()


def test_only_the_declared_fields_of_time_and_machine_are_set_aside() -> None:
    record = {
        "loss": 2.5,
        "wall_seconds": {"total": 3.0},
        "tokens_per_s": 10.0,
        "created": "2026-12-03T18:00:00Z",
        "releaseTime": "x",
        "stats": {"final_val_loss": 1.0, "energy_kwh": 0.1, "mfu": 0.2},
    }
    assert strip_varying(record) == {"loss": 2.5, "stats": {"final_val_loss": 1.0}}


def test_reproduce_never_writes_into_the_bundle(bundle: Path) -> None:
    before = sorted(p.relative_to(bundle) for p in bundle.rglob("*"))
    with pytest.raises(InputError, match="liegt im Paket"):
        reproduce(bundle, bundle / "again")
    assert sorted(p.relative_to(bundle) for p in bundle.rglob("*")) == before


def test_reproduce_needs_an_empty_folder(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(InputError, match="ist nicht leer"):
        reproduce(bundle, tmp_path / "used")


def test_a_recipe_whose_audit_used_the_auditors_own_suites_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "training-code").mkdir(parents=True)
    (bundle / "training-code" / "recipe.toml").write_text(
        '[audit]\nfindings = "funde.jsonl"\n[audit.bias]\nsuite = "paare.yaml"\n'
        '[audit.memorisation]\ncanaries = "kanarien.jsonl"\n[audit.redteam]\nsamples = 3\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as refused:
        _stage_recipe(bundle, tmp_path / "again")
    assert "nicht enthält: bias.suite, memorisation.canaries, findings" in str(refused.value)
