"""Offline signatures for release bundles, with OpenSSF model-signing and a local EC key.

The signature (`bundle.sig`, a Sigstore bundle around an in-toto statement) lists the sha256 of
every file in the bundle: the weights, the card, the data manifest, the evaluation results and
the openness report are all bound by it, so a MANIFEST rewritten after a change is named as
differing from what the key signed (the signature itself stays valid for that key: who signed
and what changed since are said apart). Keys are EC P-256 PEM files made by
`gemeingut keys create`; no network is used.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import Message, _
from gemeingut.json_records import why_unreadable
from gemeingut.release.manifest import SIGNATURE, shown_name
from gemeingut.release.openness.sentences import joined

PRIVATE_SUFFIX = ".key"
PUBLIC_SUFFIX = ".pub"

DAMAGED_SIGNATURE = _("the signature is damaged; obtain an unmodified copy")


def default_key_dir() -> Path:
    """Where `keys create` puts keys unless told otherwise (XDG config folder)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "gemeingut" / "keys"


CURVES = ("secp256r1", "secp384r1", "secp521r1")  # what model-signing signs with
_KEY_NEEDED = _("create one with `gemeingut keys create NAME` and pass its .key file")
_PUBLIC_NEEDED = _("pass the .pub file that `gemeingut keys create` wrote for the signer")


@dataclass(frozen=True)
class KeyInfo:
    name: str
    private: Path | None
    public: Path
    fingerprint: str | None  # `SHA256:` + sha256 of the PEM public key (`fingerprint`); None
    created: str  # where the .pub file cannot be read as a key, and `problem` says why
    problem: str | Message | None = None


