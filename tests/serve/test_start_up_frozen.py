"""What a server process made at start-up is frozen out of the garbage collector's passes
(`runner._freeze_start_up`), in each worker of `serve --workers` too: a worker is spawned and
builds its own app through `runner._worker_app`, where the single process's freeze in
`runner._serve` never runs. It was frozen in the single process only."""

from __future__ import annotations

import gc
from pathlib import Path

from gemeingut.serve.runner import _worker_app
from tests.serve.plans import small_plan


def test_a_workers_app_is_frozen_once_built(model_dir: Path) -> None:
    plan = small_plan(model_dir)
    gc.unfreeze()  # whatever froze before (nothing in the tests): counted from none
    try:
        _worker_app(plan)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
