"""Which classes are causal language models comes from transformers' own table: read from its
source, it is the table transformers gives when imported; where a transformers keeps it
elsewhere it is imported after all, and a transformers without it is an error naming it, not
every model taken for no language model."""

import subprocess
import sys
from pathlib import Path

from gemeingut.release.openness.causal_lm import causal_lm_classes, imported_table, table_in

# A transformers whose table is computed, not written as data: the source gives none.
COMPUTED = """
def _pairs():
    return [("gpt2", "GPT2LMHeadModel"), ("llama", "LlamaForCausalLM")]


MODEL_FOR_CAUSAL_LM_MAPPING_NAMES = dict(_pairs())
"""
CONFIG = '{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}'


def test_the_table_read_from_the_source_is_the_one_transformers_gives() -> None:
    assert {"GPT2LMHeadModel", "LlamaForCausalLM", "BloomForCausalLM"} <= causal_lm_classes()
    assert causal_lm_classes() == imported_table()


def test_a_source_without_the_table_as_data_gives_none(tmp_path: Path) -> None:
    source = tmp_path / "modeling_auto.py"
    source.write_text(COMPUTED, encoding="utf-8")
    assert table_in(source) is None
    assert table_in(tmp_path / "absent.py") is None


def _transformers(root: Path, modeling_auto: str) -> Path:
    """A transformers package of one module, put before the installed one."""
    auto = root / "transformers" / "models" / "auto"
    auto.mkdir(parents=True)
    for folder in (root / "transformers", root / "transformers" / "models", auto):
        (folder / "__init__.py").write_text("", encoding="utf-8")
    (auto / "modeling_auto.py").write_text(modeling_auto, encoding="utf-8")
    return root


def _run(tmp_path: Path, modeling_auto: str, *command: str) -> subprocess.CompletedProcess[str]:
    """`command` (after the Python interpreter) with that transformers."""
    shadow = _transformers(tmp_path / "site", modeling_auto)
    return subprocess.run(
        [sys.executable, *command],
        env={"PYTHONPATH": str(shadow), "PATH": "/usr/bin:/bin"},  # German, the default
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_table_kept_otherwise_is_imported(tmp_path: Path) -> None:
    code = (
        "import json; from gemeingut.release.openness.causal_lm import names_causal_lm; "
        f"print(names_causal_lm(json.loads({CONFIG!r})))"
    )
    done = _run(tmp_path, COMPUTED, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_a_transformers_without_the_table_is_an_error_naming_it(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(CONFIG, encoding="utf-8")
    (model / "README.md").write_text("# Ein Modell\n", encoding="utf-8")
    cli = str(Path(sys.executable).with_name("gemeingut"))
    done = _run(tmp_path, "OTHER_TABLE = {}\n", cli, "openness", "rate", "model")
    assert done.returncode == 2
    assert done.stderr.count("Fehler: transformers liefert keine Tabelle der kausalen") == 1
    assert "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