def create_key(name: str, folder: Path) -> KeyInfo:
    """A new EC P-256 key pair `<name>.key` (mode 600) and `<name>.pub`; never overwrites."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise InputError(
            _("key name {name!r} is not usable as a file name", name=name),
            _(
                "use letters, digits, '-', '_' and '.', e.g. {example}",
                example="`gemeingut keys create release-2026`",
            ),
        )
    private_path, public_path = (
        folder / f"{name}{PRIVATE_SUFFIX}",
        folder / f"{name}{PUBLIC_SUFFIX}",
    )
    if private_path.exists() or public_path.exists():
        raise InputError(
            _("a key named {name!r} already exists in {folder}", name=name, folder=folder),
            _("choose another name; an existing key is never overwritten"),
        )
    if folder.exists() and not folder.is_dir():
        raise InputError(
            _("{path} is a file, not a folder for keys", path=folder),
            _("pass a folder with --dir (it is created if missing)"),
        )
    _make_private_folder(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(private_path, private_pem, 0o600)
    _write_new(public_path, public_pem, 0o644)
    return key_info(public_path)


def _make_private_folder(folder: Path) -> None:
    """A new key folder readable by its owner only (mode 700, whatever the umask): the
    private keys lie in it. An existing folder is left as its owner set it."""
    if folder.is_dir():
        return
    folder.mkdir(parents=True, mode=0o700)
    os.chmod(folder, 0o700)  # mkdir's mode passes through the umask


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write under a temporary name with the final mode from the start, then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def list_keys(folder: Path) -> list[KeyInfo]:
    """Every key pair in `folder`; a damaged .pub file is listed with its problem, so that it
    hides neither itself nor the good keys beside it. A folder that does not exist holds no
    keys; a file where the folder should be is an error."""
    if folder.exists() and not folder.is_dir():
        raise InputError(
            _("{path} is a file, not a folder for keys", path=folder),
            _("pass the folder that holds the .key and .pub files with --dir"),
        )
    if not folder.is_dir():
        return []
    return [key_info(path, damaged_ok=True) for path in sorted(folder.glob(f"*{PUBLIC_SUFFIX}"))]


def key_info(public_path: Path, damaged_ok: bool = False) -> KeyInfo:
    private = public_path.with_suffix(PRIVATE_SUFFIX)
    created = dt.datetime.fromtimestamp(public_path.stat().st_mtime, dt.UTC)
    digest, problem = None, None
    try:
        digest = fingerprint(public_path)
    except InputError as exc:
        if not damaged_ok:
            raise
        problem = exc.message
    return KeyInfo(
        name=public_path.stem,
        private=private if private.is_file() else None,
        public=public_path,
        fingerprint=digest,
        created=created.isoformat(timespec="seconds"),
        problem=problem,
    )


def fingerprint(public_path: Path) -> str:
    """`SHA256:` and the sha256 of the key in PEM as `cryptography` writes it (whatever line
    ends the file has): the very hash model-signing records in `bundle.sig` as its signer's
    hint, so that `keys list`, `verify` and `verify --key` name a key by one fingerprint."""
    from cryptography.hazmat.primitives import serialization

    key = load_public_key(public_path)
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hinted(hashlib.sha256(pem).hexdigest())


def hinted(hint: str) -> str:
    """The fingerprint of the key whose hint `bundle.sig` records."""
    return f"SHA256:{hint}"


def load_public_key(public_path: Path):
    """The EC public key in `public_path`, or an `InputError` saying which key is needed."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data = _read_key_file(public_path, private=False)
    if b"PRIVATE KEY-----" in data:
        raise InputError(
            _(
                "{path} is a private key; checking a signature needs the public key",
                path=public_path,
            ),
            _("pass the .pub file beside it; keep the .key file secret"),
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(
            _("{path} is not a PEM public key", path=public_path), _PUBLIC_NEEDED
        ) from None
    _require_ec(key, public_path, _PUBLIC_NEEDED)
    return key


def load_private_key(private_path: Path):
    """The EC private key in `private_path`, or an `InputError` saying which key is needed:
    checked before a release is built or a bundle hashed, not after."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data = _read_key_file(private_path, private=True)
    if b"PUBLIC KEY-----" in data and b"PRIVATE KEY-----" not in data:
        raise InputError(
            _("{path} is a public key; signing needs the private key", path=private_path),
            _("pass the .key file of the same name, which `gemeingut keys create` wrote"),
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # cryptography's word for an encrypted key read without a password
        raise InputError(
            _(
                "{path} is protected by a password; gemeingut signs with unencrypted keys only",
                path=private_path,
            ),
            _(
                "sign with a key made by `gemeingut keys create NAME`: it has no password "
                "and only you may read it (mode 600)"
            ),
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(
            _("{path} is not a PEM private key", path=private_path), _KEY_NEEDED
        ) from None
    _require_ec(key, private_path, _KEY_NEEDED)
    return key


def _read_key_file(path: Path, private: bool) -> bytes:
    hint = _KEY_NEEDED if private else _PUBLIC_NEEDED
    if path.is_dir():
        raise InputError(_("{path} is a folder, not a key file", path=path), hint)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if private:
            raise InputError(_("private key {path} does not exist", path=path), hint) from None
        raise InputError(_("public key {path} does not exist", path=path), hint) from None


def _require_ec(key: object, path: Path, hint: Message) -> None:
    """model-signing signs with EC keys of three curves; any other key fails deep inside it."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    kinds = {
        "RSA": (rsa.RSAPrivateKey, rsa.RSAPublicKey),
        "Ed25519": (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey),
        "Ed448": (ed448.Ed448PrivateKey, ed448.Ed448PublicKey),
        "DSA": (dsa.DSAPrivateKey, dsa.DSAPublicKey),
    }
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if key.curve.name in CURVES:
            return
        kind = f"EC {key.curve.name}"
    else:
        found = [name for name, types in kinds.items() if isinstance(key, types)]
        kind = found[0] if found else type(key).__name__
    raise InputError(
        _(
            "{path} holds a {kind} key; gemeingut signs with EC keys (P-256, P-384 or P-521)",
            path=path,
            kind=kind,
        ),
        hint,
    )


