"""A bundle's rating counts a component by what its files hold: an empty or two-line paper is
no research paper (`paper.py`'s rule, said in the detail), an emptied `checkpoints/` or
`audit/logs/` no component; `verify` rates again. Data without share-alike licences is said
to have none, not to be "carried by" the weights' licence."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from gemeingut.recipe import ReleaseSection
from gemeingut.release.openness.evidence import collect
from gemeingut.release.openness.finetune_rating import rate_finetune
from gemeingut.release.openness.paper import MIN_HEADINGS, MIN_WORDS, read_paper
from gemeingut.release.openness.rating import rate
from gemeingut.release.verify import verify_bundle
from gemeingut.stages import release_stage
from gemeingut.workspace import at, load_artifact
from tests.apps.rag.documents import write_pdf
from tests.release.test_finetune_release import base_folder, fine_tune, release

DEMO_PAPER = Path(__file__).parents[2] / "examples" / "demo" / "paper.md"
ROLES = ("dataset", "tokenizer", "model", "evaluation", "finetune")
TWO_LINES = "# Land-Recht tiny\n\nEin Testbericht über das Training eines winzigen Modells.\n"
SENTENCE = "Das Modell lernt aus offenen Gesetzestexten des Bundes."
# 540 words, 127 of them different (a paper's are; one sentence repeated is no paper)
WORDS = " ".join(
    f"Das Modell lernt aus Gesetz{a}{b} und Urteil{a}{b} des Bundes."
    for a, b in zip("abcdefghijklmnopqrstuvwxyz" * 3, "kmnprstvwz" * 6, strict=False)
)
# Chinese, with no spaces: 320 characters of 250 different ones, a sentence mark every 20
CHINESE = "".join(
    chr(0x4E00 + (n * 7919) % 250) + ("。" if n % 20 == 19 else "") for n in range(320)
)


def _row(rating: dict, name: str) -> dict:
    return next(r for r in rating["mof"]["components"] if r["name"] == name)


def _check(rating: dict, check_id: str) -> dict:
    return next(c for c in rating["checks"] if c["id"] == check_id)


def _released(tiny_build: dict, root: Path, paper: Path | None) -> Path:
    artifacts = {k: load_artifact(Path(tiny_build[k]["path"])) for k in ROLES}
    section = ReleaseSection(model_name="x", paper=paper)
    released, _reused = release_stage(at(root), section, None, artifacts)
    return released.path / "bundle"


def test_a_paper_is_a_document_of_real_length_under_headings(tmp_path: Path) -> None:
    files = {
        "leer.md": "",
        "kurz.md": TWO_LINES,
        "flach.md": WORDS,  # words enough, but no title or section
        "paper.tex": "\\title{T}\n\\begin{document}\\begin{abstract}" + WORDS
        + "\\end{abstract}\\section{Daten}% kommentar\n" + WORDS + "\\end{document}",
        "paper.html": f"<h1>T</h1><h2>A</h2><p>{WORDS}</p><h2>B</h2><script>{WORDS}</script>",
        "wiederholt.md": "# T\n\n## A\n\n## B\n\n" + " ".join([SENTENCE] * 60),
        "论文.md": f"# 标题\n\n## 方法\n\n{CHINESE}\n\n## 结果\n",
    }  # fmt: skip
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    said = {name: read_paper(tmp_path / name, name) for name in files}
    assert [name for name, read in said.items() if read.counts] == [
        "paper.tex",
        "paper.html",
        "论文.md",
    ]
    assert str(said["wiederholt.md"].note) == (
        "483 Wörter unter 3 Überschriften, aber nur 11 verschiedene Wörter"
    )
    assert str(said["论文.md"].note) == "326 Wörter unter 3 Überschriften"
    assert str(said["leer.md"].note) == "leer"
    assert str(said["kurz.md"].note) == "nur 10 Wörter unter 1 Überschrift"
    demo = read_paper(DEMO_PAPER, "paper.md")
    assert demo.counts and re.fullmatch(r"4\d\d Wörter unter 8 Überschriften", str(demo.note))
    long = write_pdf(tmp_path / "lang.pdf", [WORDS, WORDS])
    short = write_pdf(tmp_path / "kurz.pdf", ["Nur ein Satz auf einer Seite."])
    assert read_paper(long, "lang.pdf").counts
    assert not read_paper(short, "kurz.pdf").counts
    assert str(read_paper(long, "lang.pdf").note) == "ein PDF (4 Seiten, 1080 Wörter Text)"
    padded = write_pdf(tmp_path / "wiederholt.pdf", [" ".join([SENTENCE] * 60)])
    assert str(read_paper(padded, "wiederholt.pdf").note).endswith(
        "480 Wörter Text), aber nur 8 verschiedene Wörter"
    )
    assert (MIN_WORDS, MIN_HEADINGS) == (300, 3)


def test_a_latex_project_counts_by_its_files_together(tmp_path: Path) -> None:
    """A LaTeX project whose sections are files of their own (`\\input`): no file is a paper
    alone, the folder's text files together are; a folder of stubs is none together either."""
    from gemeingut.release.openness.paper import read_papers

    sentences = WORDS.split(". ")
    project = tmp_path / "paper"
    (project / "sections").mkdir(parents=True)
    names = ("einleitung", "daten", "ergebnisse")
    inputs = "".join(f"\\input{{sections/{name}}}\n" for name in names)
    (project / "main.tex").write_text(
        f"\\title{{Land-Recht tiny}}\n\\begin{{document}}\n{inputs}\\end{{document}}\n", "utf-8"
    )
    for n, name in enumerate(names):
        part = ". ".join(sentences[n * 20 : (n + 1) * 20])
        (project / "sections" / f"{name}.tex").write_text(f"\\section{{{name}}}\n{part}", "utf-8")
    read = read_papers(tmp_path, "paper")
    assert [r.path for r in read if r.counts] == ["paper"]
    assert str(read[0].note) == "4 Dateien zusammen: 550 Wörter unter 4 Überschriften"
    assert all(str(r.note).startswith("nur ") for r in read[1:])  # each file alone: none
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name in names:
        (stubs / f"{name}.md").write_text(TWO_LINES, encoding="utf-8")
    (together,) = [r for r in read_papers(tmp_path, "stubs") if r.path == "stubs"]
    assert not together.counts and str(together.note).startswith("3 Dateien zusammen: nur ")


