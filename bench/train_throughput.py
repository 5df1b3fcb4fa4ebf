"""Benchmark: our pretraining loop against the Hugging Face `Trainer`, same model, one run.

    .venv/bin/python bench/train_throughput.py --preset small            # CPU, ~8M parameters
    .venv/bin/python bench/train_throughput.py --preset demo --threads 2
    .venv/bin/python bench/train_throughput.py --device cuda --preset 125m --seq-len 1024

Both systems train the same `LlamaForCausalLM` (same preset, tokenizer, initial weights, data
windows, micro-batch, sequence length, threads, precision) with AdamW (fused), a cosine schedule
and gradient clipping, each in a fresh subprocess so neither inherits the other's caches.
`--precision auto` resolves as our trainer does (bf16 on a CPU with bf16 units) for both;
`--trainer-precision fp32` gives the Trainer its own default instead. The Trainer runs the
model's default attention (SDPA); `--trainer-attention gemeingut` gives it our CPU kernel
choice too (`gemeingut/model/attention.py`), which isolates what the rest of our loop adds. Speed
is tokens per second over the steps after `--warmup` (total tokens / total time; ours: from the
per-step times in our training log, start of a step to start of the next, on the device's clock;
Trainer: wall time between two callbacks, the GPU waited for there only). The Trainer gets
`input_ids` = the window without its last token and `labels` = the same ids (it shifts them
itself), so both run the forward on `seq_len` tokens per sequence.

MFU = model FLOPs per token (6·N + 12·L·d·T) × tokens/s ÷ the peak our training process
measures just before it trains (best of several square matmuls: fp32 n=2048 on CPU with the
same threads, bf16 n=8192 on CUDA). Data: the first `--docs` federal laws of
`../shared/corpora/gesetze.parquet` (the demo corpus where that is missing), 95 % train.
Needs `accelerate` (the Trainer imports it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LAWS = ROOT.parent / "shared" / "corpora" / "gesetze.parquet"
DEMO = ROOT / "examples" / "demo" / "corpus" / "documents.jsonl"
VOCAB = {"micro": 512, "demo": 2048, "small": 8192, "125m": 32768, "1b": 32768}


def main() -> None:
    args = parse_args()
    if args.child:
        job = json.loads(Path(args.job).read_text())
        result = run_ours(job) if args.child == "ours" else run_trainer(job)
        Path(args.result).write_text(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        job = prepare(args, Path(tmp))
        results: dict[str, list[dict[str, Any]]] = {"ours": [], "trainer": []}
        systems = ["trainer", "ours"] if args.order == "trainer-first" else ["ours", "trainer"]
        if args.only:
            systems = [args.only]
        for repeat in range(args.repeats):
            for system in systems:
                print(f"[{repeat + 1}/{args.repeats}] {system} ...", file=sys.stderr, flush=True)
                results[system].append(run_child(system, job, Path(tmp) / f"{system}{repeat}"))
        report(args, job, results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5, help="steps left out of the timing")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--grad-accumulation", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--vocab-size", type=int, default=None, help="default: by preset")
    parser.add_argument("--docs", type=int, default=400, help="laws read from the corpus")
    parser.add_argument("--corpus", type=Path, default=LAWS)
    parser.add_argument("--compile", action="store_true", help="torch.compile in both")
    parser.add_argument(
        "--trainer-precision",
        default="same",
        choices=["same", "fp32", "bf16"],
        help="the Trainer's precision; fp32 is its default (bf16=False)",
    )
    parser.add_argument(
        "--trainer-attention",
        default="sdpa",
        choices=["sdpa", "gemeingut"],
        help="the Trainer's attention: the model's default, or the kernel choice ours makes",
    )
    parser.add_argument("--repeats", type=int, default=1, help="alternating runs of each")
    parser.add_argument("--order", default="trainer-first", choices=["trainer-first", "ours-first"])
    parser.add_argument("--only", choices=["ours", "trainer"])
    parser.add_argument("--child", choices=["ours", "trainer"], help=argparse.SUPPRESS)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser.parse_args()


def prepare(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Write a dataset directory (train/validation shards) and train its tokenizer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gemeingut.data.shards import SCHEMA, SHARD_DIR
    from gemeingut.model.tokenizer import train_tokenizer

    texts = read_texts(args.corpus, args.docs)
    split = max(1, len(texts) * 95 // 100)
    dataset = tmp / "dataset"
    (dataset / SHARD_DIR).mkdir(parents=True)
    for name, part in (("train", texts[:split]), ("validation", texts[split:] or texts[:1])):
        rows = [{"id": str(i), "text": t, "source": "bench"} for i, t in enumerate(part)]
        table = pa.Table.from_pylist(rows, schema=SCHEMA)
        pq.write_table(table, dataset / SHARD_DIR / f"{name}-00000.parquet")
    vocab = args.vocab_size or VOCAB.get(args.preset, 8192)
    started = time.perf_counter()
    train_tokenizer(iter(texts[:split]), tmp / "tokenizer", vocab)
    print(f"tokenizer ({vocab}) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return {
        "dataset": str(dataset),
        "tokenizer": str(tmp / "tokenizer"),
        "out": str(tmp),
        "corpus": f"{args.corpus.name if args.corpus.exists() else DEMO.name}, {len(texts)} docs",
        "training": {
            "steps": args.steps,
            "batch_size": args.batch_size,
            "seq_len": args.seq_len,
            "grad_accumulation": args.grad_accumulation,
            "threads": args.threads,
            "device": args.device,
            "precision": args.precision,
            "compile": args.compile,
            "learning_rate": 1e-3,
            "warmup_steps": min(10, args.steps // 2),
            "seed": 0,
        },
        "preset": args.preset,
        "warmup": args.warmup,
        "trainer_precision": args.trainer_precision,
        "trainer_attention": args.trainer_attention,
    }


def read_texts(corpus: Path, limit: int) -> list[str]:
    if corpus.exists():
        import pyarrow.parquet as pq

        return pq.read_table(corpus, columns=["text"]).column("text").to_pylist()[:limit]
    return [json.loads(line)["text"] for line in DEMO.open(encoding="utf-8")][:limit]


def run_child(system: str, job: dict[str, Any], folder: Path) -> dict[str, Any]:
    folder.mkdir()
    (folder / "job.json").write_text(json.dumps({**job, "out": str(folder)}))
    threads = str(job["training"]["threads"])
    env = {**os.environ, "OMP_NUM_THREADS": threads, "TOKENIZERS_PARALLELISM": "false"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    command = [sys.executable, __file__, "--child", system, "--job", str(folder / "job.json")]
    subprocess.run([*command, "--result", str(folder / "result.json")], check=True, env=env)
    return json.loads((folder / "result.json").read_text())


def run_ours(job: dict[str, Any]) -> dict[str, Any]:
    from gemeingut.model.pretrain import LOG_FILE, METADATA_FILE, pretrain
    from gemeingut.model.training_log import read_records
    from gemeingut.recipe import ModelSection, TrainingSection

    t = job["training"]
    steps = t["steps"]
    training = TrainingSection(**t, eval_every=steps, eval_batches=1, checkpoint_every=steps)
    out = Path(job["out"]) / "model"
    out.mkdir()
    pretrain(
        Path(job["dataset"]),
        Path(job["tokenizer"]),
        ModelSection(preset=job["preset"], training=training),
        out,
    )
    rates = [r["tokens_per_s"] for r in read_records(out / LOG_FILE) if r["step"] > job["warmup"]]
    meta = json.loads((out / METADATA_FILE).read_text())
    return {
        "tokens_per_s": len(rates) / sum(1 / r for r in rates),  # total tokens / total time
        "peak_flops_per_s": meta["flops"]["peak_flops_per_s"],
        "peak_method": meta["flops"]["peak_method"],
        "flops_per_token": meta["flops"]["model_flops_per_token"],
        "parameters": meta["stats"]["parameters"],
        "precision": meta["precision"],
        "hardware": meta["hardware"],
        "final_loss": read_records(out / LOG_FILE)[-1]["loss"],
    }


def run_trainer(job: dict[str, Any]) -> dict[str, Any]:
    import torch
    from transformers import (
        AutoTokenizer,
        LlamaForCausalLM,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    from gemeingut.model.attention import use_for_training
    from gemeingut.model.data_order import pack_split
    from gemeingut.model.machine import resolve_device, resolve_precision
    from gemeingut.model.run_state import build_config
    from gemeingut.model.token_file import tokenize_split
    from gemeingut.recipe import ModelSection, TrainingSection

    t = job["training"]
    torch.set_num_threads(t["threads"])
    section = ModelSection(preset=job["preset"], training=TrainingSection(**t))
    tokenizer = AutoTokenizer.from_pretrained(job["tokenizer"])
    with tempfile.TemporaryDirectory(prefix="gemeingut-bench-tokens-") as folder:
        tokens = Path(folder)
        tokenize_split(Path(job["dataset"]), "train", tokenizer, tokens)
        packed = pack_split(tokens, "train", t["seq_len"], Path(job["dataset"]))
        windows = packed.rows(range(len(packed)))  # in memory: the Trainer's usual dataset
    torch.manual_seed(t["seed"])
    model = LlamaForCausalLM(build_config(section, tokenizer))
    device = resolve_device(t["device"])
    same = job["trainer_precision"] == "same"
    precision = resolve_precision(t["precision"] if same else job["trainer_precision"], device)
    if job["trainer_attention"] == "gemeingut":
        use_for_training(model, device)

    class Windows(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return len(windows)

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            ids = windows[i, :-1]
            return {"input_ids": ids, "labels": ids}

    class StepTimer(TrainerCallback):
        """Wall time from the end of the warm-up steps to the end of the last step (the GPU
        is waited for at those two points only, so the Trainer runs as it always does)."""

        def __init__(self) -> None:
            self.marks: list[float] = []

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step in (job["warmup"], t["steps"]):
                if t["device"] == "cuda":
                    torch.cuda.synchronize()
                self.marks.append(time.perf_counter())

    arguments = TrainingArguments(
        output_dir=str(Path(job["out"]) / "trainer"),
        per_device_train_batch_size=t["batch_size"],
        gradient_accumulation_steps=t["grad_accumulation"],
        max_steps=t["steps"],
        learning_rate=t["learning_rate"],
        warmup_steps=t["warmup_steps"],
        lr_scheduler_type="cosine",
        weight_decay=0.1,
        adam_beta2=0.95,
        max_grad_norm=1.0,
        logging_strategy="no",
        save_strategy="no",
        eval_strategy="no",
        report_to=[],
        use_cpu=t["device"] == "cpu",
        bf16=precision == "bf16",
        torch_compile=t["compile"],
        dataloader_num_workers=0,
        seed=t["seed"],
        disable_tqdm=True,
    )
    timer = StepTimer()
    trainer = Trainer(model=model, args=arguments, train_dataset=Windows(), callbacks=[timer])
    trainer.train()
    tokens = t["batch_size"] * t["grad_accumulation"] * t["seq_len"]
    start, end = timer.marks
    return {
        "tokens_per_s": tokens * (t["steps"] - job["warmup"]) / (end - start),
        "optimizer": str(arguments.optim),
        "precision": precision,
        "attention": model.config._attn_implementation,
        "threads": torch.get_num_threads(),
    }


def report(args: argparse.Namespace, job: dict[str, Any], results: dict[str, list]) -> None:
    ours, theirs = results["ours"], results["trainer"]
    ref = ours[0] if ours else None
    print(f"\n## Training throughput: gemeingut vs Hugging Face Trainer ({args.preset})\n")
    print("| system | tokens/s (median of runs) | each run | MFU |")
    print("|---|---:|---:|---:|")
    speeds = {}
    for name, runs in (("gemeingut `pretrain`", ours), ("HF `Trainer`", theirs)):
        if not runs:
            continue
        speed = statistics.median(r["tokens_per_s"] for r in runs)
        speeds[name] = speed
        each = ", ".join(f"{r['tokens_per_s']:,.0f}" for r in runs)
        share = f"{ref['flops_per_token'] * speed / ref['peak_flops_per_s']:.1%}" if ref else "–"
        print(f"| {name} | {speed:,.0f} | {each} | {share} |")
    if len(speeds) == 2:
        a, b = speeds.values()
        print(f"\nRatio gemeingut / Trainer: **{a / b:.2f}×**")
    if ref:
        print(
            f"\nModel: preset `{args.preset}`, {ref['parameters']:,} parameters, "
            f"{ref['flops_per_token'] / 1e6:.1f} MFLOP per token (6·N + 12·L·d·T); "
            f"precision {ref['precision']}. Peak: {ref['peak_flops_per_s'] / 1e9:,.1f} GFLOP/s "
            f"({ref['peak_method']})."
        )
    if theirs:
        print(
            f"Trainer: precision {theirs[0]['precision']}, attention "
            f"{theirs[0]['attention']} (ours: the `gemeingut_matmul` path in bf16 up to "
            "192 tokens on a CPU, SDPA otherwise)."
        )
    t = job["training"]
    print(
        f"Batch {t['batch_size']} × {t['seq_len']} tokens, grad accumulation "
        f"{t['grad_accumulation']}, {t['threads']} thread(s), {t['steps']} steps "
        f"(first {args.warmup} not timed), compile {t['compile']}; data: {job['corpus']}."
    )
    print(f"\nCommand: `{' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}`")
    hw = ref["hardware"] if ref else {}
    gpu = f", GPU {hw['gpu_name']}" if hw.get("gpu_name") else ""
    print(
        f"Machine: {os.cpu_count()} CPUs ({hw.get('cpu_model', platform.processor())}){gpu}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"torch {metadata.version('torch')}, transformers {metadata.version('transformers')}, "
        f"accelerate {metadata.version('accelerate')}"
    )
    print(f"Date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")


if __name__ == "__main__":
    main()
