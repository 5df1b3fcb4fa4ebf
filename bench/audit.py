"""Benchmark: our batched bias-pair scoring vs lm-evaluation-harness (`--model hf`), one run.

    .venv/bin/python bench/audit.py                      # preset small (~8M), 1 thread, CPU
    .venv/bin/python bench/audit.py --preset 125m --repeat-pairs 1
    .venv/bin/python bench/audit.py --no-endpoint        # skip the endpoint comparison
    python bench/audit.py --device cuda --preset 1b --repeat-pairs 10 \
        --lm-eval-batch-sizes 512,2048 --no-endpoint --repeats 2   # on a GPU

Both score the same minimal pairs (our German bias suites, `--repeat-pairs` times over) with
the same freshly initialised `LlamaForCausalLM` (preset, our tokenizer trained on the suites'
sentences) on the same device (`--device`; on the CPU with the same thread count). lm-eval
runs the model as saved (float32, its default `dtype=auto`) and, where our default precision
is bf16, also under bf16 autocast (its `mixed_precision_dtype`), at each of
`--lm-eval-batch-sizes`; the fastest lm-eval run of a precision is the one compared. lm-eval
gets the pairs as a log-likelihood task (`multiple_choice`, empty context, the two sentences
as choices: the requests its `crows_pairs` sends), run with `evaluator.evaluate`. Ours is
`gemeingut.audit.bias.score_pairs` on a `LocalTarget` (its default batches for the device, or
`--batch-tokens`) at the audit's default precision `auto` (bf16 autocast on a GPU or a CPU with
bf16 units, else fp32) and at fp32.

Each system runs in its own subprocess. The model is loaded (and CUDA initialised) before the
timer; the timed part builds the requests, scores them and ends when the per-category results
exist, `--repeats` times in that process, and the fastest counts. The whole-sentence
log-likelihoods are compared pair by pair with lm-eval's (largest difference, and the share
of pairs whose preference agrees), so the speed-up is for the same numbers.

Also measured: the same scoring against `gemeingut serve` (our endpoint, fp32, started in its
own process) through `EndpointTarget`, as the ratio endpoint / in-process at fp32.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    args = parse_args()
    if args.child:
        job = json.loads(Path(args.job).read_text())
        kind, _, variant = args.child.partition(":")
        runs = {"ours": run_ours, "lm_eval": run_lm_eval, "endpoint": run_endpoint}
        result = runs[kind](job, variant)
        Path(args.result).write_text(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        job = prepare(args, Path(tmp))
        results = {system: run_child(system, job, Path(tmp)) for system in systems(args, job)}
        report(args, job, results)


def systems(args: argparse.Namespace, job: dict[str, Any]) -> list[str]:
    """`kind:variant` of every run: lm-eval per batch size and precision, ours, the endpoint."""
    precisions = ["fp32"] + (["bf16"] if job["ours_precision"] == "bf16" else [])
    lm_eval = [f"lm_eval:{b}/{p}" for p in precisions for b in job["lm_eval_batch_sizes"]]
    ours = [f"ours:{job['ours_precision']}"] + (["ours:fp32"] if "bf16" in precisions else [])
    return lm_eval + ours + ([] if args.no_endpoint else ["endpoint:fp32"])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.add_argument("--repeat-pairs", type=int, default=2, help="times over the suites")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="CPU threads")
    parser.add_argument("--lm-eval-batch-sizes", default="32", help="comma-separated")
    parser.add_argument("--batch-tokens", type=int, help="ours; default: the audit's")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--no-endpoint", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per system (fastest)")
    parser.add_argument("--child")
    parser.add_argument("--job")
    parser.add_argument("--result")
    return parser.parse_args()


def prepare(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """A model folder and the pairs, written once for every system."""
    import torch
    from transformers import LlamaForCausalLM

    from gemeingut.audit.bias import default_suite, read_pairs
    from gemeingut.model.machine import resolve_precision
    from gemeingut.model.presets import build_config
    from gemeingut.model.tokenizer import train_tokenizer

    pairs = read_pairs(default_suite())
    sentences = [s for p in pairs for s in (p.stereotype, p.anti_stereotype)]
    model_dir = tmp / "model"
    tokenizer = train_tokenizer(sentences, model_dir, vocab_size=args.vocab_size)
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = build_config(args.preset, {}, len(tokenizer), 512, special)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.save_pretrained(model_dir)
    rows = []
    for repeat in range(args.repeat_pairs):
        for p in pairs:
            rows.append(
                {
                    "id": f"{p.id}#{repeat}",
                    "category": p.category,
                    "stereotype": p.stereotype,
                    "anti_stereotype": p.anti_stereotype,
                }
            )
    suite = tmp / "pairs.jsonl"
    suite.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return {
        "model": str(model_dir),
        "suite": str(suite),
        "pairs": len(rows),
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocabulary": len(tokenizer),
        "device": args.device,
        "threads": args.threads,
        "lm_eval_batch_sizes": [int(b) for b in args.lm_eval_batch_sizes.split(",")],
        "batch_tokens": args.batch_tokens,
        "ours_precision": resolve_precision(args.precision, torch.device(args.device)),
        "repeats": args.repeats,
        "tmp": str(tmp),
    }


def run_child(system: str, job: dict[str, Any], tmp: Path) -> dict[str, Any]:
    print(f"{system} ...", file=sys.stderr, flush=True)
    job_file, result_file = tmp / "job.json", tmp / "result.json"
    job_file.write_text(json.dumps(job))
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(job["threads"]),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "USE_HUB_KERNELS": "0",  # transformers would fetch CUDA kernels from the Hub
    }
    command = [sys.executable, __file__, "--child", system, "--job", str(job_file)]
    subprocess.run([*command, "--result", str(result_file)], check=True, env=env)
    result = json.loads(result_file.read_text())
    rate = job["pairs"] / result["seconds"]  # said at once: a run cut short keeps what it had
    print(f"{system}: {result['seconds']:.2f} s, {rate:.1f} pairs/s", file=sys.stderr, flush=True)
    return result


def warm_imports() -> None:
    """What both systems import lazily on their first model load, imported before the timer."""
    import lm_eval.models.huggingface  # noqa: F401
    import transformers.models.llama.modeling_llama  # noqa: F401
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401

    import gemeingut.serve.backends.transformers  # noqa: F401


def warm_device(device: str) -> None:
    """CUDA's context and kernels load on first use: that is start-up, not scoring."""
    import torch

    if device == "cuda":
        torch.ones(8, 8, device=device).matmul(torch.ones(8, 8, device=device)).sum().item()


