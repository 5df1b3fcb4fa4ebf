"""The audit's documents: `report.json` (everything), `report.de.md` and `report.en.md`, and one
plot per suite. The Markdown is written from `report.json` alone, so it can never say more than
was measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.audit.plots import write_plots
from gemeingut.audit.report_markdown import markdown, report_file
from gemeingut.audit.report_text import LANGUAGES
from gemeingut.workspace import write_json_atomic, write_text_atomic

REPORT_JSON = "report.json"


def write_report(report: dict[str, Any], out: Path) -> None:
    report["plots"] = {language: write_plots(report, out, language) for language in LANGUAGES}
    write_json_atomic(out / REPORT_JSON, report)
    for language in LANGUAGES:
        write_text_atomic(out / report_file(language), markdown(report, language))
