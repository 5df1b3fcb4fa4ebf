"""Kill a training child process with SIGKILL right after it wrote a checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gemeingut.model.checkpoints import CHECKPOINT_DIR, INDEX_FILE

ROOT = Path(__file__).resolve().parents[2]


def kill_after_checkpoint(code: str, args: list[str], folder: Path, at_least: int) -> int:
    """Run `code` (Python, building into `folder`/b) in a child; once the checkpoint index of
    its partial directory names step `at_least` or later, kill -9 it. Returns that step."""
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=ROOT)
    try:
        step = _wait_for_checkpoint(folder, child, at_least)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    return step


def _wait_for_checkpoint(folder: Path, child: subprocess.Popen, at_least: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert child.poll() is None, "the training process ended before it could be killed"
        for index in folder.glob(f".b.*.partial/{CHECKPOINT_DIR}/{INDEX_FILE}"):
            try:
                steps = [int(s) for s in json.loads(index.read_text())["checkpoints"]]
            except (OSError, ValueError):
                continue
            if steps and max(steps) >= at_least:
                return max(steps)
        time.sleep(0.02)
    raise AssertionError("no checkpoint appeared in time")
