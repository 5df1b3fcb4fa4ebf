"""A value of another kind than a reader expects was said as "not of the kind a release writes"
by every reader, also of files no release wrote (a foreign model folder's, `bundle.sig`, which
`sign` writes in Sigstore's format). The reader now says whose file it is: a bundle's records
by what a release writes, any other by its format."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from gemeingut.i18n import text
from gemeingut.json_records import why_unreadable
from gemeingut.release.manifest import SIGNATURE
from gemeingut.release.verify_guard import guarded
from gemeingut.release.verify_numbers import energy_problems
from tests.test_cli import invoke

RELEASED = "ein Wert ist nicht von der Art, wie ein Release ihn schreibt"
FORMAT = "ein Wert ist nicht von der Art, wie das Format der Datei ihn vorsieht"


def test_a_value_of_another_kind_is_said_as_the_caller_knows_the_file() -> None:
    wrong = AttributeError("'list' object has no attribute 'get'")
    assert text(why_unreadable(wrong, released=True), "de") == RELEASED
    assert text(why_unreadable(wrong), "de") == FORMAT
    assert text(why_unreadable(wrong), "en") == "a value is not of the kind the file's format has"


def test_a_signature_file_of_another_kind_is_not_said_to_be_a_releases(bundle: Path) -> None:
    """`bundle.sig` holding a list: `sign` writes it in Sigstore's format, no release does."""
    (bundle / SIGNATURE).write_text("[]", encoding="utf-8")
    result = invoke("verify", bundle)
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said
    assert f"{SIGNATURE} lässt sich nicht lesen: {FORMAT}" in said, said
    assert RELEASED not in said and "Traceback" not in said, said


def test_a_number_written_as_a_word_is_said_as_a_value_of_another_kind() -> None:
    """An estimate's assumptions with a GPU's watts as a word: `float()` of it raised Python's
    English ValueError, which verify printed as it was."""
    energy = {
        "method": "estimate: CPU_WATTS_PER_THREAD x threads x wall time",
        "assumptions": {"cpu_watts_per_thread": 10.0, "cpu_threads": 2, "gpu_watts": ["viel"]},
        "seconds_this_run": 1.0,
        "kwh_this_run": 1.0,
    }
    record = "training-metadata/finetune.json"
    said = guarded(partial(energy_problems, record, {"energy": energy}), record)
    assert [text(problem, "de") for problem in said] == [
        f"{record} lässt sich nicht zurücklesen: {RELEASED}"
    ]
    energy["assumptions"] = {"cpu_watts_per_thread": 10.0, "cpu_threads": "zwei"}
    said = guarded(partial(energy_problems, record, {"energy": energy}), record)
    assert [text(problem, "de") for problem in said] == [
        f"{record} lässt sich nicht zurücklesen: {RELEASED}"
    ]