def _office_papers(folder: Path, body: str) -> list[Path]:
    """The same paper as Word and as LibreOffice write it: a title, then three sections."""
    import docx
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    word = docx.Document()
    word.add_heading("Land-Recht tiny", level=1)
    writer = OpenDocumentText()
    writer.text.addElement(H(outlinelevel=1, text="Land-Recht tiny"))
    for heading in ("Daten", "Training", "Ergebnisse"):
        word.add_heading(heading, level=2)
        word.add_paragraph(body)
        writer.text.addElement(H(outlinelevel=2, text=heading))
        writer.text.addElement(P(text=body))
    word.save(str(folder / "paper.docx"))
    writer.save(str(folder / "paper.odt"))
    return [folder / "paper.docx", folder / "paper.odt"]


def test_a_paper_written_in_word_or_libreoffice_is_read_as_one(tmp_path: Path) -> None:
    """A DOCX or ODT is read by its words and headings as any paper; a short one, or a file
    that is none, counts for nothing, named without the path it had when it was rated."""
    for paper in _office_papers(tmp_path, WORDS):
        read = read_paper(paper, paper.name)
        assert read.counts and str(read.note) == "1625 Wörter unter 4 Überschriften", read
    short = tmp_path / "kurz"
    short.mkdir()
    for paper in _office_papers(short, SENTENCE):
        assert str(read_paper(paper, paper.name).note) == "nur 29 Wörter unter 4 Überschriften"
    broken = tmp_path / "kaputt.docx"
    broken.write_bytes(b"PK kein Word")
    assert str(read_paper(broken, "kaputt.docx").note) == "beschädigt oder keine DOCX-Datei"