def fastest(repeats: int, run: Callable[[int], list[float]]) -> dict[str, Any]:
    """The fastest of `repeats` timed calls of `run(i)`, with the last call's deltas."""
    best, deltas = float("inf"), []
    for i in range(repeats):
        start = time.perf_counter()
        deltas = run(i)
        best = min(best, time.perf_counter() - start)
    return {"seconds": best, "sentence_deltas": deltas}


def run_ours(job: dict[str, Any], precision: str) -> dict[str, Any]:
    import torch

    from gemeingut.audit.bias import read_pairs, score_pairs, summarize
    from gemeingut.audit.item_log import ItemLog
    from gemeingut.audit.target import LocalTarget

    torch.set_num_threads(job["threads"])
    pairs = read_pairs(Path(job["suite"]))
    warm_imports()
    target = LocalTarget(
        Path(job["model"]), "bench", "bench", job["batch_tokens"], precision, job["device"]
    )
    warm_device(job["device"])

    def run(i: int) -> list[float]:
        log = ItemLog(Path(job["tmp"]) / f"ours-{precision}-{i}.items.jsonl")  # a fresh run
        records = score_pairs(target, pairs, log)
        summarize(records)
        return [r["sentence_delta"] for r in records]

    result = fastest(job["repeats"], run)
    return result | {"precision": target.backend.precision, "batch": target.batch_tokens}


def run_endpoint(job: dict[str, Any], precision: str) -> dict[str, Any]:
    from gemeingut.audit.bias import read_pairs, score_pairs, summarize
    from gemeingut.audit.endpoint import EndpointTarget
    from gemeingut.audit.item_log import ItemLog
    from tests.http_server import serving_process

    pairs = read_pairs(Path(job["suite"]))
    with serving_process(job["model"], "bench") as url:
        target = EndpointTarget(f"{url}/v1", "bench")

        def run(i: int) -> list[float]:
            log = ItemLog(Path(job["tmp"]) / f"endpoint-{i}.items.jsonl")
            records = score_pairs(target, pairs, log)
            summarize(records)
            return [r["sentence_delta"] for r in records]

        result = fastest(job["repeats"], run)
    return result | {"precision": precision, "batch": "server's"}


