"""Signing, verifying and keys refuse what they cannot use in words of their own, before any
work: foreign or locked keys, MANIFEST paths no file can have, paths the system refuses."""

import errno
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.cli.common import os_error
from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import MANIFEST, verify_manifest, write_manifest
from gemeingut.release.signing import create_key, list_keys, sign_bundle, verify_signature
from gemeingut.stages import _check_lineage
from gemeingut.workspace import Artifact, write_text_atomic

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _write_pair(folder: Path, name: str, key, password: bytes | None = None) -> None:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (folder / f"{name}.key").write_bytes(private)
    (folder / f"{name}.pub").write_bytes(public)


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keys gemeingut cannot sign with, beside two of its own."""
    folder = tmp_path_factory.mktemp("keys")
    _write_pair(folder, "rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    _write_pair(folder, "ed", ed25519.Ed25519PrivateKey.generate())
    _write_pair(folder, "k1", ec.generate_private_key(ec.SECP256K1()))
    _write_pair(folder, "locked", ec.generate_private_key(ec.SECP256R1()), b"secret")
    create_key("publisher", folder)
    create_key("stranger", folder)
    return folder


@pytest.fixture
def small_bundle(tmp_path: Path) -> Path:
    """A folder with a MANIFEST: enough for the MANIFEST and signature checks."""
    bundle = tmp_path / "bundle"
    (bundle / "model").mkdir(parents=True)
    (bundle / "README.md").write_text("# card\n", encoding="utf-8")
    (bundle / "model" / "weights.bin").write_bytes(b"\x00" * 64)
    write_manifest(bundle)
    return bundle


def _append(bundle: Path, line: str) -> int:
    with (bundle / MANIFEST).open("a", encoding="utf-8") as handle:
        handle.write(line)
    return len((bundle / MANIFEST).read_text(encoding="utf-8").splitlines())


def test_a_manifest_path_with_a_nul_byte_is_named_with_its_line(small_bundle: Path) -> None:
    number = _append(small_bundle, f"{'0' * 64}  model/x\0y\n")
    with pytest.raises(VerifyError, match=rf"MANIFEST:{number}: .*enthält ein Steuerzeichen"):
        verify_manifest(small_bundle)


def test_a_manifest_path_longer_than_a_file_system_allows_is_named(small_bundle: Path) -> None:
    number = _append(small_bundle, f"{'0' * 64}  model/{'a' * 5000}\n")
    with pytest.raises(VerifyError, match=rf"MANIFEST:{number}: .*länger, als ein Dateisystem"):
        verify_manifest(small_bundle)


@pytest.mark.parametrize(
    "spelling", ["./README.md", ".//README.md", "model//weights.bin", "model/"]
)
def test_a_second_spelling_of_a_listed_path_is_refused_with_its_line(
    small_bundle: Path, spelling: str
) -> None:
    number = _append(small_bundle, f"{'0' * 64}  {spelling}\n")
    with pytest.raises(VerifyError, match=rf"MANIFEST:{number}: .*nicht schlicht geschrieben"):
        verify_manifest(small_bundle)


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("rsa.key", "enthält einen RSA-Schlüssel"),
        ("ed.key", "enthält einen Ed25519-Schlüssel"),
        ("k1.key", "enthält einen EC secp256k1-Schlüssel"),
        ("locked.key", "durch ein Passwort geschützt"),
        ("publisher.pub", "ist ein öffentlicher Schlüssel; zum Signieren"),
    ],
)
def test_sign_refuses_a_key_it_cannot_use_before_reading_the_bundle(
    foreign: Path, tmp_path: Path, key: str, said: str
) -> None:
    result = invoke("sign", tmp_path / "no-bundle", "--key", foreign / key)
    assert result.exit_code == 2, result.output
    assert said in result.stderr and key in result.stderr
    assert "gemeingut keys create" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("rsa.pub", "enthält einen RSA-Schlüssel"),
        ("ed.pub", "enthält einen Ed25519-Schlüssel"),
        ("publisher.key", "ist ein privater Schlüssel; zum Prüfen"),
    ],
)
def test_verify_refuses_a_key_it_cannot_use_before_hashing(
    foreign: Path, tmp_path: Path, key: str, said: str
) -> None:
    result = invoke("verify", tmp_path / "no-bundle", "--key", foreign / key)
    assert result.exit_code == 2, result.output
    assert said in result.stderr and "Traceback" not in result.output


def test_verify_with_a_folder_as_key_names_the_folder(tmp_path: Path) -> None:
    result = invoke("verify", tmp_path, "--key", tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path} ist ein Ordner, keine Schlüsseldatei" in result.stderr


def test_a_signature_of_another_key_is_said_in_german(small_bundle: Path, foreign: Path) -> None:
    sign_bundle(small_bundle, foreign / "stranger.key")
    with pytest.raises(VerifyError) as caught:
        verify_signature(small_bundle, foreign / "publisher.pub")
    keys = {k.name: k.fingerprint for k in list_keys(foreign)}
    said = str(caught.value)
    assert (
        f"wurde mit dem Schlüssel {keys['stranger']} (stranger) erstellt, nicht mit "
        f"{keys['publisher']} ({foreign / 'publisher.pub'})" in said
    ), said
    assert "jemand anderem signiert" in said and "Key mismatch" not in said


def test_release_refuses_a_foreign_sign_key_before_building(foreign: Path, tmp_path: Path) -> None:
    nowhere = tmp_path / "no-artifact"
    args = ["--dataset", nowhere, "--tokenizer", nowhere, "--model", nowhere]
    result = invoke(
        "release", "--name", "m", "--out", tmp_path / "rel", *args,
        "--evaluation", nowhere, "--sign-key", foreign / "rsa.key",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "enthält einen RSA-Schlüssel" in result.stderr
    assert not (tmp_path / "rel").exists()


def test_release_with_an_empty_licence_says_none_was_given(tmp_path: Path) -> None:
    nowhere = tmp_path / "no-artifact"
    args = ["--dataset", nowhere, "--tokenizer", nowhere, "--model", nowhere]
    result = invoke(
        "release", "--name", "m", "--out", tmp_path / "rel", *args,
        "--evaluation", nowhere, "--license", "",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "keine Lizenz angegeben" in result.stderr


def test_keys_list_shows_the_good_keys_and_marks_a_damaged_one(tmp_path: Path) -> None:
    create_key("good", tmp_path)
    (tmp_path / "broken.pub").write_text("junk\n")
    result = invoke("keys", "list", "--dir", tmp_path)
    assert result.exit_code == 1  # listed, but a script must notice the damaged key
    assert "good  SHA256:" in result.stdout  # the list is the result: on stdout
    assert "broken  beschädigt:" in result.stdout and "kein öffentlicher Schlüssel" in result.stdout
    rows = {row["name"]: row for row in json.loads(invoke("keys", "list", "--dir", tmp_path,
                                                          "--json").stdout)}  # fmt: skip
    assert rows["good"]["fingerprint"].startswith("SHA256:") and rows["good"]["problem"] is None
    assert rows["broken"]["fingerprint"] is None and "PEM" in rows["broken"]["problem"]


def test_keys_create_in_a_file_says_it_is_no_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = invoke("keys", "create", "c", "--dir", tmp_path / "file")
    assert result.exit_code == 2
    assert "ist eine Datei, kein Ordner für Schlüssel" in result.stderr


def test_openness_rate_out_in_a_missing_folder_names_the_users_path(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    out = tmp_path / "nowhere" / "r.json"
    result = invoke("openness", "rate", tmp_path / "model", "--out", out)
    assert result.exit_code == 2
    assert f"{out}: der Ordner {out.parent} existiert nicht" in result.stderr
    assert ".tmp" not in result.stderr
    result = invoke("openness", "rate", tmp_path / "model", "--out", tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path} ist ein Ordner, hier ist aber eine Datei nötig" in result.stderr


def test_an_atomic_write_that_fails_names_the_file_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "r.json"
    with pytest.raises(FileNotFoundError) as caught:
        write_text_atomic(target, "{}")
    assert caught.value.filename == str(target)
    with pytest.raises(OSError) as caught:
        write_text_atomic(tmp_path / ("a" * 300), "{}")
    assert caught.value.errno == errno.ENAMETOOLONG
    assert caught.value.filename == str(tmp_path / ("a" * 300))


@pytest.mark.parametrize(
    ("number", "said", "code"),
    [
        (errno.EEXIST, "existiert bereits", 2),
        (errno.EACCES, "Zugriff verweigert", 2),
        (errno.ENOTDIR, "ein Teil des Pfads ist eine Datei", 2),
        (errno.ENAMETOOLONG, "der Name ist zu lang", 2),
        (errno.ENOSPC, "kein Platz mehr auf dem Datenträger", 1),
    ],
)
def test_a_system_error_is_said_in_german_with_the_path(number: int, said: str, code: int) -> None:
    message, hint, exit_code = os_error(OSError(number, "English words", "/data/out.json"))
    assert said in text(message) and "/data/out.json" in text(message)
    assert text(hint) and exit_code == code


def test_mixed_artifacts_are_named_in_german() -> None:
    def artifact(kind: str, art_id: str, **inputs: str) -> Artifact:
        return Artifact(Path(art_id), {"kind": kind, "id": art_id, "inputs": inputs})

    artifacts = {
        "dataset": artifact("dataset", "ds-1"),
        "tokenizer": artifact("tokenizer", "tok-1"),
        "model": artifact("model", "mdl-1", dataset="ds-1", tokenizer="tok-1"),
        "evaluation": artifact("evaluation", "ev-1", model="mdl-pretrained", dataset="ds-1"),
    }
    with pytest.raises(InputError) as caught:
        _check_lineage(artifacts, [])
    assert "es trifft nicht zu: Evaluation des veröffentlichten Modells" in str(caught.value)
    assert "released model" not in str(caught.value)


def test_the_digests_checked_are_what_is_signed(small_bundle: Path, foreign: Path) -> None:
    """`sign` signs the hashes its check computed, and model-signing's own verification, which
    hashes the files itself, accepts the result; a digest that is not the file's fails there."""
    from gemeingut.hashing import sha256_file
    from gemeingut.release.manifest import read_manifest

    digests = {**read_manifest(small_bundle), MANIFEST: sha256_file(small_bundle / MANIFEST)}
    sign_bundle(small_bundle, foreign / "publisher.key", digests)
    verify_signature(small_bundle, foreign / "publisher.pub")  # hashes every file itself
    wrong = {**digests, "README.md": "0" * 64}
    sign_bundle(small_bundle, foreign / "publisher.key", wrong)
    with pytest.raises(VerifyError, match=r"README\.md"):
        verify_signature(small_bundle, foreign / "publisher.pub")


