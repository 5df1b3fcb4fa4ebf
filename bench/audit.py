"""Benchmark: our batched bias-pair scoring vs lm-evaluation-harness (`--model hf`), one run.

    .venv/bin/python bench/audit.py                      # preset small (~8M), 1 thread
    .venv/bin/python bench/audit.py --preset 125m --repeat-pairs 1
    .venv/bin/python bench/audit.py --no-endpoint        # skip the endpoint comparison

Both score the same minimal pairs (our German bias suites, `--repeat-pairs` times over) with
the same freshly initialised `LlamaForCausalLM` (preset, our tokenizer trained on the suites'
sentences) on the CPU with the same thread count. lm-eval runs the model as saved (float32,
its default `dtype=auto`); ours runs at the audit's default precision `auto` (bf16 autocast on
a CPU with bf16 units, else fp32) and, for the equal-precision ratio, at fp32 too. lm-eval
gets them as a log-likelihood task (`multiple_choice`, empty context, the two sentences as
choices: the requests its `crows_pairs` sends), run with `simple_evaluate` at
`--lm-eval-batch-size`. Ours
is `gemeingut.audit.bias.score_pairs` on a `LocalTarget` (batches of `--batch-tokens` padded
tokens). Each system runs in its own subprocess; the timed part starts before the model is
loaded and ends when the per-category results exist (imports are left out for both). The
whole-sentence log-likelihoods are compared pair by pair with lm-eval's (largest difference,
and the share of pairs whose preference agrees), so the speed-up is for the same numbers.

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
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    args = parse_args()
    if args.child:
        job = json.loads(Path(args.job).read_text())
        runs = {
            "ours": run_ours,
            "ours_fp32": run_ours,
            "lm_eval": run_lm_eval,
            "endpoint": run_endpoint,
        }
        child_job = {**job, "precision": "fp32"} if args.child == "ours_fp32" else job
        result = runs[args.child](child_job)
        Path(args.result).write_text(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        job = prepare(args, Path(tmp))
        results: dict[str, dict[str, Any]] = {}
        systems = ["lm_eval", "ours", "ours_fp32"] + ([] if args.no_endpoint else ["endpoint"])
        for repeat in range(args.repeats):  # alternating, the fastest run of each counts
            for system in systems:
                print(f"[{repeat + 1}/{args.repeats}] {system} ...", file=sys.stderr, flush=True)
                for log in Path(tmp).glob("*.items.jsonl"):
                    log.unlink()  # a fresh run, not a resumed one
                result = run_child(system, job, Path(tmp))
                if system not in results or result["seconds"] < results[system]["seconds"]:
                    results[system] = result
        report(args, job, results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.add_argument("--repeat-pairs", type=int, default=2, help="times over the suites")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lm-eval-batch-size", type=int, default=32)
    parser.add_argument("--batch-tokens", type=int, default=1024)
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--no-endpoint", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="runs per system (fastest)")
    parser.add_argument("--child", choices=["ours", "ours_fp32", "lm_eval", "endpoint"])
    parser.add_argument("--job")
    parser.add_argument("--result")
    return parser.parse_args()


def prepare(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """A model folder and the pairs, written once for every system."""
    import torch
    from transformers import LlamaForCausalLM

    from gemeingut.audit.bias import default_suite, read_pairs
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
        "threads": args.threads,
        "lm_eval_batch_size": args.lm_eval_batch_size,
        "batch_tokens": args.batch_tokens,
        "precision": args.precision,
        "tmp": str(tmp),
    }


def run_child(system: str, job: dict[str, Any], tmp: Path) -> dict[str, Any]:
    job_file, result_file = tmp / "job.json", tmp / f"{system}.json"
    job_file.write_text(json.dumps(job))
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(job["threads"]),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            system,
            "--job",
            str(job_file),
            "--result",
            str(result_file),
        ],
        check=True,
        env=env,
    )
    return json.loads(result_file.read_text())


def warm_imports() -> None:
    """What both systems import lazily on their first model load, imported before the timer."""
    import lm_eval.models.huggingface  # noqa: F401
    import transformers.models.llama.modeling_llama  # noqa: F401
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401

    import gemeingut.serve.backends.transformers  # noqa: F401


def run_ours(job: dict[str, Any]) -> dict[str, Any]:
    import torch

    from gemeingut.audit.bias import read_pairs, score_pairs, summarize
    from gemeingut.audit.item_log import ItemLog
    from gemeingut.audit.target import LocalTarget

    torch.set_num_threads(job["threads"])
    pairs = read_pairs(Path(job["suite"]))
    warm_imports()
    start = time.perf_counter()
    target = LocalTarget(
        Path(job["model"]), "bench", "bench", job["batch_tokens"], job["precision"]
    )
    log = Path(job["tmp"]) / f"ours-{job['precision']}.items.jsonl"
    records = score_pairs(target, pairs, ItemLog(log))
    summarize(records)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "sentence_deltas": [r["sentence_delta"] for r in records],
        "precision": target.backend.precision,
    }


def run_endpoint(job: dict[str, Any]) -> dict[str, Any]:
    from gemeingut.audit.bias import read_pairs, score_pairs, summarize
    from gemeingut.audit.endpoint import EndpointTarget
    from gemeingut.audit.item_log import ItemLog
    from tests.http_server import serving_process

    pairs = read_pairs(Path(job["suite"]))
    with serving_process(job["model"], "bench") as url:
        start = time.perf_counter()
        target = EndpointTarget(f"{url}/v1", "bench")
        records = score_pairs(target, pairs, ItemLog(Path(job["tmp"]) / "endpoint.items.jsonl"))
        summarize(records)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "sentence_deltas": [r["sentence_delta"] for r in records]}


def run_lm_eval(job: dict[str, Any]) -> dict[str, Any]:
    import lm_eval
    import torch
    import yaml
    from lm_eval.tasks import TaskManager

    torch.set_num_threads(job["threads"])
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
    manager = TaskManager(include_path=str(tasks))
    warm_imports()
    start = time.perf_counter()
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={job['model']},dtype=float32",
        tasks=["gg_bias_pairs"],
        task_manager=manager,
        batch_size=job["lm_eval_batch_size"],
        device="cpu",
        log_samples=True,
        verbosity="ERROR",
    )
    seconds = time.perf_counter() - start
    samples = sorted(results["samples"]["gg_bias_pairs"], key=lambda s: s["doc_id"])
    deltas = [s["resps"][0][0][0] - s["resps"][1][0][0] for s in samples]
    return {"seconds": seconds, "sentence_deltas": deltas}


def report(args: argparse.Namespace, job: dict[str, Any], results: dict[str, Any]) -> None:
    import torch

    from gemeingut.model.machine import cpu_computes_bf16, cpu_model

    pairs = job["pairs"]
    reference = results["lm_eval"]["sentence_deltas"]
    print(
        f"\nmodel: LlamaForCausalLM preset {args.preset}, {job['parameters']:,} parameters, "
        f"vocabulary {job['vocabulary']}, {job['threads']} thread(s); fastest of "
        f"{args.repeats} alternating runs each"
    )
    print(
        f"machine: {cpu_model()} ({platform.machine()}), bf16 units: {cpu_computes_bf16()}, "
        f"torch {torch.__version__}, lm-eval {metadata.version('lm_eval')}"
    )
    print(
        f"pairs: {pairs} ({2 * pairs} sentences); lm-eval batch {job['lm_eval_batch_size']}, "
        f"ours {job['batch_tokens']} padded tokens per batch"
    )
    print(
        f"{'system':<30}{'precision':>10}{'seconds':>9}{'pairs/s':>9}{'max |Δ-Δ_lm|':>14}"
        f"{'same sign':>11}"
    )
    rate = {}
    for system, label in (
        ("lm_eval", "lm-eval hf"),
        ("ours", "gemeingut in-process"),
        ("ours_fp32", "gemeingut in-process"),
        ("endpoint", "gemeingut serve (endpoint)"),
    ):
        if system not in results:
            continue
        result = results[system]
        rate[system] = pairs / result["seconds"]
        deltas = result["sentence_deltas"]
        diff = max(abs(a - b) for a, b in zip(deltas, reference, strict=True))
        same = sum((a > 0) == (b > 0) for a, b in zip(deltas, reference, strict=True)) / pairs
        precision = result.get("precision", "fp32")
        print(
            f"{label:<30}{precision:>10}{result['seconds']:>9.2f}{rate[system]:>9.1f}"
            f"{diff:>14.2e}{100 * same:>10.1f}%"
        )
    print(
        f"ratio ours ({results['ours']['precision']}) / lm-eval: "
        f"{rate['ours'] / rate['lm_eval']:.2f}x"
    )
    print(f"ratio ours (fp32) / lm-eval: {rate['ours_fp32'] / rate['lm_eval']:.2f}x")
    if "endpoint" in rate:
        print(
            f"ratio endpoint / in-process (both fp32): {rate['endpoint'] / rate['ours_fp32']:.2f}x"
        )


if __name__ == "__main__":
    main()