def test_an_empty_or_two_line_paper_is_no_research_paper_and_verify_agrees(
    tiny_build: dict, tmp_path: Path
) -> None:
    for name, content in (("leer.md", ""), ("paper.md", TWO_LINES)):
        paper = tmp_path / name
        paper.write_text(content, encoding="utf-8")
        bundle = _released(tiny_build, tmp_path / name.split(".")[0], paper)
        assert (bundle / "paper" / name).is_file()  # shipped, but not counted
        rating = rate(collect(bundle))
        row = _row(rating, "Research paper")
        assert row["present"] is False and row["evidence"] == [], row
        assert f"paper/{name}:" in row["detail"] and "300 words under 3 headings" in row["detail"]
        assert "Research paper" in rating["mof"]["levels"]["1"]["missing"]
        index = yaml.safe_load((bundle / "osai-index.yaml").read_text(encoding="utf-8"))
        assert index["preprint"]["class"] == "closed", index["preprint"]
        verify_bundle(bundle)  # the rating it ships is the one verify computes


def test_a_paper_of_real_length_counts_and_its_detail_states_the_rule(
    tiny_build: dict, tmp_path: Path
) -> None:
    bundle = _released(tiny_build, tmp_path / "r", DEMO_PAPER)
    row = _row(rate(collect(bundle)), "Research paper")
    assert row["present"] is True and row["evidence"] == ["paper"]
    assert re.match(r"paper/paper.md: 4\d\d words under 8 headings; a research ", row["detail"])
    verify_bundle(bundle)


def test_an_emptied_folder_counts_for_nothing(tiny_build: dict, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(Path(tiny_build["release"]["path"]) / "bundle", bundle)
    before = rate(collect(bundle))
    for name in ("Model parameters (Intermediate)", "Sample model outputs"):
        assert _row(before, name)["present"] is True
    for snapshot in (bundle / "training-metadata" / "checkpoints").iterdir():
        snapshot.unlink()
    for log in (bundle / "audit" / "logs").rglob("*"):
        if log.is_file():
            log.write_bytes(b"")
    after = rate(collect(bundle))
    intermediate = _row(after, "Model parameters (Intermediate)")
    assert intermediate["present"] is False
    assert intermediate["detail"] == "training-metadata/checkpoints: empty folder"
    outputs = _row(after, "Sample model outputs")
    assert outputs["present"] is False and "audit/logs/" in outputs["detail"]
    assert ": empty" in outputs["detail"]


def test_data_without_share_alike_licences_is_said_to_have_none(tiny_build: dict) -> None:
    rating = rate(collect(Path(tiny_build["release"]["path"]) / "bundle"))
    check = _check(rating, "licence.share-alike")
    assert check["passed"] is True
    assert check["detail"] == "no share-alike licences in the data"


def test_a_fine_tunes_empty_paper_is_named_not_taken_for_its_own(tmp_path: Path) -> None:
    base = base_folder(tmp_path)
    bundle = release(tmp_path, fine_tune(tmp_path, base, "--merge", "--license", "Apache-2.0"))
    (bundle / "paper").mkdir()  # as a bundle holds it (`release --finetuned` copies none yet)
    (bundle / "paper" / "leer.md").write_text("", encoding="utf-8")
    row = _row(rate_finetune(collect(bundle)), "Research paper")
    assert row["present"] is False
    assert row["detail"].startswith("paper/leer.md: empty; a research paper counts from 300")
    (bundle / "paper" / "leer.md").write_text(DEMO_PAPER.read_text(encoding="utf-8"), "utf-8")
    row = _row(rate_finetune(collect(bundle)), "Research paper")
    assert row["detail"].startswith("paper covers the fine-tuning only"), row  # as before
