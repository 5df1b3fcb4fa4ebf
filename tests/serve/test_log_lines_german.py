"""What the server writes to its log for the operator is in the operator's language (German
unless GEMEINGUT_LANG says otherwise), as its answers are: every log call of the serve stage
passes a message put into words by `_()`, its literal only the `%s` that places it. Before,
the gateway's database failures, the retention's runs, a stream's failure and a 500's
"unexpected error" were logged in English only. (Prometheus' HELP lines are no log lines:
they stay English, by convention.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gemeingut.serve

LEVELS = frozenset({"debug", "info", "warning", "error", "exception", "critical"})
SERVE = Path(gemeingut.serve.__file__).parent


def english_log_lines(source: str) -> list[str]:
    """The literal texts of `log.<level>(…)` calls in `source` that hold words."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        called = node.func
        if called.attr not in LEVELS or not isinstance(called.value, ast.Name):
            continue
        if called.value.id != "log" or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and re.search(r"[A-Za-z]{2}", str(first.value)):
            found.append(f"line {node.lineno}: {first.value!r}")
    return found


def test_no_log_line_of_the_server_is_english_only() -> None:
    english = {
        str(path.relative_to(SERVE)): lines
        for path in sorted(SERVE.rglob("*.py"))
        if (lines := english_log_lines(path.read_text(encoding="utf-8")))
    }
    assert english == {}


def test_the_check_finds_an_english_line() -> None:
    assert english_log_lines('log.error("the %s failed", x)\nlog.error("%s", text(m))') == [
        "line 1: 'the %s failed'"
    ]
