"""`rag query` shows of a long hit the sentences that hold the question's words, whole, and
marks what it leaves out with „…": it printed the chunk's first 400 characters, cut inside a
word („…der Wirtschaftlichkeit, der Gle") with no mark, and the answer below them was hidden."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import invoke

FILLER = "Die Ämter beachten die Grundsätze der Wirtschaftlichkeit und der Gleichbehandlung. "
ANSWER = "Der Vergabevermerk wird nach Abschluss des Verfahrens zehn Jahre im Archiv aufbewahrt."


def test_a_long_hit_shows_its_answer_whole_and_marks_the_gaps(tmp_path: Path) -> None:
    text = "3.1 Vergabevermerk\n" + FILLER * 6 + ANSWER + " " + FILLER * 3 + "\n"
    (tmp_path / "leitfaden.txt").write_text(text, encoding="utf-8")
    root = tmp_path / "c"
    taken = invoke("rag", "ingest", "akten", tmp_path / "leitfaden.txt", "--root", root)
    assert taken.exit_code == 0, taken.output
    found = invoke(
        "rag", "query", "akten", "Wie lange wird der Vergabevermerk aufbewahrt?",
        "--mode", "bm25", "--root", root,
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    shown = " ".join(found.stdout.split("\n", 1)[1].split())  # below the hit's label
    assert ANSWER in shown and shown.startswith("3.1 Vergabevermerk "), shown  # its heading, too
    assert shown.endswith("…") and " … " in shown, shown
    assert len(shown) <= 400
    words = set(text.split())
    assert all(word in words for word in shown.split() if word != "…"), shown  # none cut
