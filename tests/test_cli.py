import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from tests.conftest import TINY_RECIPE
from tests.corpus import open_documents, write_jsonl

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_build_json_names_every_artifact_and_reuses_finished_ones(tiny_build) -> None:
    result = invoke("build", tiny_build["recipe"], "--workspace", tiny_build["workspace"], "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for kind in ("dataset", "tokenizer", "model", "evaluation", "release", "finetune", "gguf"):
        assert summary[kind]["path"] == tiny_build[kind]["path"]
        assert summary[kind]["reused"] is True
        assert Path(summary[kind]["path"], "artifact.json").is_file()
    lines = [line for line in result.stderr.splitlines() if line.startswith("✓ ")]
    workspace = str(tiny_build["workspace"])
    assert len(lines) == len(summary) and all(workspace in line for line in lines)  # unwrapped


def test_broken_recipe_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(TINY_RECIPE.replace("steps = 30", "steps = -1"), encoding="utf-8")
    result = invoke("build", recipe, "--workspace", tmp_path / "ws")
    assert result.exit_code == 2
    assert "model.training.steps" in result.stderr and "recipe.toml" in result.stderr
    assert "Hinweis:" in result.stderr and "Traceback" not in result.output


def test_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(TINY_RECIPE, encoding="utf-8")  # docs.jsonl and notes/ do not exist
    result = invoke("build", recipe, "--workspace", tmp_path / "ws")
    assert result.exit_code == 2
    assert "docs.jsonl" in result.stderr and "existiert nicht" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "ws" / "dataset").exists() or not any(
        p.name.startswith("ds-") for p in (tmp_path / "ws" / "dataset").iterdir()
    )


def test_verify_cli_passes_and_fails_with_exit_code(tiny_build, tmp_path: Path) -> None:
    release = Path(tiny_build["release"]["path"])
    assert invoke("verify", release).exit_code == 0
    result = invoke("verify", tmp_path)
    assert result.exit_code == 2 and "hat kein MANIFEST" in result.stderr


def test_stages_run_one_by_one_from_the_cli(tmp_path: Path) -> None:
    docs = write_jsonl(tmp_path / "docs.jsonl", open_documents(40))
    result = invoke(
        "data",
        "curate",
        docs,
        "--out",
        tmp_path / "ds",
        "--license",
        "CC0-1.0",
        "--validation-fraction",
        "0.2",
        "--test-fraction",
        "0.2",
    )
    assert result.exit_code == 0, result.output
    steps = [
        ("tokenizer", "train", tmp_path / "ds", "--out", tmp_path / "tok", "--vocab-size", "300"),
        (
            "model",
            "pretrain",
            "--dataset",
            tmp_path / "ds",
            "--tokenizer",
            tmp_path / "tok",
            "--out",
            tmp_path / "m",
            "--preset",
            "micro",
            "--steps",
            "5",
            "--batch-size",
            "2",
            "--seq-len",
            "16",
        ),
        ("evaluate", tmp_path / "m", "--dataset", tmp_path / "ds", "--out", tmp_path / "ev"),
        (
            "release",
            "--dataset",
            tmp_path / "ds",
            "--tokenizer",
            tmp_path / "tok",
            "--model",
            tmp_path / "m",
            "--evaluation",
            tmp_path / "ev",
            "--name",
            "cli-model",
            "--out",
            tmp_path / "rel",
            "--language",
            "de",
        ),
        ("verify", tmp_path / "rel" / "bundle"),
    ]
    for args in steps:
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
    card = (tmp_path / "rel" / "bundle" / "README.md").read_text()
    assert "cli-model" in card and "- de" in card
    english = invoke(*steps[-2][:-2], "--out", tmp_path / "rel-en", "--language", "de",
                     "--language", "en")  # fmt: skip
    assert (
        english.exit_code == 2
        and "kein behaltenes Dokument ist in diesen Sprachen" in english.output
    )
    again = invoke("reproduce", tmp_path / "rel" / "bundle", "--workspace", tmp_path / "again")
    assert again.exit_code == 2 and "ohne Rezept veröffentlicht" in again.output


