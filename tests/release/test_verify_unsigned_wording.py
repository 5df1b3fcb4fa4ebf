"""`gemeingut verify` on an unsigned bundle said a bare "nicht signiert" before its ✓ lines: not
what that means (the checks show that the files agree with each other, not whose they are) nor
what to do. It now says both, as it does for a signature it has not checked; and what it says to
do works."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.cli import app

runner = CliRunner()


def _verify(*args: str, lang: str = "de") -> tuple[int, str]:
    result = runner.invoke(app, ["--lang", lang, "verify", *args])
    return result.exit_code, " ".join(result.output.split())


def test_an_unsigned_bundle_is_said_with_what_it_means_and_what_to_do(
    bundle: Path, tmp_path: Path
) -> None:
    code, said = _verify(str(bundle))
    assert code == 0, said
    assert said.startswith(
        "nicht signiert: geprüft ist nur, dass die Dateien zu ihrem MANIFEST und "
        "zueinander passen, nicht, von wem sie stammen (wer eine Datei ändert, kann auch das "
        f"MANIFEST neu schreiben); eine Signatur prüft `gemeingut verify {bundle} --key "
        "ÖFFENTLICHER_SCHLÜSSEL` (mit dem öffentlichen Schlüssel der Herausgebenden), sobald "
        f"diese das Paket mit `gemeingut sign {bundle} --key SCHLÜSSEL` signiert haben (oder "
        "schon beim Veröffentlichen mit --sign-key SCHLÜSSEL; Schlüssel erzeugt `gemeingut keys "
        "create`) ✓"
    ), said
    code, english = _verify(str(bundle), lang="en")
    assert "not signed: only that the files agree with their MANIFEST" in english
    verdict = json.loads(runner.invoke(app, ["verify", str(bundle), "--json"]).stdout)
    assert verdict["signature"]["verdict"].startswith("not signed: only")

    keys = tmp_path / "keys"  # as it says: a key, the bundle signed, the signature checked
    assert runner.invoke(app, ["keys", "create", "amt", "--dir", str(keys)]).exit_code == 0
    signed = runner.invoke(app, ["sign", str(bundle), "--key", str(keys / "amt.key")])
    assert signed.exit_code == 0, signed.output
    code, said = _verify(str(bundle), "--key", str(keys / "amt.pub"))
    assert code == 0 and said.startswith("✓ Signatur gültig, Schlüssel "), said
    assert "nicht signiert" not in said
