"""The lm_eval command of the README and the operator's guide scores a server that asks for a
key, as written, without the key in anything lm-eval prints or writes: it recorded
`--model_args` (then holding `auth_token=$OPENAI_API_KEY`) in its results JSON
(`config.model_args`, each task's `metadata`) and on its summary line."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.audit.task_suite import default_suite, prepare, write_task_folder
from tests.audit.shell_command import run_command
from tests.http_server import serving_process
from tests.model.tiny_models import make_model

ROOT = Path(__file__).parents[2]
SERVED = "winzig"
# where each document shows the command: the text right before its bash block
PLACES = [
    ("README.md", "`GET /v1/models/{id}`."),
    ("docs/operating.md", "An\nauditor then scores the deployment through the gateway with a key:"),
]


def lm_eval_block(document: str, after: str) -> str:
    """The first bash block after `after` in `document` that runs lm_eval."""
    text = (ROOT / document).read_text(encoding="utf-8").split(after, 1)[1]
    block = re.search(r"```bash\n(.*?)```", text, re.DOTALL).group(1)
    assert "lm_eval --model local-completions" in block
    return block


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A server with a gateway (every route needs a key): its URL, a key, the model folder."""
    from gemeingut.serve.gateway.identity import add_user, create_key
    from gemeingut.serve.gateway.store import open_store

    root = tmp_path_factory.mktemp("keyed")
    model = make_model(root / "model")
    db = root / "gateway.db"
    add_user(open_store(str(db)), "auditor")
    _, key = create_key(open_store(str(db)), "auditor")
    with serving_process(str(model), SERVED, "--db", str(db)) as url:
        yield url, key, model


@pytest.mark.parametrize(("document", "after"), PLACES)
def test_the_documented_lm_eval_command_keeps_the_key_out_of_its_results(
    document: str, after: str, served: tuple[str, str, Path], tmp_path: Path
) -> None:
    url, key, model = served
    tasks = tmp_path / "tasks"
    write_task_folder(prepare(["gg_buergerkunde"], default_suite()), tasks)
    out = tmp_path / "results"
    script = (
        lm_eval_block(document, after)
        .replace("gg_…", key)
        .replace("http://127.0.0.1:8000", url)
        .replace("https://ki.amt.example", url)
        .replace("model=NAME", f"model={SERVED}")
        .replace("max_length=N", "max_length=256")
        .replace("tokenizer=DIR", f"tokenizer={model}")
        .replace("--tasks …", f"--tasks gg_buergerkunde --include_path {tasks} --limit 3 "
                 f"--output_path {out}")
    )  # fmt: skip
    # "with the key in OPENAI_API_KEY", where the block sets none
    done = run_command(script, tmp_path, os.environ | {"OPENAI_API_KEY": key})
    written = sorted(out.rglob("results_*.json"))
    assert written and '"gg_buergerkunde"' in written[0].read_text(encoding="utf-8")
    assert key not in done.stdout + done.stderr
    for file in out.rglob("*"):
        assert not file.is_file() or key not in file.read_text(encoding="utf-8"), file