def test_wrong_artifact_kind_is_a_clear_error(tiny_build, tmp_path: Path) -> None:
    result = invoke(
        "evaluate",
        tiny_build["dataset"]["path"],
        "--dataset",
        tiny_build["dataset"]["path"],
        "--out",
        tmp_path / "ev",
    )
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert "ein Artefakt der Stufe „Datensatz“, erwartet: „Modell“, „LoRA-Adapter“" in said, said
    assert "Ausgabeordner einer der Stufen „Modell“, „LoRA-Adapter“" in said, said


def test_curate_takes_settings_from_a_config_file_and_options_win(tmp_path: Path) -> None:
    docs = write_jsonl(tmp_path / "docs.jsonl", open_documents(30))
    config = tmp_path / "curate.toml"
    config.write_text("[data]\ntest_fraction = 0.3\nnear_dedup = false\npii_types = []\n")
    result = invoke(
        "data",
        "curate",
        docs,
        "--out",
        tmp_path / "ds",
        "--license",
        "CC0-1.0",
        "--config",
        config,
        "--test-fraction",
        "0.2",
        "--workers",
        "1",
        "--json",
    )
    assert result.exit_code == 0, result.output
    params = json.loads((tmp_path / "ds" / "artifact.json").read_text())["params"]
    assert params["test_fraction"] == 0.2 and params["near_dedup"] is False
    assert params["pii_types"] == []


def test_bad_option_value_and_bad_config_key_are_clear_errors(tmp_path: Path) -> None:
    docs = write_jsonl(tmp_path / "docs.jsonl", open_documents(3))
    result = invoke("data", "curate", docs, "--out", tmp_path / "ds", "--test-fraction", "0.9")
    assert result.exit_code == 2 and "--test-fraction 0.9" in result.stderr
    assert "Traceback" not in result.output
    config = tmp_path / "bad.toml"
    config.write_text("near_dedup_treshold = 0.5\n")
    result = invoke("data", "curate", docs, "--out", tmp_path / "ds", "--config", config)
    assert result.exit_code == 2 and "near_dedup_treshold" in result.stderr
    assert "bad.toml" in result.stderr
    result = invoke("tokenizer", "train", tmp_path, "--out", tmp_path / "t", "--vocab-size", "5")
    assert result.exit_code == 2


def test_unreadable_input_path_exits_2(tmp_path: Path) -> None:
    result = invoke("data", "curate", tmp_path / "nope.jsonl", "--out", tmp_path / "ds")
    assert result.exit_code == 2 and "existiert nicht" in result.stderr


