"""`serve --upstream` with an address no engine can be reached at is a usage error, said before
anything starts, with what to write instead. Before, `--upstream gpu:8000` (no scheme) went to
the HTTP client, which read `gpu` as the scheme, and the start said the engine could not be
reached. The credentials an address may carry are never repeated."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app

runner = CliRunner()


def said(result) -> str:
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("address", "message", "hint"),
    [
        (
            "gpu:8000",
            "--upstream gpu:8000: die Adresse einer Engine beginnt mit http:// oder https://",
            "z. B. --upstream http://gpu:8000",
        ),
        (
            "127.0.0.1:8000/v1",
            "die Adresse einer Engine beginnt mit http:// oder https://",
            "z. B. --upstream http://127.0.0.1:8000/v1",
        ),
        (
            "http:/gpu:8000",
            "--upstream http:/gpu:8000: die Adresse einer Engine beginnt mit http://",
            "z. B. --upstream http://gpu:8000",
        ),
        (
            "ftp://gpu:8000",
            "beginnt mit http:// oder https://, nicht mit ftp://",
            "z. B. --upstream http://gpu-node:8000",
        ),
        ("http://:8000", "--upstream http://:8000: die Adresse nennt keinen Host", None),
        ("http://", "--upstream http://: die Adresse nennt keinen Host", None),
        ("http://gpu:80x0", "http://gpu:80x0: der Port muss eine Zahl von 1 bis 65535 sein", None),
        ("http://gpu:70000", "http://gpu:70000: der Port muss eine Zahl von 1 bis 65535", None),
        ("http://gpu:0", "http://gpu:0: der Port muss eine Zahl von 1 bis 65535", None),
        ("http://gpu node:8000", "eine Adresse enthält keine Leerzeichen", None),
        (" ", "--upstream nennt keine Adresse", "z. B. --upstream http://gpu-node:8000"),
        # Addresses urllib cannot split (it raised ValueError: a traceback).
        (
            "http://[::1:8000",
            "Adresse ist nicht als URL lesbar",
            "z. B. --upstream http://[::1]:8000",
        ),
        ("[::1:8000", "Adresse ist nicht als URL lesbar", "z. B. --upstream http://[::1]:8000"),
        ("http://[gpu]:8000", "Adresse ist nicht als URL lesbar", None),
    ],
)
def test_an_address_no_engine_can_have_is_a_usage_error(
    address: str, message: str, hint: str | None
) -> None:
    # A --db that does not exist would be said next: the address is checked before it.
    refused = runner.invoke(app, ["serve", "--upstream", address, "--db", "/nirgends/g.db"])
    assert refused.exit_code == 2, refused.output
    assert message in said(refused)
    assert "nicht erreichbar" not in said(refused) and "Traceback" not in refused.output
    if hint is not None:
        assert hint in said(refused)


def test_the_credentials_of_an_address_are_not_repeated() -> None:
    for address in ("dienst:Geheim-1@gpu:8000?api_key=T0ken", "http://dienst:Geheim-1@gpu:8x"):
        refused = runner.invoke(app, ["serve", "--upstream", address])
        assert refused.exit_code == 2, refused.output
        assert "Geheim-1" not in refused.output and "T0ken" not in refused.output
        assert "gpu:8" in said(refused)


def test_an_address_with_a_scheme_goes_on_to_the_engine() -> None:
    """Spaces around it are left out; then the engine is asked (here: nobody listens)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    refused = runner.invoke(app, ["serve", "--upstream", f" {dead} "])
    assert refused.exit_code == 2, refused.output
    assert f"die vorgelagerte Engine unter {dead} ist nicht erreichbar" in said(refused)