def sign_bundle(bundle: Path, private_key: Path, digests: dict[str, str] | None = None) -> Path:
    """Sign every file of `bundle` (after its MANIFEST is written); returns the signature path.
    With `digests` (each file's sha256, the MANIFEST's own included, just checked against the
    files) exactly those are signed: no file is read again between the check and the signing."""
    from model_signing import hashing, signing

    load_private_key(private_key)
    signature = bundle / SIGNATURE
    hashed = _hashing(hashing, bundle) if digests is None else _known(digests)
    config = signing.Config().set_hashing_config(hashed)
    try:
        config.use_elliptic_key_signer(private_key=private_key)
    except ValueError as exc:
        raise InputError(
            _("{path} is not a usable private key: {error}", path=private_key, error=exc),
            _("pass the .key file that `gemeingut keys create` wrote (EC P-256/384/521, PEM)"),
        ) from None
    tmp = bundle.parent / f".{bundle.name}.{SIGNATURE}.tmp"
    config.sign(bundle, tmp)
    os.replace(tmp, signature)
    return signature


class SignedOtherFiles(VerifyError):
    """A signature valid for the key given, made for other files than the bundle holds: the
    key is the right one, the files were changed after signing (`differences` names them)."""

    def __init__(self, message: Message, hint: Message, differences: list[Message]) -> None:
        super().__init__(message, hint)
        self.differences = differences

    def __reduce__(self) -> tuple:
        return (type(self), (self.message, self.hint, self.differences))


def verify_signature(bundle: Path, public_key: Path, digests: dict[str, str] | None = None) -> None:
    """Raise `VerifyError` unless `bundle.sig` was made by the key and every file matches it.

    Two questions, answered apart: is the signature valid for this key (model-signing checks
    it and the list of digests it signed, compared with that very list), and do the files
    match that list (`digests`: each file's sha256, the MANIFEST's own included, already
    checked against the files; without it, the files are hashed here). A valid signature
    over other files is a `SignedOtherFiles`, never "another key"."""
    from cryptography.exceptions import InvalidSignature
    from model_signing import hashing, verifying

    load_public_key(public_key)  # a clear error for a missing, malformed or foreign key
    signature = _signature_file(bundle)
    _signature_document(bundle)  # not UTF-8 or not JSON: said so, not as a failed check
    signed = signed_digests(bundle)
    config = verifying.Config().use_elliptic_key_verifier(public_key=public_key)
    config.set_hashing_config(_known(signed))  # the signed list against itself: key only
    try:  # model-signing prints a warning of its own on stdout, where `--json` writes
        with contextlib.redirect_stdout(io.StringIO()):  # (a signature without key hint)
            config.verify(bundle, signature)
    except InvalidSignature:  # the statement was altered, or a hint names the key falsely
        reason = _("the signed statement does not match its signature")
        raise _not_verified(bundle, public_key, reason) from None
    except Exception as exc:  # model-signing's ValueError, or its reader's (JSON, pydantic)
        if isinstance(exc, ValueError) and str(exc).startswith("Key mismatch"):
            raise _other_key(bundle, public_key) from None
        # a file the reader does not take (a field it does not know), or a signed list of
        # another form than ours: the files themselves are compared below, never in here
        raise _damaged(bundle, exc) from None
    actual = _hashed(hashing, bundle) if digests is None else digests
    differences = _differences(signed, actual)
    if differences:
        raise SignedOtherFiles(
            _(
                "the signature of {bundle} is valid for {key} ({fingerprint}), but files differ "
                "from what was signed: {problems}",
                bundle=bundle,
                key=public_key.name,
                fingerprint=fingerprint(public_key),
                problems=joined(differences[:10]),
            ),
            _(
                "the signature was made with this key; the files named were changed after "
                "signing: obtain an unmodified copy"
            ),
            differences,
        )


def _not_verified(bundle: Path, public_key: Path, reason: str | Message) -> VerifyError:
    """A signature that is not valid for the key: altered, or made with another key that
    its hint does not name."""
    return VerifyError(
        _(
            "the signature of {bundle} does not verify with {key}: {reason}",
            bundle=bundle,
            key=public_key.name,
            reason=reason,
        ),
        _("the bundle was changed after signing, or it was signed with another key"),
    )


