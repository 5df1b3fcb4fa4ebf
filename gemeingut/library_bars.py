"""The progress bars of the libraries a stage calls (lm-eval, datasets, transformers, the Hub)
kept off: they are English ("Map: 100%", "Generating train split"), redrawn line by line, and
bury the stage's own German lines (`progress.py`, which draws with rich, not tqdm).

All of them are tqdm bars; lm-eval creates its own without a way to turn them off, so while a
stage calls the libraries every tqdm bar is created disabled.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# read by tqdm and the Hub libraries when they are imported: a process that sets them first
# (the CLI) never draws their bars; a user who sets them otherwise is obeyed
ENVIRONMENT = {
    "TQDM_DISABLE": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}
_lock = threading.Lock()
_inside = 0  # library_bars_off contexts open now (threads of one process share tqdm)


def off_by_default() -> None:
    """Before the libraries are imported: their bars start off, unless the variables are set."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)


@contextmanager
def library_bars_off() -> Iterator[None]:
    """Inside: every tqdm bar is created disabled, whoever creates it; outside, as before."""
    from tqdm import std

    global _inside
    with _lock:
        if _inside == 0:
            original = std.tqdm.__init__

            def disabled(self: Any, *args: Any, **kwargs: Any) -> None:
                kwargs["disable"] = True
                original(self, *args, **kwargs)

            disabled.original = original  # type: ignore[attr-defined]
            std.tqdm.__init__ = disabled  # type: ignore[method-assign]
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                std.tqdm.__init__ = std.tqdm.__init__.original  # type: ignore[method-assign]
