"""`serve --device/--precision`: where the model runs and at which precision; a wrong choice or a
GPU that is not there is said before the model loads."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import torch
from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.serve.backends import SamplingParams, TransformersBackend
from tests.http_server import serving_process

MODEL_NAME = "tiny-llama"
TEXT = "Der Bäcker malt das Brot am Morgen. Das Kind sucht"


def in_process_prompt_logprobs(model_dir: Path, precision: str, ids: list[int]) -> list[float]:
    backend = TransformersBackend(model_dir, model_name=MODEL_NAME, precision=precision)
    params = SamplingParams(max_tokens=0, prompt_logprobs=0)
    [result] = backend.generate_batch([ids], params)
    assert result.prompt_logprobs is not None
    return [entry.logprob for entry in result.prompt_logprobs[1:] if entry is not None]


def test_a_model_served_at_bf16_scores_as_the_backend_at_bf16(model_dir: Path) -> None:
    extra = ("--device", "cpu", "--precision", "bf16")
    with serving_process(str(model_dir), MODEL_NAME, *extra) as url:
        ids = httpx.post(f"{url}/tokenize", json={"model": MODEL_NAME, "prompt": TEXT}).json()[
            "tokens"
        ]
        body = {"model": MODEL_NAME, "prompt": ids, "echo": True, "logprobs": 0, "max_tokens": 0}
        answer = httpx.post(f"{url}/v1/completions", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    served = answer.json()["choices"][0]["logprobs"]["token_logprobs"][1:]
    assert served == in_process_prompt_logprobs(model_dir, "bf16", ids)
    assert served != in_process_prompt_logprobs(model_dir, "fp32", ids)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--device", "gpu"], "--device gpu"),
        (["--precision", "fp16"], "--precision fp16"),
        (["--upstream", "http://127.0.0.1:9", "--device", "cpu"], "--device und --precision"),
    ],
    ids=["device", "precision", "with-upstream"],
)
def test_a_wrong_placement_is_said_before_the_model_loads(
    model_dir: Path, options: list[str], said: str
) -> None:
    path = [] if "--upstream" in options else [str(model_dir)]
    result = CliRunner().invoke(cli_app, ["serve", *path, "--port", "0", *options])
    assert result.exit_code != 0
    assert said in result.output and "Traceback" not in result.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_gpu_asked_for_where_torch_sees_none_is_said_at_once(model_dir: Path) -> None:
    result = CliRunner().invoke(cli_app, ["serve", str(model_dir), "--device", "cuda"])
    assert result.exit_code != 0
    assert "--device = 'cuda'" in result.output and "Traceback" not in result.output
