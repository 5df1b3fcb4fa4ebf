"""The plan of a server process on the tests' tiny model, for tests that build its app as
`serve` does (`runner.build_app`, `runner._worker_app`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from gemeingut.serve.runner import AppPlan, Placement


def small_plan(model_dir: Path, **changes: Any) -> AppPlan:
    """A plan with no gateway, collections or policy; `changes` set the fields a test needs."""
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
    return replace(plan, **changes)
