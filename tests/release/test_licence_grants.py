"""A sentence that grants rights adds no condition to a licence's text, wherever it stands;
restrictions worded beside a grant or as one still do. Both kinds are lines of real licence
texts: the grants of MIT, ISC/0BSD, Apache-2.0, the Unlicense and CC BY 4.0's deed; the
restrictions of the Llama 2 Community License, Gemma's terms, the OpenRAIL-M licences and
CC BY-NC 4.0."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.release.openness.licence_additions import added_text
from tests.release.test_licence_riders_variants import MIT
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke

GRANTS = [
    "You may change this file.",
    # The Unlicense
    "Anyone is free to copy, modify, publish, use, compile, sell, or distribute this software, "
    "either in source code form or as a compiled binary, for any purpose, commercial or "
    "non-commercial, and by any means.",
    # ISC, 0BSD
    "Permission to use, copy, modify, and/or distribute this software for any purpose with or "
    "without fee is hereby granted.",
    # Apache-2.0 § 2
    "Subject to the terms and conditions of this License, each Contributor hereby grants to You "
    "a perpetual, worldwide, non-exclusive, no-charge, royalty-free, irrevocable copyright "
    "license to reproduce, prepare Derivative Works of, publicly display, publicly perform, "
    "sublicense, and distribute the Work and such Derivative Works in Source or Object form.",
    # MIT's grant, for a file of its own
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this file, "
    "to deal in it without restriction.",
    # CC BY 4.0's deed
    "Share — copy and redistribute the material in any medium or format for any purpose, even "
    "commercially.",
    "You are free to use, copy, modify and distribute this model.",
    "You can use this model in your products.",
    "You may use, copy, modify and distribute these weights freely, as you see fit.",
]

RESTRICTIONS = [
    # Llama 2 Community License § 1.a: a grant, "limited" and to rights "owned by Meta"
    "You are granted a non-exclusive, worldwide, non-transferable and royalty-free limited "
    "license under Meta's intellectual property or other rights owned by Meta embodied in the "
    "Llama Materials to use, reproduce, distribute, copy, create derivative works of, and make "
    "modifications to the Llama Materials.",
    # Llama 2 § 1.b.iv: the acceptable-use policy
    "Your use of the Llama Materials must comply with applicable laws and regulations "
    "(including trade compliance laws and regulations) and adhere to the Acceptable Use Policy "
    "for the Llama Materials (available at https://ai.meta.com/llama/use-policy), which is "
    "hereby incorporated by reference into this Agreement.",
    # Llama 2 § 1.b.v: a use restriction
    "You will not use the Llama Materials or any output or results of the Llama Materials to "
    "improve any other large language model (excluding Llama 2 or derivative works thereof).",
    # OpenRAIL-M paragraph 5: a grant bound to the licence's use restrictions
    "You may use the Model subject to this License, including only for lawful purposes and in "
    "accordance with the License.",
    # OpenRAIL-M Attachment A
    "You agree not to use the Model or Derivatives of the Model: In any way that violates any "
    "applicable national, federal, state, local or international law or regulation.",
    # CC BY-NC 4.0 § 1
    "NonCommercial means not primarily intended for or directed towards commercial advantage "
    "or monetary compensation.",
    # a grant's form with a field of use, a non-commercial limit, a condition after it
    "You may use, copy and modify this model for research purposes.",
    "You may use this model for non-commercial purposes.",
    "You may use it as long as it is kept intact.",
    "You may not change this file.",
    "You may use this model but Example Corp may change these terms.",
    "The licensor only hereby grants to you a license to use the model.",
    # Gemma Terms of Use § 3.1: a grant bound to the agreement
    "You may use, reproduce, modify, distribute, perform or display any of the Gemma Services "
    "only in accordance with the terms of this Agreement.",
    # a grant limited by place or by machine, in words no other check knows: what follows a
    # grant's opening must name only the work granted
    "You may use the model in Germany.",
    "You may use the model on one computer.",
]


def _placed(sentence: str, where: str) -> str:
    return f"{sentence}\n\n{MIT}" if where == "title" else f"{MIT}\n{sentence}\n"


@pytest.mark.parametrize("sentence", GRANTS)
@pytest.mark.parametrize("where", ["title", "end"])
def test_a_grant_of_rights_adds_no_term(sentence: str, where: str) -> None:
    assert added_text("MIT", _placed(sentence, where)) is None


@pytest.mark.parametrize("sentence", RESTRICTIONS)
@pytest.mark.parametrize("where", ["title", "end"])
def test_a_restriction_beside_or_as_a_grant_is_quoted(sentence: str, where: str) -> None:
    added = added_text("MIT", _placed(sentence, where))
    assert added is not None and added.start is not None
    assert " ".join(sentence.split()).startswith(added.start.removesuffix(" …"))


def test_openness_rate_passes_a_grant_and_names_a_restriction(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "mit")
    (folder / "LICENSE").write_text(f"{GRANTS[0]}\n\n{MIT}", "utf-8")
    shown = " ".join(invoke("openness", "rate", folder).output.split())
    assert "✓ Lizenztext der Gewichte (licence.text): LICENSE enthält den Text von MIT" in shown
    (folder / "LICENSE").write_text(f"{MIT}\n{RESTRICTIONS[2]}\n", "utf-8")
    shown = " ".join(invoke("openness", "rate", folder).output.split())
    assert "beginnend mit „You will not use the Llama Materials" in shown, shown
