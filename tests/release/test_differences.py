"""What `verify` and `reproduce` say of two versions of a JSON record that differ."""

from __future__ import annotations

import json

from gemeingut.i18n import text
from gemeingut.release.differences import differences, json_differences


def test_json_values_of_other_types_differ() -> None:
    assert json_differences({"a": True}, {"a": 1}) == ["a true ≠ 1"]
    assert json_differences({"a": [1.0]}, {"a": [1]}) == ["a[0] 1.0 ≠ 1"]
    assert json_differences({"a": 0}, {"a": False}) == ["a 0 ≠ false"]


def test_the_same_json_in_other_bytes_is_said_by_its_first_line() -> None:
    found = differences("run.json", '{"a": 1, "b": 2}\n', '{"b": 2, "a": 1}\n')
    assert [text(f) for f in found] == [
        'Zeile 1: "{\\"a\\": 1, \\"b\\": 2}" ≠ "{\\"b\\": 2, \\"a\\": 1}"'
    ]
    assert differences("run.json", '{"a": 1}', '{"a": 1}') == []


def test_derived_ids_are_said_once_after_the_keys_whose_meaning_differs() -> None:
    def spdx(uuid: str, licence: str) -> str:
        graph = [{"spdxId": f"urn:gemeingut:{uuid}:file-{n}", "name": f"f{n}"} for n in range(9)]
        graph.append({"spdxId": f"urn:gemeingut:{uuid}:model", "licence": licence})
        return json.dumps({"@graph": graph})

    one, two = "c28339b0-6593-5d24-993e-ea5fd36c7431", "d28339b0-6593-5d24-993e-ea5fd36c7431"
    found = [text(f) for f in differences("spdx.json", spdx(one, "CC-BY-4.0"), spdx(two, "MIT"))]
    assert found == [
        '@graph[9].licence "CC-BY-4.0" ≠ "MIT"',
        f'abgeleitete Kennungen: "{one}" ≠ "{two}"',
    ]


def test_yaml_documents_are_compared_by_their_keys() -> None:
    found = differences("mof.yml", "release:\n  license: MIT\n", "release:\n  license: EUPL-1.2\n")
    assert found == ['release.license "MIT" ≠ "EUPL-1.2"']


def test_a_long_line_is_shown_around_its_first_difference_on_both_sides() -> None:
    before = "Dies ist ein **offenes** Modell nach den Prüfungen in `openness.json` (Model "
    found = differences(
        "README.md", before + "Openness Framework: Klasse I – Open Science).\n",
        before + "Openness Framework: Klasse 0 – Open Science).\n",
    )  # fmt: skip
    shipped, rendered = text(found[0]).split(" ≠ ")
    assert "Klasse I – Open Science" in shipped and "Klasse 0 – Open Science" in rendered
    assert shipped.count('"') == rendered.count('"') == 2  # quoted around the window
    assert shipped.split('"')[1].startswith("…") and shipped.endswith('"')


def test_a_window_at_the_end_of_a_line_keeps_both_quotes() -> None:
    row = "| bias | 0,947 | 0,027 | 0 von 64 Einträgen |"
    found = differences("README.md", "x" * 90 + row + "\n", "x" * 90 + row.replace("9", "8") + "\n")
    shipped, rendered = text(found[0]).removeprefix("Zeile 1: ").split(" ≠ ")
    assert shipped.startswith('"…') and shipped.endswith('Einträgen |"'), shipped
    assert rendered.startswith('"…') and rendered.endswith('Einträgen |"'), rendered
