"""`model finetune` refuses a JSONL line whose field `license` holds no licence (`["MIT"]`,
`{"id": "MIT"}`, `MIT AND`), with or without --data-license, before training: the refusal names
the file, the line, the field, what it holds (as JSON writes it) and what a valid value looks
like, instead of training on a licence no rating could name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus import write_jsonl
from tests.release.test_openness_rate_finetune import base_folder
from tests.test_cli import invoke


@pytest.mark.parametrize(
    ("value", "extra", "said"),
    [
        (["MIT"], (), 'docs.jsonl, Zeile 2: das Feld „license“ enthält ["MIT"], keinen Text'),
        (
            "MIT AND",
            ("--data-license", "CC0-1.0"),
            'docs.jsonl, Zeile 2: das Feld „license“ enthält "MIT AND", keinen SPDX-Lizenzausdruck',
        ),
    ],
)
def test_a_line_whose_licence_field_holds_no_licence_is_refused(
    tmp_path: Path, value: object, extra: tuple[str, ...], said: str
) -> None:
    lines = [
        {"prompt": f"Frage {i}?", "completion": f" Antwort {i}.", "license": own}
        for i, own in enumerate(["CC0-1.0", value])
    ]
    data = write_jsonl(tmp_path / "docs.jsonl", lines)
    result = invoke(
        "model", "finetune", base_folder(tmp_path), "--data", data, "--out", tmp_path / "tuned",
        "--steps", "2", *extra,
    )  # fmt: skip
    shown = " ".join(result.output.split())
    assert result.exit_code == 2, shown
    assert said in shown, shown
    assert 'SPDX-Ausdruck, etwa "license": "CC-BY-4.0"' in shown, shown
    assert "['MIT']" not in shown and "widerspricht" not in shown and "Traceback" not in shown
    assert not (tmp_path / "tuned").exists()


def test_several_such_lines_are_counted(tmp_path: Path) -> None:
    lines = [{"prompt": "Frage?", "completion": " Antwort.", "license": {"id": "MIT"}}] * 3
    data = write_jsonl(tmp_path / "docs.jsonl", lines)
    result = invoke(
        "model", "finetune", base_folder(tmp_path), "--data", data, "--out", tmp_path / "tuned",
        "--steps", "2",
    )  # fmt: skip
    shown = " ".join(result.output.split())
    assert result.exit_code == 2, shown
    assert (
        "docs.jsonl: 3 Zeilen enthalten in ihrem Feld „license“ keine Lizenz; die erste, Zeile 1: "
        'das Feld „license“ enthält {"id": "MIT"}, keinen Text'
    ) in shown, shown
