"""A documented or recorded lm_eval command run as a person runs it: by bash, stopping at the
first error, with this environment's commands (lm_eval) first on PATH and Hugging Face
offline (the tests have no network)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_command(script: str, cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    """`script` run in `cwd` with `environment`; it must exit 0."""
    environment = environment | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    done = subprocess.run(
        ["bash", "-euc", script], cwd=cwd, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done
