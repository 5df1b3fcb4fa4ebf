"""What a user reads when the endpoint of `gemeingut assist` or `rag query --answer` fails: the
server named in German, not the system's "[Errno 111]"; a refused key as the key to set, with
the server's own message instead of its JSON; and the help says where the key comes from."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gemeingut.apps.rag.index import ingest
from tests.apps.rag.documents import write_markdown
from tests.http_server import running_server
from tests.test_cli import invoke


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_markdown(tmp_path / "hinweise.md")
    ingest(tmp_path / "c", "vergabe", [tmp_path / "hinweise.md"], groups=["einkauf"])
    return tmp_path / "c"


def _closed_port() -> int:
    """A loopback port nobody listens on (bound once, then let go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _refused(root: Path, url: str) -> list[str]:
    """What a draft and an answer asked of the endpoint `url` said; each exits 2."""
    shown = []
    for command in (
        ("assist", "vermerk", "vergabe", "--subject", "Fristen"),
        ("rag", "query", "vergabe", "Frist", "--answer"),
    ):
        result = invoke(*command, "--root", root, "--endpoint", url)
        said = " ".join(result.output.split())
        assert result.exit_code == 2, said
        shown.append(said)
    return shown


def test_a_server_that_is_not_there_is_named_in_words(root: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    for said in _refused(root, url):
        assert f"unter {url} antwortet kein Server (die Verbindung wurde abgelehnt)" in said
        assert "Errno" not in said and "refused" not in said


def test_a_refused_key_says_which_variable_holds_it_and_what_the_server_said(
    root: Path, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gemeingut.serve.app import create_app
    from gemeingut.serve.backends import TransformersBackend
    from gemeingut.serve.gateway.gate import Gateway
    from gemeingut.serve.gateway.identity import add_group, add_user
    from gemeingut.serve.gateway.store import open_store

    engine = open_store(str(tmp_path / "gateway.db"))
    add_group(engine, "einkauf")
    add_user(engine, "eva", ("einkauf",))
    app = create_app(TransformersBackend(model_dir), gateway=Gateway(engine))
    monkeypatch.setenv("GEMEINGUT_API_KEY", "kein-gueltiger-schluessel")
    with running_server(app) as url:
        result = invoke(
            "assist", "vermerk", "vergabe", "--subject", "Fristen", "--root", root,
            "--endpoint", f"{url}/v1",
        )  # fmt: skip
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert f"{url}/v1/models antwortete 401: " in said
    assert '{"error"' not in said and "invalid_api_key" not in said  # the message, not JSON
    assert "setzen Sie GEMEINGUT_API_KEY auf einen gültigen Schlüssel dieses Servers" in said


@pytest.mark.parametrize("command", ["vermerk", "rede"])
def test_the_help_of_a_draft_says_where_the_key_comes_from(command: str) -> None:
    shown = invoke("assist", command, "--help")
    assert shown.exit_code == 0 and "GEMEINGUT_API_KEY" in shown.output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("127.0.0.1:8000/v1", "„127.0.0.1:8000/v1“"),  # httpx: UnsupportedProtocol, in English
        ("http://[::1", "„http://[::1“"),  # httpx: InvalidURL, a traceback
        (" ", "„“"),
        ("ftp://amt/v1", "„ftp://amt/v1“"),
    ],
)
def test_an_endpoint_address_no_client_can_ask_is_said_before_asking(
    root: Path, url: str, shown: str
) -> None:
    for said in _refused(root, url):
        assert (
            f"{shown} ist keine Endpunktadresse: sie beginnt mit http:// oder https:// und "
            "nennt einen Host"
        ) in said
        assert "z. B. http://127.0.0.1:8000/v1 (gemeingut serve auf diesem Rechner)" in said
        assert "Traceback" not in said and "Protocol" not in said


def test_an_endpoint_without_v1_is_told_where_the_api_lives(
    root: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gemeingut.serve.app import create_app
    from gemeingut.serve.backends import TransformersBackend

    monkeypatch.delenv("GEMEINGUT_API_KEY", raising=False)
    with running_server(create_app(TransformersBackend(model_dir))) as url:
        for given in (url, f"{url}/", f"{url}/v1/chat/completions"):
            result = invoke("rag", "query", "vergabe", "Frist", "--answer", "--root", root,
                            "--endpoint", given)  # fmt: skip
            said = " ".join(result.output.split())
            assert result.exit_code == 2, said
            assert "antwortete 404" in said
            assert (
                "der Endpunkt ist die Basisadresse der API, sie endet meist auf /v1 "
                f"(z. B. {url}/v1)"
            ) in said
