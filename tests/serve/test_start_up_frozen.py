"""What a server process made at start-up is frozen out of the garbage collector's passes
(`runner._freeze_start_up`), in each worker of `serve --workers` too: a worker is spawned and
builds its own app through `runner._worker_app`, where the single process's freeze in
`runner._serve` never runs. It was frozen in the single process only."""

from __future__ import annotations

import gc
from pathlib import Path

from gemeingut.serve.runner import AppPlan, Placement, _worker_app


def test_a_workers_app_is_frozen_once_built(model_dir: Path, tmp_path: Path) -> None:
    plan = AppPlan(
        model_dir=model_dir,
        path=model_dir,
        model_name="klein",
        upstream=None,
        upstream_model=None,
        api_key=None,
        placement=Placement("cpu", "fp32"),
        threads=None,
        hosts=None,
        max_body_bytes=1024 * 1024,
        max_waiting=4,
        db=None,
        content_log_days=None,
        audit_retention_days=None,
        policy=None,
        oidc=None,
        oidc_key=None,
        collections=None,
        findings=None,
        triage_group="triage",
        trace_data=None,
        reranker=None,
        also=(),
    )
    gc.unfreeze()  # whatever froze before (nothing in the tests): counted from none
    try:
        _worker_app(plan)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
