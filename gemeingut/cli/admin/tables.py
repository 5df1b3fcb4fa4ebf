"""Rows as a person reads them (a table in their language, nothing cut off) or a script does
(`--json`: column names and values as they are)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import typer

from gemeingut.i18n import _, current_language, decimal, text
from gemeingut.serve.gateway.local_clock import iso_utc, local_date_time, local_expiry

ID_COLUMNS = ("id", "subject")  # what an operator copies into the next command
ID_CHARS = 32  # a key id column's width
PIPE_WIDTH = 100_000  # a table's width when stdout is no terminal: no column is cut


# A table's headings and values as a person reads them (German by default); `--json` keeps
# the column names and values as they are, for scripts (as the server's 429 keeps a limit's
# identifier, tokens_per_day, in its JSON `param`, and names it in words in its message).
LIMIT_LABELS = {  # a quota's limits as a person reads them (set with --tokens-per-day …)
    "requests_per_minute": _("requests/minute"),
    "tokens_per_day": _("tokens/day"),
    "concurrent_streams": _("concurrent streams"),
}
_HEADINGS = {
    **LIMIT_LABELS,
    "name": _("name"),
    "groups": _("groups"),
    "disabled": _("disabled"),
    "created_at": _("created"),
    "id": _("id"),
    "user": _("user"),
    "models": _("models"),
    "expires_at": _("expires"),
    "revoked_at": _("revoked"),
    # Noted when a request shows the key and it is valid, also where the request is then
    # refused (a model outside its scope, a quota): shown, not necessarily used (`keys list`).
    "last_used_at": _("last presented"),
    "subject_kind": _("kind"),
    "subject": _("name"),
    "tokens_today": _("tokens today"),
    "open_streams": _("open streams"),
}
_VALUES = {
    "models": {"all": _("all")},
    "subject_kind": {
        "key": _("key"),
        "user": _("user"),
        "group": _("group"),
        "member": _("group, per member"),
    },
}


def print_rows(rows: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        shown = [plain(row) for row in rows]
        typer.echo(json.dumps(shown, indent=2, default=str, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    cells = [[_cell(column, row.get(column)) for column in columns] for row in rows]
    table = Table()
    for i, column in enumerate(columns):
        # Nothing is cut off with an ellipsis, also in an 80-column pipe or cron mail: ids keep
        # their full width, longer values fold onto the next line.
        widest = max((len(r[i]) for r in cells), default=0)
        wide = min(widest, ID_CHARS) if column in ID_COLUMNS else None
        table.add_column(text(_HEADINGS.get(column, column)), min_width=wide, overflow="fold")
    for row in cells:
        table.add_row(*row)
    # On a terminal the table fits its width; into a pipe or a file (`| cat`, cron mail) no
    # width cuts a column off: a script gets every column.
    piped = not sys.stdout.isatty()
    Console(file=sys.stdout, width=PIPE_WIDTH if piped else None).print(table)


def plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row for JSON/CSV: times in ISO 8601 UTC with `Z`, the rest as it is."""
    return {
        name: iso_utc(value) if isinstance(value, datetime) else value
        for name, value in row.items()
    }


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return text(_("yes") if value else _("no"))
    if isinstance(value, datetime):  # as messages say a time: 31.01.2027, 18:00 Uhr (MEZ)
        return text(local_expiry(value) if column == "expires_at" else local_date_time(value))
    if isinstance(value, int) and column not in ID_COLUMNS:  # 100.000, as messages write it
        return decimal(value, 0, current_language())
    shown = _VALUES.get(column, {}).get(value)
    return text(shown) if shown is not None else str(value)
