"""An engine that takes the connection but never answers stops the server's start within
seconds (`START_TIMEOUT_SECONDS`), said in our words, not after a generation's 600 s."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.serve.backends.upstream import DEFAULT_TIMEOUT_SECONDS, START_TIMEOUT_SECONDS


def test_a_hanging_engine_stops_the_start_with_the_start_timeout_named() -> None:
    assert START_TIMEOUT_SECONDS < DEFAULT_TIMEOUT_SECONDS
    with socket.socket() as hanging:  # listens, accepts into its backlog, never answers
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(8)
        engine = f"http://127.0.0.1:{hanging.getsockname()[1]}"
        result = CliRunner().invoke(cli_app, ["serve", "--upstream", engine, "--port", "0"])
    assert result.exit_code == 2, result.output
    assert "nicht erreichbar" in result.output
    assert f"keine Antwort innerhalb von {START_TIMEOUT_SECONDS:g} s" in result.output