def test_fetch_a_git_repository_then_curate_it(tmp_path: Path) -> None:
    from tests.data.test_fetch import make_repo

    repo = tmp_path / "repo"
    commits = make_repo(repo)
    result = invoke("data", "fetch", repo, "--out", tmp_path / "src", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["kind"] == "git" and record["commit"] == commits[-1]
    config = tmp_path / "short-texts.toml"
    config.write_text(
        "[data.filters]\ngopher_quality = false\ngopher_repetition = false\n"
        "fineweb_quality = false\nlanguage = false\n"
    )
    result = invoke(
        "data",
        "curate",
        tmp_path / "src",
        "--out",
        tmp_path / "ds",
        "--license",
        "CC0-1.0",
        "--config",
        config,
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stats"]["kept_by_source"] == {"src": 1}
    result = invoke("data", "fetch", tmp_path / "not-there", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_model_exports_to_gguf_from_the_cli(tiny_build, tmp_path: Path) -> None:
    out = tmp_path / "model.gguf"
    result = invoke("model", "export", tiny_build["model"]["path"], "--out", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tensors"] > 0 and out.is_file()
    result = invoke("model", "export", tiny_build["model"]["path"], "--out", out, "--dtype", "q4")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_release_of_a_fine_tuned_model_from_the_command_line(tiny_build, tmp_path: Path) -> None:
    paths = {k: tiny_build[k]["path"] for k in ("dataset", "tokenizer", "model", "evaluation")}
    result = invoke(
        "release", "--dataset", paths["dataset"], "--tokenizer", paths["tokenizer"],
        "--model", paths["model"], "--evaluation", paths["evaluation"],
        "--finetuned", tiny_build["finetune"]["path"], "--name", "tuned", "--out", tmp_path / "r",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "bundle" / "training-data" / "finetuning" / "chat.jsonl").is_file()
    without = invoke(
        "release", "--dataset", paths["dataset"], "--tokenizer", paths["tokenizer"],
        "--model", paths["model"], "--evaluation", paths["evaluation"],
        "--name", "x", "--out", tmp_path / "x",
    )  # fmt: skip
    assert (
        without.exit_code == 2
        and "es trifft nicht zu: Evaluation des veröffentlichten Modells" in without.stderr
    )


def test_a_release_built_stage_by_stage_carries_its_data_card_and_paper(
    tiny_build, tmp_path: Path
) -> None:
    info = tmp_path / "info.toml"
    info.write_text(
        'title_de = "Winzkorpus"\ntitle_en = "Tiny corpus"\ndescription_de = "Ein Korpus."\n'
        'publisher_name = "Testamt"\ndownload_url = "https://example.org/winz"\n',
        encoding="utf-8",
    )
    published = invoke("data", "publish", tiny_build["dataset"]["path"], "--info", info,
                       "--out", tmp_path / "pub")  # fmt: skip
    assert published.exit_code == 0, published.output
    paper = tmp_path / "paper.md"
    paper.write_text("# Über das Modell\n", encoding="utf-8")
    paths = {k: tiny_build[k]["path"] for k in ("dataset", "tokenizer", "model", "evaluation")}
    result = invoke(
        "release", "--dataset", paths["dataset"], "--tokenizer", paths["tokenizer"],
        "--model", paths["model"], "--evaluation", paths["evaluation"], "--name", "stufen",
        "--finetuned", tiny_build["finetune"]["path"], "--publication", tmp_path / "pub",
        "--paper", paper, "--description", "Ein Versuch.\r\nAus einer Windows-Datei.",
        "--out", tmp_path / "r",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "r" / "bundle"
    assert (bundle / "training-data" / "DATA_STATEMENT.md").is_file()
    assert (bundle / "paper" / "paper.md").is_file()
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    assert rating["osaid"]["requirements"]["data_information"]["passed"]
    assert "Ein Versuch.\nAus einer Windows-Datei." in (bundle / "README.md").read_bytes().decode()
    assert invoke("verify", bundle).exit_code == 0


def test_curate_that_excludes_every_document_fails_and_names_the_reasons(tmp_path: Path) -> None:
    docs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": "Ohne Lizenz."}])
    result = invoke("data", "curate", docs, "--out", tmp_path / "ds")
    assert result.exit_code == 2
    assert "das eine Dokument wurde ausgeschlossen" in result.stderr
    assert "exclusions.parquet" in result.stderr and "Traceback" not in result.output
    assert (tmp_path / "ds" / "exclusions.parquet").is_file()  # the reasons are kept


def test_tokenizer_on_an_empty_train_split_is_a_clear_error(tmp_path: Path) -> None:
    docs = write_jsonl(tmp_path / "docs.jsonl", open_documents(3))
    curated = invoke(
        "data",
        "curate",
        docs,
        "--out",
        tmp_path / "ds",
        "--validation-fraction",
        "0.49",
        "--test-fraction",
        "0.49",
        "--split-seed",
        "3",
    )
    assert curated.exit_code == 0, curated.output
    stats = json.loads((tmp_path / "ds" / "artifact.json").read_text())["stats"]
    assert stats["splits"]["train"]["documents"] == 0
    result = invoke("tokenizer", "train", tmp_path / "ds", "--out", tmp_path / "tok")
    assert result.exit_code == 2
    assert "Trainingsteil" in result.stderr and "Traceback" not in result.output
