"""The `gemeingut` command: parses arguments, calls one stage, prints what happened.

One module per command group; each registers its commands on the Typer apps in `app.py`.
"""

from gemeingut.cli import (  # noqa: F401  (registers the commands)
    admin,
    assist,
    audit,
    data,
    model,
    pipeline,
    rag,
    release,
)
from gemeingut.cli.app import app
from gemeingut.cli.help_language import main

__all__ = ["app", "main"]
