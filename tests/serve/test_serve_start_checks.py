"""What `gemeingut serve` refuses before the model loads, and how it reads `--allowed-host`:
a name is compared with the `Host` header by its host alone, so a URL or a port given is
reduced to it, and a value that can name no host is said at start (not as a 400 for every
request later)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.guards import allowed_hosts

Serve = Callable[[FastAPI], AbstractContextManager[str]]
runner = CliRunner()


@pytest.fixture
def unloadable(tmp_path: Path) -> Path:
    """A folder `serve` takes for a model but cannot load: a check that answers with it
    answered before the model loads."""
    folder = tmp_path / "kaputt"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def said(result) -> str:
    return " ".join(result.output.split())


def test_allowed_hosts_given_as_url_or_with_a_port_match_their_host_header(
    backend: TransformersBackend, serve: Serve
) -> None:
    given = ["https://KI.amt.de/chat", "ki3.amt.de:443", "[2001:DB8::5]:8443", "10.0.0.7:80"]
    with serve(create_app(backend, hosts=allowed_hosts("127.0.0.1", given))) as url:
        for host in ("ki.amt.de", "ki3.amt.de:443", "ki3.amt.de", "[2001:db8::5]:8000"):
            answer = httpx.get(f"{url}/v1/models", headers={"host": host})
            assert answer.status_code == 200, (host, answer.text)
        assert httpx.get(f"{url}/v1/models", headers={"host": "10.0.0.7"}).status_code == 200
        foreign = httpx.get(f"{url}/v1/models", headers={"host": "amt.de"})
        assert foreign.status_code == 400


@pytest.mark.parametrize("value", ["", "  ", "ki amt.de", "*.amt.de", "ki.amt.de:https"])
def test_an_allowed_host_that_names_no_host_is_refused_before_the_model_loads(
    unloadable: Path, value: str
) -> None:
    refused = runner.invoke(app, ["serve", str(unloadable), "--allowed-host", value])
    assert refused.exit_code == 2, refused.output
    assert f"--allowed-host „{value}“ ist kein Hostname" in refused.output.replace("\n", " ")
    assert "z. B. ki.amt.de" in said(refused)


def test_no_auth_with_a_database_is_refused(unloadable: Path, tmp_path: Path) -> None:
    """Keys would still be required: the flag would be silently ignored."""
    db = tmp_path / "gateway.db"
    refused = runner.invoke(app, ["serve", str(unloadable), "--no-auth", "--db", str(db)])
    assert refused.exit_code == 2, refused.output
    assert "--no-auth und --db schließen einander aus" in said(refused)
    from_environment = runner.invoke(
        app, ["serve", str(unloadable), "--no-auth"], env={"GEMEINGUT_DB": str(db)}
    )
    assert from_environment.exit_code == 2 and "einander aus" in said(from_environment)


def test_a_findings_file_in_a_missing_folder_is_refused_before_the_model_loads(
    unloadable: Path, tmp_path: Path
) -> None:
    """Else every report from the page was a 400 (the findings file's folder is not made)."""
    missing = tmp_path / "fehlt" / "findings.jsonl"
    refused = runner.invoke(app, ["serve", str(unloadable), "--findings", str(missing)])
    assert refused.exit_code == 2, refused.output
    assert f"der Ordner {missing.parent} existiert nicht" in said(refused), refused.output
    assert not missing.parent.exists()


def test_a_policy_regex_that_matches_empty_text_is_refused_at_start(
    unloadable: Path, tmp_path: Path
) -> None:
    """`x*` matched every request ("abgelehnt nach Regel kw")."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "id: amt\nversion: '1'\ntitle: {de: Amt, en: Office}\nrules:\n"
        "  - id: kw\n    kind: regex\n    action: refuse\n    pattern: 'x*'\n"
        "    text: {de: Abgelehnt, en: Refused}\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["serve", str(unloadable), "--policy", str(policy)])
    assert refused.exit_code == 2, refused.output
    assert f"{policy}: Zeile 5, Regel 1 (kw): pattern „x*“ passt auf leeren Text" in said(refused)


@pytest.mark.parametrize(
    "config",
    ["{}", '{"model_type": "llama", "vocab_size": "viele"}', '{"model_type": "gibt-es-nicht"}'],
)
def test_a_folder_transformers_cannot_load_is_said_not_a_traceback(
    unloadable: Path, config: str
) -> None:
    (unloadable / "config.json").write_text(config, encoding="utf-8")
    _tokenizer_in(unloadable)  # the model's config is what fails, not a missing tokenizer
    result = runner.invoke(app, ["serve", str(unloadable), "--port", "0"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "transformers kann" in said(result) and str(unloadable.name) in said(result)


def _tokenizer_in(folder: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    words = Tokenizer(WordLevel({"[UNK]": 0, "amt": 1}, unk_token="[UNK]"))
    PreTrainedTokenizerFast(tokenizer_object=words, unk_token="[UNK]").save_pretrained(folder)