def run_lm_eval(job: dict[str, Any], variant: str) -> dict[str, Any]:
    import torch
    import yaml
    from lm_eval.evaluator import evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    torch.set_num_threads(job["threads"])
    batch, precision = variant.split("/")
    tasks = Path(job["tmp"]) / "lm_eval_tasks"
    tasks.mkdir(exist_ok=True)
    config = {
        "task": "gg_bias_pairs",
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": job["suite"]}},
        "test_split": "test",
        "output_type": "multiple_choice",
        "doc_to_text": "",
        "doc_to_choice": "{{[stereotype, anti_stereotype]}}",
        "doc_to_target": 0,
        "target_delimiter": "",  # as lm-eval's crows_pairs: the sentence, no leading space
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
    }
    (tasks / "gg_bias_pairs.yaml").write_text(yaml.safe_dump(config), "utf-8")
    task_dict = TaskManager(include_path=str(tasks)).load(["gg_bias_pairs"])
    warm_imports()
    lm = HFLM(
        pretrained=job["model"],
        device=job["device"],
        dtype="float32",
        batch_size=int(batch),
        mixed_precision_dtype="bfloat16" if precision == "bf16" else None,
    )
    warm_device(job["device"])

    def run(i: int) -> list[float]:
        results = evaluate(lm, task_dict, log_samples=True, verbosity="ERROR")
        samples = sorted(results["samples"]["gg_bias_pairs"], key=lambda s: s["doc_id"])
        return [s["resps"][0][0][0] - s["resps"][1][0][0] for s in samples]

    return fastest(job["repeats"], run) | {"precision": precision, "batch": int(batch)}


def machine(device: str) -> str:
    import torch

    from gemeingut.model.machine import cpu_computes_bf16, cpu_model

    cpu = f"{cpu_model()} ({platform.machine()}), bf16 units: {cpu_computes_bf16()}"
    if device == "cuda":
        return f"{torch.cuda.get_device_name()}; CPU {cpu}"
    return cpu


def report(args: argparse.Namespace, job: dict[str, Any], results: dict[str, Any]) -> None:
    import torch

    pairs = job["pairs"]
    reference = results[f"lm_eval:{job['lm_eval_batch_sizes'][0]}/fp32"]["sentence_deltas"]
    threads = f", {job['threads']} CPU thread(s)" if job["device"] == "cpu" else ""
    print(
        f"\nmodel: LlamaForCausalLM preset {args.preset}, {job['parameters']:,} parameters, "
        f"vocabulary {job['vocabulary']}, on {job['device']}{threads}; fastest of "
        f"{args.repeats} timed runs each (model loaded before the timer)"
    )
    print(
        f"machine: {machine(job['device'])}, torch {torch.__version__}, "
        f"lm-eval {metadata.version('lm_eval')}, transformers {metadata.version('transformers')}"
    )
    print(f"pairs: {pairs} ({2 * pairs} sentences)\n")
    print(
        "| system | precision | batch | seconds | pairs/s | max Δ difference to lm-eval "
        "| same preference |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    labels = {
        "lm_eval": "lm-eval hf",
        "ours": "gemeingut in-process",
        "endpoint": "gemeingut serve (endpoint)",
    }
    rates: dict[tuple[str, str], float] = {}
    for system, result in results.items():
        kind = system.partition(":")[0]
        rate = pairs / result["seconds"]
        key = (kind, result["precision"])
        rates[key] = max(rates.get(key, 0.0), rate)
        deltas = result["sentence_deltas"]
        diff = max(abs(a - b) for a, b in zip(deltas, reference, strict=True))
        same = sum((a > 0) == (b > 0) for a, b in zip(deltas, reference, strict=True)) / pairs
        batch = result["batch"]
        batch_text = f"{batch:,} tokens" if kind == "ours" else str(batch)
        print(
            f"| {labels[kind]} | {result['precision']} | {batch_text} | {result['seconds']:.2f} "
            f"| {rate:.1f} | {diff:.1e} | {100 * same:.1f}% |"
        )
    print()
    ours = job["ours_precision"]
    print(
        f"ratio ours ({ours}, the audit's default) / lm-eval (fp32, its default): "
        f"{rates[('ours', ours)] / rates[('lm_eval', 'fp32')]:.2f}x"
    )
    for precision in ("fp32", "bf16"):
        if ("ours", precision) in rates and ("lm_eval", precision) in rates:
            ratio = rates[("ours", precision)] / rates[("lm_eval", precision)]
            print(f"ratio ours / lm-eval, both {precision}: {ratio:.2f}x")
    if ("endpoint", "fp32") in rates:
        ratio = rates[("endpoint", "fp32")] / rates[("ours", "fp32")]
        print(f"ratio endpoint / in-process (both fp32): {ratio:.2f}x")


if __name__ == "__main__":
    main()