def _hashed(hashing, bundle: Path) -> dict[str, str]:
    """path → sha256 of every file as model-signing lists a bundle (the signature left out)."""
    listed = _hashing(hashing, bundle).hash(bundle)
    return {str(item.identifier): item.digest.digest_hex for item in listed.resource_descriptors()}


def _differences(signed: dict[str, str], digests: dict[str, str]) -> list[Message]:
    """Each file whose digest is not the signed one, extra or missing, in path order."""
    problems = [
        _("changed: {file}", file=shown_name(rel))
        for rel in sorted(digests)
        if rel in signed and signed[rel] != digests[rel]
    ]
    problems += [
        _("extra: {file}", file=shown_name(rel)) for rel in sorted(set(digests) - set(signed))
    ]
    problems += [
        _("missing: {file}", file=shown_name(rel)) for rel in sorted(set(signed) - set(digests))
    ]
    return problems


def _other_key(bundle: Path, public_key: Path) -> VerifyError:
    """A signature by another key than the one expected: both named by fingerprint, the
    signer's with its name where a key beside the expected one or in `keys list` has it."""
    hint = key_hint(bundle)
    signer = hinted(hint) if hint else _("(not named in the signature)")
    found = hinted_key(hint, public_key.parent) if hint else None
    if found is not None:
        signer = _("{key} ({name})", key=hinted(hint or ""), name=found.name)
    return VerifyError(
        _(
            "the signature of {bundle} was made with the key {signer}, not with {expected} "
            "({path})",
            bundle=bundle,
            signer=signer,
            expected=fingerprint(public_key),
            path=str(public_key),
        ),
        _(
            "the bundle was signed by someone else, or the publisher signed with another key: "
            "obtain the publisher's public key from a source you trust and check with it"
        ),
    )


def check_signed_list(bundle: Path, digests: dict[str, str]) -> None:
    """Without a key: `bundle.sig` must be readable and list exactly these files and digests.
    Who signed it stays unchecked, but a damaged signature, or one made for other bytes (a
    MANIFEST rewritten after signing), is named instead of passing as "signed"."""
    problems = _differences(signed_digests(bundle), digests)
    if problems:
        raise VerifyError(
            _(
                "the signature of {bundle} was made for other files: {problems}",
                bundle=bundle,
                problems=joined(problems[:10]),  # in the language it is shown in
            ),
            _("the bundle was changed after signing; obtain an unmodified copy"),
        )


def signed_digests(bundle: Path) -> dict[str, str]:
    """path → sha256 as the signature's in-toto statement lists them (not yet trusted: only a
    check with the publisher's key says who made the list)."""
    envelope = _signature_document(bundle).get("dsseEnvelope")
    try:
        payload = envelope["payload"]  # type: ignore[index]
    except (KeyError, TypeError) as exc:
        raise _damaged(bundle, exc if isinstance(exc, KeyError) else KeyError("payload")) from None
    try:
        statement = json.loads(base64.b64decode(payload, validate=True))
    except (ValueError, TypeError):  # base64, UTF-8 or JSON of the statement itself
        raise _damaged(bundle, payload_error=True) from None
    try:
        resources = statement["predicate"]["resources"]
        return {str(r["name"]): str(r["digest"]) for r in resources if r["algorithm"] == "sha256"}
    except (KeyError, TypeError) as exc:  # a statement of another shape
        raise _damaged(bundle, exc) from None


def _signature_document(bundle: Path) -> dict:
    """`bundle.sig` as a JSON object; a file that is not (not UTF-8, not JSON, nested too
    deeply, a list) is named as damaged, with what is wrong with it."""
    path = _signature_file(bundle)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # UTF-8 or JSON of the file itself
        raise _damaged(bundle, exc) from None
    if not isinstance(document, dict):
        raise _damaged(bundle, TypeError(type(document).__name__))
    return document


