"""`gemeingut reproduce` rebuilds a release from its bundle alone and finds it equal."""

import json
from pathlib import Path

import pytest

from gemeingut.errors import InputError, VerifyError
from gemeingut.hashing import sha256_file
from gemeingut.release.manifest import write_manifest
from gemeingut.release.reproduce import (
    _stage_recipe,
    compare_artifact,
    compare_bundles,
    reproduce,
    run_own_code,
    strip_varying,
)


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


def test_the_rebuild_says_each_line_of_its_progress_as_it_comes(tmp_path: Path) -> None:
    """The child's stage lines reach the reader while it runs: it waits for the file the
    reader writes on seeing its first line, and would fail after 30 s without it."""
    code = tmp_path / "code"
    code.mkdir()
    seen = tmp_path / "seen"
    (code / "stages.py").write_text(
        "import json, sys, time, pathlib\n"
        "print('✓ tokenizer  built', file=sys.stderr, flush=True)\n"
        f"seen = pathlib.Path({str(seen)!r})\n"
        "for _ in range(300):\n"
        "    if seen.exists(): break\n"
        "    time.sleep(0.1)\n"
        "else: sys.exit('nobody read the first line')\n"
        "print('✓ model      built', file=sys.stderr, flush=True)\n"
        "print(json.dumps({'model': {'id': 'mdl-1'}}))\n",
        encoding="utf-8",
    )
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        seen.touch()

    answer = run_own_code(["-m", "stages"], code, tmp_path, on_line)
    assert answer == {"model": {"id": "mdl-1"}}
    assert lines == ["✓ tokenizer  built", "✓ model      built"]


def test_the_rebuilds_progress_bars_do_not_bury_its_stage_lines(tmp_path: Path) -> None:
    """The evaluation's libraries (lm-eval, datasets) draw tqdm bars on stderr."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "stages.py").write_text(
        "import json, sys\n"
        "from tqdm import tqdm\n"
        "for _ in tqdm(range(3), desc='Tokenizing inputs'): pass\n"
        "print('✓ evaluation built', file=sys.stderr, flush=True)\n"
        "print(json.dumps({}))\n",
        encoding="utf-8",
    )
    lines: list[str] = []
    run_own_code(["-m", "stages"], code, tmp_path, lines.append)
    assert lines == ["✓ evaluation built"]


def test_a_failed_rebuild_shows_the_end_of_what_it_said(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "broken.py").write_text("import sys\nsys.exit('Stufe model: kein Speicher')\n")
    with pytest.raises(InputError, match="Stufe model: kein Speicher"):
        run_own_code(["-m", "broken"], code, tmp_path, lambda line: None)


def _bundle_with(folder: Path, release_id: str, config: dict) -> Path:
    bundle = folder / "bundle"
    (bundle / "model").mkdir(parents=True)
    (bundle / "model" / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    write_manifest(bundle)
    (folder / "artifact.json").write_text(json.dumps({"id": release_id}))
    return bundle


def test_a_differing_json_file_is_named_with_its_differing_keys(tmp_path: Path) -> None:
    recorded = {"bos_token": "<s>", "local_files_only": True, "model_max_length": 1000000}
    rebuilt = {**recorded, "local_files_only": False}
    bundle = _bundle_with(tmp_path / "built", "rel-1", recorded)
    again = _bundle_with(tmp_path / "again", "rel-1", rebuilt)
    compared = compare_bundles(bundle, again)
    assert compared.differing == ["model/tokenizer_config.json"]
    assert compared.details == {"model/tokenizer_config.json": ["local_files_only true ≠ false"]}
    # an artifact's file: the recorded bytes are the bundle's file of that name and hash
    folder = tmp_path / "workspace" / "model" / "mdl-1"
    folder.mkdir(parents=True)
    (folder / "tokenizer_config.json").write_text(json.dumps(rebuilt, indent=2))
    files = {"tokenizer_config.json": "sha256:" + sha256_file(folder / "tokenizer_config.json")}
    (folder / "artifact.json").write_text(json.dumps({"id": "mdl-1", "files": files}))
    digest = "sha256:" + sha256_file(bundle / "model" / "tokenizer_config.json")
    meta = {"kind": "model", "id": "mdl-1", "files": {"tokenizer_config.json": digest},
            "_role": "model", "_bundle": bundle}  # fmt: skip
    model = compare_artifact("model", meta, tmp_path / "workspace", {})
    assert model.differing == ["tokenizer_config.json"]
    assert model.details == {"tokenizer_config.json": ["local_files_only true ≠ false"]}
