"""Run phase-1 tasks: in this process, in local worker processes, or on a Ray cluster.

Local workers are forked where the platform can (Linux): `spawn` would re-run the caller's main
script in every worker, which breaks any script that calls curate without a `__main__` guard.
The tasks use no threads of their own, so forking is safe.

With Ray, each task is one remote call; results stay on disk (the work folder must therefore be
on storage that every node sees) and the merge runs here, so the output is the same bytes as a
local run. `RAY_ADDRESS` names an existing cluster; without it a local Ray instance is started.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Literal, TypeVar

from gemeingut.errors import InputError
from gemeingut.i18n import _

T = TypeVar("T")
Executor = Literal["local", "ray"]


def run_tasks(
    fn: Callable[[T], object],
    tasks: list[T],
    workers: int,
    advance: Callable[..., None],
    executor: Executor = "local",
) -> None:
    """Run `fn(task)` for every task; the first failure cancels the rest and is raised."""
    if executor == "ray":
        _run_on_ray(fn, tasks, workers, advance)
    elif workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            fn(task)
            advance(1)
    else:
        _run_in_processes(fn, tasks, workers, advance)


def _run_in_processes(
    fn: Callable[[T], object], tasks: list[T], workers: int, advance: Callable[..., None]
) -> None:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=context, initializer=_die_with_parent
    ) as pool:
        futures = [pool.submit(fn, task) for task in tasks]
        try:
            for future in as_completed(futures):
                future.result()
                advance(1)
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _die_with_parent() -> None:
    """On Linux, ask the kernel to end this worker when the process that started it dies, so
    `kill` on a curate run leaves no workers behind that keep writing its files."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the request was made
        os._exit(1)


def _run_on_ray(
    fn: Callable[[T], object], tasks: list[T], workers: int, advance: Callable[..., None]
) -> None:
    try:
        import ray
    except ImportError:
        raise InputError(
            _("the Ray executor needs the `ray` package"), _("pip install 'gemeingut[ray]'")
        ) from None
    started_here = not ray.is_initialized()
    if started_here:
        address = os.environ.get("RAY_ADDRESS")
        options = {} if address else {"num_cpus": workers}
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            **options,
        )
    try:
        remote = ray.remote(num_cpus=1)(_call)
        pending = [remote.remote(fn, task) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            ray.get(done)  # re-raises a task's error (Ray keeps its original class)
            advance(len(done))
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started_here:
            ray.shutdown()


def _call(fn: Callable[[T], object], task: T) -> object:
    return fn(task)