def key_hint(bundle: Path) -> str | None:
    """The key `bundle.sig` says it was made with: model-signing records the sha256 of the
    signer's PEM public key, which is the `.pub` file `keys create` writes (None where the
    signature cannot be read or names none). Unchecked: anyone can write any hint."""
    try:
        document = json.loads((bundle / SIGNATURE).read_bytes())
        hint = document["verificationMaterial"]["publicKey"]["hint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return hint if isinstance(hint, str) and re.fullmatch(r"[0-9a-f]{64}", hint) else None


def hinted_key(hint: str, folder: Path | None = None) -> KeyInfo | None:
    """The key pair in `folder` or among `gemeingut keys list`'s (the default key folder)
    whose fingerprint is the one `bundle.sig` names its signer by; None where none has.
    Unchecked, as the hint is: a match names a key, it proves nothing."""
    for place in dict.fromkeys([p for p in (folder, default_key_dir()) if p is not None]):
        try:
            keys = list_keys(place)
        except InputError:  # a file where a key folder should be: it holds no key
            continue
        for key in keys:
            if key.fingerprint == hinted(hint):
                return key
    return None


def _damaged(
    bundle: Path, exc: BaseException | None = None, payload_error: bool = False
) -> VerifyError:
    """`bundle.sig` named as unreadable: the file itself (`exc` says why, as every record's
    reader says it) or the statement inside it."""
    why = (
        _("its statement (payload) is not base64-encoded JSON")
        if payload_error or exc is None
        else _why(exc)
    )
    return VerifyError(
        _("{path} cannot be read: {error}", path=f"{bundle}/{SIGNATURE}", error=why),
        DAMAGED_SIGNATURE,
    )


def _why(exc: BaseException) -> str | Message:
    """`why_unreadable`, but a field model-signing's reader (pydantic) refuses is named in the
    reader's words, not in pydantic's English dump of the whole file."""
    from pydantic import ValidationError

    from gemeingut.i18n.validation import problem

    if isinstance(exc, ValidationError) and (errors := exc.errors()):
        field = ".".join(str(part) for part in errors[0]["loc"])
        return _("the field {field} {problem}", field=field, problem=problem(errors[0]))
    return why_unreadable(exc)


def _signature_file(bundle: Path) -> Path:
    signature = bundle / SIGNATURE
    if not signature.is_file():
        raise VerifyError(
            _("{bundle} is not signed: {file} is missing", bundle=bundle, file=SIGNATURE),
            _(
                "ask the publisher for the signed bundle; without --key, verify checks the "
                "files against the MANIFEST only, which does not prove who released them "
                "(anyone can write a MANIFEST)"
            ),
        )
    return signature


def _known(digests: dict[str, str]):
    """A model-signing hashing configuration that answers with digests computed already."""
    from model_signing import hashing, manifest
    from model_signing._hashing.hashing import Digest  # pinned model-signing==1.1.1

    class KnownDigests(hashing.Config):
        def hash(self, model_path, *, files_to_hash=None) -> manifest.Manifest:
            items = [
                manifest.FileManifestItem(
                    path=PurePosixPath(rel), digest=Digest("sha256", bytes.fromhex(hexdigest))
                )
                for rel, hexdigest in digests.items()
            ]
            described = super().hash(model_path, files_to_hash=[])  # names the serialization
            return manifest.Manifest(described.model_name, items, described._serialization_type)

    return _configured(KnownDigests())


def _hashing(hashing, bundle: Path):
    """sha256 per file (the MANIFEST's hash), the signature itself left out."""
    return _configured(hashing.Config())


def _configured(config):
    """What every signature records: sha256 per file, `bundle.sig` itself left out (so that
    model-signing's own `verify`, which hashes the files, checks our bundles too)."""
    config = config.use_file_serialization(hashing_algorithm="sha256")
    return config.set_ignored_paths(paths=[SIGNATURE], ignore_git_paths=False)
