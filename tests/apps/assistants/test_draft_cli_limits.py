"""`gemeingut assist vermerk` and `rag query --answer` against a server whose limits refuse
them. Before, a 429 in a memo's second part lost the part already written, said "check the
model id and the key" and never when to try again, and a requests-per-minute limit ended the
command although waiting a few seconds would have done. Now the parts written are kept (the
rest say they are not written and why), the server's message (in the user's language) and its
Retry-After are said, the command exits 2; a short Retry-After is waited out, said, a bounded
number of times. Real HTTP on loopback, a real SQLite gateway, the tiny model.

A test cannot wait for a real minute to end: in the tests of the minute's limit, `ShortWaits`
stands outside the real app, sets a 429's Retry-After to 0 s and, where the test says so,
lifts the limit at that 429, as the end of the minute would. The refusals are the server's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.concurrency import run_in_threadpool

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import open_store
from tests.http_server import running_server
from tests.test_cli import invoke

MEMO = """# Richtlinie mobiles Arbeiten

## Pauschale

Für mobiles Arbeiten zahlt die Stadt eine Pauschale von 25 Euro monatlich bei Vollzeit.
"""


class ShortWaits:
    """The app; with `shorten`, each 429's Retry-After made 0 s; with `lift` too, the user's
    requests-per-minute limit is lifted as the first 429 passes (the minute has ended)."""

    def __init__(self, app, store) -> None:
        self.app, self.store = app, store
        self.shorten = self.lift = False

    async def __call__(self, scope, receive, send) -> None:
        async def sending(message) -> None:
            start = message["type"] == "http.response.start"
            if start and self.shorten and message["status"] == 429:
                if self.lift:
                    self.lift = False
                    await run_in_threadpool(
                        set_limits, self.store, "user", "anna", requests_per_minute=None
                    )
                headers = [
                    (name, b"0" if name.lower() == b"retry-after" else value)
                    for name, value in message["headers"]
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


@dataclass
class Office:
    url: str
    store: object
    root: Path
    waits: ShortWaits

    def memo(self, out: Path, *lang: str):
        return invoke(
            *lang, "assist", "vermerk", "amt", "--subject", "Pauschale", "--root", self.root,
            "--endpoint", f"{self.url}/v1", "--out", out,
        )  # fmt: skip

    def statuses(self) -> list[int]:
        return [r["status"] for r in export(self.store) if r["route"] == "/v1/chat/completions"]


@pytest.fixture
def office(
    long_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Office]:
    store = open_store(str(tmp_path / "gateway.db"))
    add_group(store, "amt")
    add_user(store, "anna", ("amt",))
    _, key = create_key(store, "anna")
    monkeypatch.setenv("GEMEINGUT_API_KEY", key)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mobil.md").write_text(MEMO, encoding="utf-8")
    ingest(tmp_path / "collections", "amt", [tmp_path / "docs"], groups=["amt"])
    backend = TransformersBackend(long_model_dir, model_name="winzig")
    waits = ShortWaits(create_app(backend, gateway=Gateway(store)), store)
    with running_server(waits) as url:  # type: ignore[arg-type]
        yield Office(url, store, tmp_path / "collections", waits)


def said(result) -> str:
    return " ".join(result.output.split())


def test_a_memo_refused_by_the_daily_allowance_keeps_the_part_written(
    office: Office, tmp_path: Path
) -> None:
    # a part reserves its prompt (about 500 tokens) and 350 answer tokens: one part fits
    set_limits(office.store, "user", "anna", tokens_per_day=1000)
    out = tmp_path / "out" / "vermerk.md"
    out.parent.mkdir()
    result = office.memo(out)
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses() == [200, 429]  # the third part was not asked
    assert "Traceback" not in shown
    assert "/v1/chat/completions antwortete 429: tokens_per_day von Person anna" in shown
    assert re.search(r"versuchen Sie es um \d\d:\d\d Uhr erneut \(Retry-After des Servers", shown)
    assert f"Entwurf geschrieben, so weit er kam: {out}" in shown
    assert "dann erneute Anfrage" not in shown  # a day's allowance is not waited for
    written = out.read_text(encoding="utf-8")
    first, rest = written.split("## Bewertung")
    assert "## Sachverhalt" in first and "nicht geschrieben" not in first
    assert rest.count("Dieser Teil wird nicht geschrieben.") == 2  # Bewertung, Vorschlag
    assert rest.count("> Nicht geschrieben: ") == 2 and "tokens_per_day" in rest
    assert "## Quellen" in rest and "[1] docs/mobil.md" in rest
    assert [p.name for p in out.parent.iterdir()] == ["vermerk.md"]  # no temporary file left

    english = office.memo(out, "--lang", "en")  # the server says it in English, too
    assert english.exit_code == 2
    assert "answered 429: tokens_per_day of user anna" in said(english)
    assert "the server's Retry-After" in said(english)


def test_a_minutes_limit_is_waited_out_and_said(office: Office, tmp_path: Path) -> None:
    set_limits(office.store, "user", "anna", requests_per_minute=2)
    office.waits.shorten = office.waits.lift = True  # the minute ends while it waits
    out = tmp_path / "vermerk.md"
    result = office.memo(out)
    shown = said(result)
    assert result.exit_code == 1, shown  # written whole; the random model cites nothing
    assert office.statuses() == [200, 200, 429, 200]
    assert "antwortete 429: requests_per_minute von Person anna" in shown
    assert "warte 0 s (Retry-After), dann erneute Anfrage (1 von 3)" in shown
    assert "nicht geschrieben" not in out.read_text(encoding="utf-8")


def test_a_limit_that_stays_is_asked_again_three_times_then_said(
    office: Office, tmp_path: Path
) -> None:
    set_limits(office.store, "user", "anna", requests_per_minute=2)
    office.waits.shorten = True
    out = tmp_path / "vermerk.md"
    result = office.memo(out)
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses() == [200, 200, 429, 429, 429, 429]  # three waits, then no more
    assert [f"({n} von 3)" in shown for n in (1, 2, 3)] == [True] * 3
    assert "nach Warten 3-mal erneut gefragt; versuchen Sie es um" in shown
    written = out.read_text(encoding="utf-8")
    assert written.count("Dieser Teil wird nicht geschrieben.") == 1  # the Vorschlag


def test_a_query_that_waiting_cannot_help_says_so_at_once(office: Office) -> None:
    set_limits(office.store, "user", "anna", requests_per_minute=0)
    result = invoke(
        "--lang", "en", "rag", "query", "amt", "Pauschale", "--answer", "--root", office.root,
        "--endpoint", f"{office.url}/v1",
    )  # fmt: skip
    shown = said(result)
    assert result.exit_code == 2, shown
    assert office.statuses() == [429]  # not asked again: the server says waiting cannot help
    assert "answered 429: requests_per_minute of user anna is 0" in shown
    assert "waiting does not help (the server says so): ask its administrator" in shown
