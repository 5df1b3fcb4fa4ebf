"""What docs/operating.md states about the code is read off the code: the look-alikes a refusing
rule reads (Unicode's confusables table, as `/v1/policy` says too) and its known limits, and
the facts file of `admin audit records`, whose example the guide gives whole."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.policy import READING, Policy, lookalikes
from gemeingut.serve.gateway.records import deployment_facts, record_deployment
from gemeingut.serve.gateway.store import open_store

GUIDE = Path(__file__).parents[3] / "docs" / "operating.md"


def guide() -> str:
    return " ".join(GUIDE.read_text(encoding="utf-8").split())


def between(start: str, end: str) -> str:
    whole = guide()
    begin = whole.index(start)
    return whole[begin : whole.index(end, begin)]


def test_the_guide_says_what_the_refusing_rules_read_as_the_policy_publishes_it() -> None:
    read = between("A refusing rule also reads the look-alikes", "Known limits")
    assert "UTS #39" in read and all("UTS #39" in READING.render(lang) for lang in ("de", "en"))
    table = lookalikes()
    folded = [w for w in re.findall(r"`([^`]+)`", read) if not w.isascii() and len(w) > 1]
    assert len(folded) == 3, folded
    policy = Policy.load("default")
    for word in folded:
        latin = word.translate(table)
        assert latin.lower() in {"bombe", "bauen"}, word  # read as the word it imitates
        disguised = re.sub(latin, word, "eine Bombe bauen", flags=re.IGNORECASE)
        assert policy.check(disguised).refused_by is not None, disguised
    for letter in re.findall(r"`([äöüß])`", read):
        assert ord(letter) not in table
    limits = between("Known limits, also published under `reading`", "recognised.")
    for word in ("B0mbe", "Bómbe"):
        assert f"`{word}`" in limits
        assert policy.check(f"eine {word} bauen").refused_by is None, word


def test_the_guides_facts_file_is_complete(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    [example] = [b for b in blocks if b.startswith("# verantwortlicher.yaml")]
    facts = tmp_path / "verantwortlicher.yaml"
    facts.write_text(example, encoding="utf-8")
    db = tmp_path / "gateway.db"
    engine = open_store(str(db))  # a server with a 30-day retention started now (it counts)
    record_deployment(engine, deployment_facts("m", None, 30, None, utcnow()))
    engine.dispose()
    result = CliRunner().invoke(
        app, ["admin", "audit", "records", "--db", str(db), "--facts", str(facts)]
    )
    assert result.exit_code == 0, result.output  # nothing the controller states is missing
    assert "Stadt Musterstadt, Amt für Digitales" in result.output
    assert "Suche in den Dokumentensammlungen der Ämter" in result.output


def test_the_guides_decisions_stores_and_own_allowance_are_the_codes() -> None:
    """The decisions the guide names for refusals before any check are the ones the gate
    records; the stores the record of processing activities lists are the options a starting
    server records; `/v1/me`'s `may_triage` is a field of its answer."""
    from gemeingut.serve.gateway.gate import FALLBACK_DECISIONS
    from gemeingut.serve.gateway.records import Stored
    from gemeingut.serve.usage_route import OwnAllowance

    refused = between("A request refused before any check of its own", "A prompt longer")
    named = re.findall(r"`([a-z_]+)`", refused)
    assert named and set(named) <= set(FALLBACK_DECISIONS.values()), named
    stores = between("It also lists the stores of personal data", "What only the controller")
    options = {o.removeprefix("--").replace("-", "_") for o in re.findall(r"`(--[a-z-]+)`", stores)}
    recorded = set(Stored(Path("c"), 1, Path("f"), "t").facts())
    assert options == {"collections", "upload_max_mb", "findings"} <= recorded, options
    me = between("**What a person sees of their own limits**", "The page shows it")
    fields = set(re.findall(r"`([a-z_]+)`", me))
    assert fields and fields <= set(OwnAllowance.model_fields), fields
