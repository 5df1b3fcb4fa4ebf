"""`gemeingut assist vermerk` under a limit that stays names the parts it could not write.
Before, a draft cut short by a limit said "draft written as far as it got" and the limit's
message: which parts are missing was only in the file, and a memo written to `--out` read on
the terminal like one written whole but for a warning. Now the parts not written are named on
the terminal before why and when to try again (exit 2). The office of
test_draft_cli_limits.py: real HTTP on loopback, a real SQLite gateway, the tiny model, a
requests-per-minute limit whose Retry-After the test wrapper makes 0 s."""

from __future__ import annotations

import re
from pathlib import Path

from tests.apps.assistants.test_draft_cli_limits import Office, office

__all__ = ["office"]  # the fixture, used by name


def test_a_memo_cut_short_names_the_parts_not_written(office: Office, tmp_path: Path) -> None:
    # 1 a minute: the first part is written; a later one is refused in the same minute, and
    # asked again after the 0 s waits, refused still (should the minute end meanwhile, the
    # next part is refused in the next)
    out = tmp_path / "vermerk.md"
    shown = office.memo_cut_short(out, per_minute=1)
    headings = re.findall(
        r"^## (.+)\n\nDieser Teil wurde nicht geschrieben\.", out.read_text(encoding="utf-8"), re.M
    )
    assert headings and headings[-1] == "Vorschlag"
    assert f"! Nicht geschriebene Teile: {', '.join(headings)}. " in shown
    # named before the reason, which comes last with when to try again
    assert shown.index("Nicht geschriebene Teile") < shown.index("versuchen Sie es um")
