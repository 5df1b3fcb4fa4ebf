"""The data statement's title line and its gaps as its reader's language and its source say
them: the German statement names the German title first, and a section left empty says where
it was not given (the `[data.publication]` section, of a recipe or of the file `--info` reads),
not a recipe the publisher may never have written."""

from __future__ import annotations

from pathlib import Path

from gemeingut.data.publish import PublicationInfo, publish_dataset
from tests.data.publish.conftest import FULL_INFO
from tests.test_cli import invoke


def _title_line(statement: str) -> str:
    return next(line for line in statement.splitlines() if line.startswith("- **Titel") or
                line.startswith("- **Dataset title"))  # fmt: skip


def test_each_statement_names_its_own_languages_title_first(dataset: Path, tmp_path: Path) -> None:
    for language, line in (
        ("de", "- **Titel des Datensatzes:** Gemischtes Testkorpus / Mixed test corpus (en)"),
        ("en", "- **Dataset title:** Mixed test corpus / Gemischtes Testkorpus (de)"),
    ):
        info = PublicationInfo.model_validate(FULL_INFO | {"document_language": language})
        publish_dataset(dataset, info, tmp_path / language)
        statement = (tmp_path / language / "DATA_STATEMENT.md").read_text(encoding="utf-8")
        assert _title_line(statement) == line


def test_a_gap_says_the_section_it_was_not_given_in(dataset: Path, tmp_path: Path) -> None:
    """`data publish --info` reads a TOML file with the `[data.publication]` keys, no recipe."""
    keys = ("title_de", "description_de", "publisher_name", "download_url")
    toml = "\n".join(f'{key} = "{FULL_INFO[key]}"' for key in keys)
    info = tmp_path / "publication.toml"
    info.write_text(f"[data.publication]\n{toml}\n", encoding="utf-8")
    result = invoke("data", "publish", dataset, "--info", info, "--out", tmp_path / "pub")
    assert result.exit_code == 0, result.output
    statement = (tmp_path / "pub" / "DATA_STATEMENT.md").read_text(encoding="utf-8")
    assert "## 10. Erfassungsqualität\n\n_In `[data.publication]` nicht angegeben._\n" in statement
    assert "Rezept nicht angegeben" not in statement
