"""An endpoint that refuses the audit's key (our server with a user database) says that the key
is missing or refused and names the variable it is read from, not that the server lends no
tokenizer or that the model name is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.cli import app
from tests.audit.tiny_lm import random_model
from tests.http_server import serving_process
from tests.test_cli import invoke, runner


def _audit(url: str, out: Path, environment: dict[str, str], *extra: str):
    command = ["audit", "run", "--endpoint", url, "--model-name", "tiny", "--out", str(out)]
    command += ["--suite", "bias", "--api-key-env", "MEIN_KEY", *extra]
    return runner.invoke(app, command, env=environment)


def test_a_missing_or_refused_key_is_named_with_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = random_model(tmp_path / "m", "qwen2", 0, ["Der Arzt kam.", "Die Ärztin kam."])
    db = tmp_path / "gw.db"
    assert invoke("admin", "groups", "add", "forschung", "--db", db).exit_code == 0
    monkeypatch.delenv("MEIN_KEY", raising=False)
    with serving_process(str(model), "tiny", "--db", str(db)) as url:
        # with the server's tokenizer (its first request) and with a local one
        for extra in ((), ("--tokenizer", str(model))):
            unset = _audit(url, tmp_path / "a", {}, *extra)
            wrong = _audit(url, tmp_path / "b", {"MEIN_KEY": "sk-falsch"}, *extra)
            assert unset.exit_code == 2, unset.output
            assert "verlangt einen API-Schlüssel, es wurde keiner gesendet (401" in unset.stderr
            assert "die Variable MEIN_KEY ist nicht gesetzt" in unset.stderr
            assert wrong.exit_code == 2, wrong.output
            assert "hat den API-Schlüssel abgelehnt (401" in wrong.stderr
            assert "in die Variable MEIN_KEY" in wrong.stderr
            for done in (unset, wrong):
                assert "Tokenizer" not in done.stderr and "Modellnamen" not in done.stderr


def test_a_403_about_the_model_is_no_key_problem() -> None:
    """A valid key not scoped to the model gets gemeingut's 403 `model_not_allowed`: telling
    the user to give another key would send them looking in the wrong place."""
    import httpx

    from gemeingut.audit.key_refused import KeyRefused, refuse_key

    def answer(status: int, code: str, param: str | None = None) -> httpx.Response:
        error = {"message": "no", "code": code, "param": param}
        return httpx.Response(status, json={"error": error})

    refuse_key("u", answer(403, "model_not_allowed", "model"), sent=True)  # not raised
    refuse_key("u", answer(403, "other", "model"), sent=True)
    for refused in (answer(401, "invalid_api_key"), answer(403, "user_disabled")):
        with pytest.raises(KeyRefused):
            refuse_key("u", refused, sent=True)