def test_keys_list_of_a_file_or_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("")
    result = invoke("keys", "list", "--dir", tmp_path / "notes.md")
    assert result.exit_code == 2
    assert "notes.md ist eine Datei, kein Ordner für Schlüssel" in result.stderr
    result = invoke("keys", "list", "--dir", tmp_path / "nowhere")
    assert result.exit_code == 2 and "der Schlüsselordner" in result.stderr
    assert "keine Schlüssel" not in result.output


def test_a_new_key_folder_is_private_whatever_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0)
    try:
        create_key("own", tmp_path / "keys")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_an_unsigned_bundle_checked_with_a_key_says_what_no_key_proves(
    small_bundle: Path, foreign: Path
) -> None:
    result = invoke("verify", small_bundle, "--key", foreign / "publisher.pub")
    assert result.exit_code == 1, result.output  # the bundle fails, the call was right
    assert "ohne --key prüft verify die Dateien nur gegen das MANIFEST" in result.stderr
    assert "beweist nicht, wer sie veröffentlicht hat" in result.stderr
    assert "oder prüfen Sie ohne --key" not in result.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [("", "die Datei ist leer"), ("{not json", "kein gültiges JSON (Zeile 1, Spalte 2)")],
)
def test_a_damaged_signature_is_said_in_german_words(
    small_bundle: Path, foreign: Path, content: str, said: str
) -> None:
    (small_bundle / "bundle.sig").write_text(content)
    for key in ([], ["--key", foreign / "publisher.pub"]):
        result = invoke("verify", small_bundle, *key)
        assert result.exit_code == 1, result.output
        assert f"bundle.sig lässt sich nicht lesen: {said}" in result.stderr
        assert "JSONDecodeError" not in result.output


def test_keys_create_and_list_write_their_result_to_stdout(tmp_path: Path) -> None:
    """`gemeingut keys list > keys.txt` left the file empty: the list went to stderr, where
    progress and errors belong."""
    import os
    import subprocess
    import sys

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GEMEINGUT_LANG": "de"}
        command = [sys.executable, "-m", "gemeingut.cli", "keys", *arguments]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    made = run("create", "amt-2026", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    assert "amt-2026" in made.stdout and "öffentlicher Schlüssel" in made.stdout, made.stdout
    listed = run("list", "--dir", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    assert "amt-2026" in listed.stdout and "amt-2026" not in listed.stderr
