"""What every command shares: user mistakes as one line and exit code 2, reports, option types.

User mistakes (`GemeingutError`) end as one line plus a hint and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.markup import escape

from gemeingut.errors import GemeingutError
from gemeingut.i18n import Message, _, text
from gemeingut.os_errors import os_error
from gemeingut.progress import console
from gemeingut.recipe import (
    describe,
)
from gemeingut.stage_names import artifact_name

F = TypeVar("F", bound=Callable[..., Any])
ERROR = _("error:")
HINT = _("hint:")


def user_errors(command: F) -> F:
    """Turn user mistakes into one readable line and exit code 2 (1 for system errors, and
    for an error whose class says so: a bundle that fails verification is no mistake in the
    call, `exit_code = 1`)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GemeingutError as exc:
            say(f"[bold red]{text(ERROR)}[/]", exc.message)
            if exc.hint:
                say(f"[bold]{text(HINT)}[/]", exc.hint)
            raise typer.Exit(getattr(exc, "exit_code", 2)) from None
        except ValidationError as exc:  # an option out of range
            say(
                f"[bold red]{text(ERROR)}[/]",
                _("invalid option: {problem}", problem=describe(exc)),
            )
            say(f"[bold]{text(HINT)}[/]", _("see `--help` for the allowed values"))
            raise typer.Exit(2) from None
        except KeyboardInterrupt:  # Ctrl-C: typer ended with 130 and no word
            from gemeingut.audit.item_log import interrupted_note

            console.print()  # below the terminal's "^C"
            console.print(text(interrupted_note()), highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(130) from None
        except BrokenPipeError:  # the reader of the output is gone: no error of the call
            raise
        except OSError as exc:  # a path the user gave that cannot be used, or a full disk
            message, hint, code = os_error(exc)
            say(f"[bold red]{text(ERROR)}[/]", message)
            if hint:
                say(f"[bold]{text(HINT)}[/]", hint)
            raise typer.Exit(code) from None

    return wrapper  # type: ignore[return-value]


def given_path(value: str) -> Path:
    """A path as the command line gave it (`parser=` of a path argument or option): typer
    would make an empty one ("" from a script's unset variable) the current folder, `.`, and
    `rag ingest NAME ""` would ingest whatever lies there. Refused in words instead."""
    if value == "":
        raise typer.BadParameter(
            text(_('the path is empty; name a file or folder ("." for the current folder)'))
        )
    return Path(value)


def given_source(value: str) -> str:
    """A folder or URL as the command line gave it (`parser=` of `rag ingest --embed`, `data
    fetch`): an empty one was taken as no embedder at all, or as the current folder; refused
    as `given_path` refuses an empty path."""
    if value == "":
        raise typer.BadParameter(text(_("the value is empty; name a folder or a URL")))
    return value


def given_policy(value: str) -> str:
    """A safety policy as the command line gave it (`serve --policy`): an empty one became the
    current folder, and the server said it could not read the policy file ".". Refused as
    `given_path` refuses an empty path."""
    if value == "":
        raise typer.BadParameter(
            text(_("the value is empty; name a policy file (YAML) or `default`"))
        )
    return value


def say(label: str, message: str | Message) -> None:
    """One unwrapped line on stderr; the text is escaped so `[...]` in it is not markup."""
    console.print(f"{label} {escape(text(message))}", highlight=False, soft_wrap=True)


def report(kind: str, artifact: Any, reused: bool, as_json: bool) -> None:
    if as_json:
        record = {"kind": kind, "path": str(artifact.path), "id": artifact.id, "reused": reused}
        typer.echo(json.dumps({**record, "stats": artifact.stats}, indent=2, ensure_ascii=False))
    else:
        where = {"kind": artifact_name(kind), "id": artifact.id, "path": artifact.path}
        if reused:
            say("[green]✓[/]", _("{kind} {id} reused: {path}", **where))
        else:
            say("[green]✓[/]", _("{kind} {id} built: {path}", **where))


JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
OutDir = Annotated[
    Path, typer.Option("--out", help="Directory for the new artifact.", parser=given_path)
]
# Training options that pretraining and fine-tuning share (their defaults differ).
BatchSize = Annotated[int, typer.Option(help="Sequences per micro-batch and device.")]
GradAccumulation = Annotated[
    int, typer.Option(help="Micro-batches per step (global batch = batch × this × devices).")
]
Threads = Annotated[int, typer.Option(help="torch threads per process.")]
Device = Annotated[str, typer.Option(help="auto (CUDA when available), cpu or cuda.")]
Precision = Annotated[
    str, typer.Option(help="auto (bf16 where the GPU or CPU has bf16 units), fp32 or bf16.")
]
