"""`gemeingut verify`: everything a bundle claims, checked again by anyone, offline.

Hashes against the MANIFEST, safe paths (no absolute or `..` paths, links or device files), all
five artifacts present, the signature against a given public key, and every openness check
re-run from the bundle's own files and compared with the `openness.json` it ships. An audit's
output folder is checked as `verify_audit_folder` says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gemeingut.errors import VerifyError
from gemeingut.i18n import Message, _, text
from gemeingut.i18n.visible import visible
from gemeingut.json_records import why_unreadable
from gemeingut.release.audit_folder import is_audit_folder
from gemeingut.release.layout import (
    AUDIT,
    AUDIT_REPORT,
    CARD,
    FIVE_ARTIFACTS,
    MODEL,
    TRAINING_DATA,
    TRAINING_METADATA,
    locate_bundle,
)
from gemeingut.release.manifest import (
    MANIFEST,
    SIGNATURE,
    load_manifest,
    manifest_problems,
    shorten,
)
from gemeingut.release.openness.claims import claim_problems
from gemeingut.release.openness.data_metadata import not_an_object, shard_licences
from gemeingut.release.openness.evidence import collect
from gemeingut.release.openness.finetune_claims import finetune_claim_problems
from gemeingut.release.openness.finetune_rating import (
    BASE_DIR,
    REQUIRED_FOLDERS,
    is_finetune_bundle,
    rate_finetune,
)
from gemeingut.release.openness.rating import rate
from gemeingut.release.verify_audit import audit_notes, audit_problems
from gemeingut.release.verify_base_release import base_release_notes, base_release_problems
from gemeingut.release.verify_data_statement import (
    DATA_STATEMENT,
    is_vague,
    named_lines,
    statement_lines,
)
from gemeingut.release.verify_empty_folders import older_empty_folders
from gemeingut.release.verify_finetune_data import (
    LINEAGE,
    finetune_data_problems,
    weight_problems,
)
from gemeingut.release.verify_format import other_format, other_version_hint, rebuild_hint
from gemeingut.release.verify_guard import READ_ERRORS, guarded, unreadable
from gemeingut.release.verify_recipe import RECIPE, recipe_problems
from gemeingut.release.verify_recomputed import recomputed_problems
from gemeingut.release.verify_shapes import shape_problems
from gemeingut.release.verify_statement_rendered import rendered_problems
from gemeingut.release.verify_swapped import swapped_data
from gemeingut.release.verify_wording import OlderWording
from gemeingut.workspace import code_version

_RECORD_FOLDERS = {".", TRAINING_METADATA, TRAINING_DATA, AUDIT, MODEL, BASE_DIR}


@dataclass(frozen=True)
class Verified:
    bundle: Path
    files: int
    signed_by: str | None  # fingerprint of the key the signature was checked against
    signature_present: bool
    digests: dict[str, str]  # every file's sha256 as checked (the MANIFEST's own included)
    signature: str | Message | None = None  # the signature's verdict, said first
    rating: dict[str, Any] | None = None  # the rating computed again from the files
    notes: tuple[Message, ...] = ()  # what was checked otherwise (a writer's words, vouched)


@dataclass(frozen=True)
class SignatureVerdict:
    said: str | Message | None  # the verdict; None where the signature is not looked at
    failed: bool = False
    hint: str | Message = ""
    signed_by: str | None = None
    key: str | None = None  # the key the signature was checked against (--key)
    other_files: bool = False  # valid for the key, but made for other files than these


@dataclass(frozen=True)
class Failure:
    """What a failed verification found, one problem at a time (for `verify --json`)."""

    bundle: Path
    signature: str | Message | None  # the signature's verdict
    signature_failed: bool
    problems: list[str | Message]  # the failed signature first
    rating: dict[str, Any] | None  # computed again where the files could be read
    signature_present: bool = False
    key: str | None = None  # fingerprint of the key given with --key (checked, valid or not)
    signed_by: str | None = None  # that key, where the signature is valid
    files: int = 0  # the files the MANIFEST lists, checked against it (none if it is unreadable)
    other_files: bool = False  # the signature is valid for the key, the files differ from it


class BundleFailed(VerifyError):
    """A bundle that fails verification (not a mistake in how verify was called): exit 1."""

    exit_code = 1

    def __init__(self, message: str | Message, hint: str | Message, failure: Failure) -> None:
        super().__init__(message, hint)
        self.failure = failure

    def __reduce__(self) -> tuple:
        return (type(self), (self.message, self.hint, self.failure))


def verify_bundle(
    path: Path,
    public_key: Path | None = None,
    with_signature: bool = True,
    base: Path | None = None,
) -> Verified:
    """Raise `VerifyError` naming every problem found, one a line, the signature's verdict
    first (a tampered file must not hide that the signature fails too); else say what was
    checked (without `with_signature`, not the signature a bundle has: `sign --force`
    replaces it); with `base`, the release of ours a fine-tune's base is, against what the
    bundle recorded of it (`verify_base_release`). A document in the words of the older
    gemeingut that wrote the bundle (`verify_wording`) passes only where a signer vouches for
    those words: a signature valid for `public_key`, or the caller's own, about to be made
    (without `with_signature`)."""
    if public_key is not None:  # a key that cannot check any signature, before any hashing
        from gemeingut.release.signing import load_public_key

        load_public_key(public_key)
    bundle = locate_bundle(path)
    if is_audit_folder(bundle):  # an audit's output folder: its own checks
        from gemeingut.release.verify_audit_folder import verify_audit_folder

        return verify_audit_folder(bundle, public_key, with_signature)
    try:
        expected, manifest_digest = load_manifest(bundle)
    except VerifyError as damaged:  # a MANIFEST that cannot be read: the bundle fails
        raise failed_alone(bundle, damaged.message, damaged.hint) from None
    # Every file is hashed once: the signature is compared with the digests the MANIFEST
    # lists, those with the files, and the MANIFEST's with the very bytes whose list was read.
    digests = {**expected, MANIFEST: manifest_digest}
    signed = (bundle / SIGNATURE).is_file()
    signature = signature_verdict(bundle, public_key, digests, signed and with_signature)
    # empty folders an older writer copied in are said, not failed (`verify_empty_folders`)
    problems, folders = older_empty_folders(bundle, manifest_problems(bundle, expected))
    problems.extend(missing_artifacts(expected, finetune=is_finetune_bundle(bundle)))
    hint = _("the bundle was altered after release; obtain an unmodified copy")
    rating = None
    older = None  # a format this gemeingut does not write: what differs may stem from it
    notes: list[Message] = []
    # the card, data statement or recipe alone changed, every other file the released one:
    # their claims are still checked against those files, so that the claim the edit changed
    # is named, not only its hash
    documents_changed, problems = _documents_alone(problems)
    # weights changed and data files swapped: said first, what follows from it after
    swaps: list[str | Message] = []
    if not problems:  # records are read only from files known to be the released ones
        swaps = swapped_data(bundle, expected)
        problems.extend(record_problems(bundle, expected))
    if not problems:
        swaps = [*_lineage_problems(bundle, expected), *swaps]
        claims, rating = _claim_problems(bundle)
        problems.extend(claims)
        problems.extend(guarded(lambda: recipe_problems(bundle, expected), RECIPE))
        named = named_lines(problems, DATA_STATEMENT)  # against the shards: said once, there
        problems.extend(rendered_problems(bundle, expected, named))  # each statement guarded
        problems.extend(recomputed_problems(bundle, expected, rating))  # GGUF, numbers
        # report.json against its logs, reports against it
        problems.extend(guarded(lambda: audit_problems(bundle, expected), AUDIT_REPORT))
        problems = list(dict.fromkeys(problems))  # a record two checks read is named once
        # an older version's words pass where a signer vouches for them (`verify_wording`)
        if (signature.signed_by is not None or not with_signature) and not documents_changed:
            notes = [p.vouched() for p in problems if isinstance(p, OlderWording)]
            problems = [p for p in problems if not isinstance(p, OlderWording)]
        notes += audit_notes(bundle, expected)  # figures an older audit kept no log of
        notes += base_release_notes(bundle)  # a base that is our release: as recorded from it
        if base is not None:
            problems.extend(base_release_problems(bundle, base))
        ours = code_version()  # a bundle another version wrote: what differs may stem from it
        older = (  # not where the card is known altered: no older format explains that
            other_format(bundle, expected, rating, problems, ours)
            if problems and not documents_changed
            else None
        )
        if older is not None and older.altered:  # it contradicts the version it names
            problems, older = [older.said, *problems], None
        elif not documents_changed:
            hint = other_version_hint(bundle, ours) or hint
    problems = [*documents_changed, *swaps, *problems]
    notes = [*folders, *notes]
    if problems or signature.failed:
        # a signature that failed is the first problem; one that did not (none, or unchecked)
        # is said on its own line before the list, and is none of its reasons
        failed = [signature.said] if signature.failed and signature.said is not None else []
        older = None if signature.failed else older  # a failed signature comes before all
        if older is not None:  # said first, in place of the problems that are its signs
            problems = [older.said, *(p for p in problems if p not in older.format_problems)]
            hint = rebuild_hint()
        listed = shorten([*failed, *problems])
        listed += "".join(f"\n  {text(note)}" for note in notes)  # no problems: how it checked
        listed = with_verdict(listed, signature, signed)
        # the sentence ends where the lines of the list begin: no colon left hanging
        headline = _("bundle {bundle} fails verification{problems}",
                     bundle=visible(str(bundle)), problems=listed)  # fmt: skip
        if older is not None:
            headline = _(
                "bundle {bundle} cannot be checked by this gemeingut: its files match their "
                "MANIFEST, but what this version finds may stem from the bundle's format, not "
                "from a change{problems}",
                bundle=visible(str(bundle)),
                problems=listed,
            )
        raise failed_with(bundle, headline, hint, signature, [*failed, *problems], rating, signed,
                          len(expected))  # fmt: skip
    return Verified(
        bundle, len(expected), signature.signed_by, signed, digests, signature.said, rating,
        tuple(notes),
    )  # fmt: skip


def failed_with(
    path: Path,
    headline: Message,
    hint: str | Message,
    signature: SignatureVerdict,
    problems: list[str | Message],
    rating: dict | None,
    signed: bool,
    files: int,
) -> BundleFailed:
    """The failure of `path` (a bundle or an audit's folder): its problems, the signature's
    verdict, and the signature's hint where the signature is what failed."""
    return BundleFailed(
        headline,
        signature.hint if signature.failed else hint,
        Failure(path, signature.said, signature.failed, problems, rating, signed, signature.key,
                signature.signed_by, files, signature.other_files),
    )  # fmt: skip


def with_verdict(listed: str, signature: SignatureVerdict, signed: bool) -> str:
    """The problems `listed` after a line with the verdict of a signature that did not fail
    (a failed one is the first problem)."""
    if signature.signed_by is not None and not signature.failed:  # the list is genuine
        verdict = _(
            "signature valid, key {key}: the MANIFEST is the one that was signed; what "
            "differs from it:",
            key=signature.signed_by,
        )
        return f"\n  {text(verdict)}{listed}"
    if signature.said is not None and not signature.failed:
        verdict = _(
            "signature: {verdict} (this alone does not fail verification)",
            # beside problems, not what a signature would add to checks that all passed
            verdict=signature.said if signed else _("not signed"),
        )
        return f"\n  {text(verdict)}{listed}"
    return listed


def _documents_alone(problems: list[Message]) -> tuple[list[Message], list[Message]]:
    """(the hash problems, []) where only the card, the data statement or the recipe changed,
    files no other check reads, so that what the edit changed in them is named too; else
    ([], `problems`)."""
    alone = [_("changed: {file}", file=name) for name in (CARD, DATA_STATEMENT, RECIPE)]
    if problems and all(problem in alone for problem in problems):
        return problems, []
    return [], problems


def failed_alone(
    bundle: Path, message: str | Message, hint: str | Message, files: int = 0
) -> BundleFailed:
    """A bundle that fails on one problem that stops the check (a damaged MANIFEST: no file
    checked; an audit sample that disagrees: after all `files` matched)."""
    present = (bundle / SIGNATURE).is_file()
    failure = Failure(bundle, None, False, [message], None, present, files=files)
    return BundleFailed(message, hint, failure)


def signature_verdict(
    bundle: Path, public_key: Path | None, digests: dict[str, str], check: bool
) -> SignatureVerdict:
    """The signature against the MANIFEST's list: with a key, who made it and for which
    files; without, only for which files (and which key it names, unchecked)."""
    from gemeingut.release import signing

    key = signing.fingerprint(public_key) if public_key is not None else None
    try:
        if public_key is not None:
            signing.verify_signature(bundle, public_key, digests)
            return SignatureVerdict(
                _("signature valid, key {key}", key=key), signed_by=key, key=key
            )
        if not check:
            return SignatureVerdict(None if (bundle / SIGNATURE).is_file() else _unsigned(bundle))
        signing.check_signed_list(bundle, digests)
    except signing.SignedOtherFiles as valid:  # the right key, but files changed since
        return SignatureVerdict(valid.message, True, valid.hint, key=key, other_files=True)
    except VerifyError as failed:  # its message names the signature, and what is wrong
        return SignatureVerdict(failed.message, True, failed.hint, key=key)
    return SignatureVerdict(_unchecked_signer(signing.key_hint(bundle)))


def _unsigned(bundle: Path) -> Message:
    """What a bundle without `bundle.sig` lacks, and how a signature is checked: the checks
    show that its files agree with each other, not whose they are."""
    return _(
        "not signed: only that the files agree with their MANIFEST and with each other was "
        "checked, not who made them (whoever changes a file can rewrite the MANIFEST "
        "too); a signature is checked with `gemeingut verify {bundle} --key PUBLIC_KEY` (the "
        "publisher's public key), once the publisher has signed the bundle with `gemeingut sign "
        "{bundle} --key KEY` (or when releasing, with --sign-key KEY; keys come from `gemeingut "
        "keys create`)",
        bundle=visible(str(bundle)),
    )


def _unchecked_signer(hint: str | None) -> Message:
    """Who `bundle.sig` says signed it, by the fingerprint `gemeingut keys list` and `verify
    --key` show, with the key's name and file where `keys list` has it."""
    from gemeingut.release import signing

    key = signing.hinted_key(hint) if hint else None
    if key is not None:
        return _(
            "signed with the key {name} ({key}, as `gemeingut keys list` shows it), but not "
            "checked: pass --key {path}",
            name=key.name,
            key=key.fingerprint or "?",
            path=str(key.public),
        )
    return _(
        "signed with the key {key} (as `gemeingut keys list` shows it), but not checked "
        "against a key you trust: pass --key PUBLIC_KEY",
        key=signing.hinted(hint) if hint else "?",
    )


def _claim_problems(bundle: Path) -> tuple[list[str | Message], dict[str, Any] | None]:
    """The rating and every claim re-checked; a record that is hashed correctly but does not
    hold what a release writes (a key removed, a header cut) is a problem named, not a crash.
    The data statement's licences that differ from the shards are named by line and value."""
    try:
        evidence = collect(bundle)
        if is_finetune_bundle(bundle):
            rating = rate_finetune(evidence)
            problems = finetune_claim_problems(bundle, evidence, rating)
        else:
            rating = rate(evidence)
            problems = claim_problems(bundle, evidence, rating)
        return _statement_lines(bundle, evidence, problems), rating
    except READ_ERRORS as exc:  # the last line of defence: each reader names what it expects
        return [unreadable(exc)], None  # where it can (a base's card: an InputError naming it)


def _statement_lines(
    bundle: Path, evidence: Any, problems: list[str | Message]
) -> list[str | Message]:
    """`problems` with the sentence that the data statement states other licences replaced
    by its lines that do, each with its value and the shards' (where they can be found)."""
    vague = [p for p in problems if is_vague(p, DATA_STATEMENT)]
    if not vague:
        return problems
    statement = (bundle / DATA_STATEMENT).read_text(encoding="utf-8")
    lines = statement_lines(DATA_STATEMENT, statement, shard_licences(evidence)[0])
    if not lines:
        return problems
    at = problems.index(vague[0])
    return [*problems[:at], *lines, *(p for p in problems[at:] if p not in vague)]


def _lineage_problems(bundle: Path, listed: dict[str, str]) -> list[str | Message]:
    """The released weights and every fine-tune's data against the sha256 the lineage
    records: a changed one is why the bills of materials differ, so it is said before them."""
    return [
        *guarded(lambda: weight_problems(bundle, listed), LINEAGE),
        *guarded(lambda: finetune_data_problems(bundle, listed), LINEAGE),
    ]


def record_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Each JSON record (the release's, its metadata's, its data's, its model's, its base's)
    that is not UTF-8 JSON, named once with its file, line and column, not an object (every
    reader of a record asks it for keys), or with a field of another kind than its readers
    expect (`verify_shapes`); the checks that read records run only without any."""
    problems = []
    for rel in listed:
        if rel.endswith(".json") and str(PurePosixPath(rel).parent) in _RECORD_FOLDERS:
            try:
                value = json.loads((bundle / rel).read_text(encoding="utf-8"))
            except (ValueError, RecursionError, OSError) as exc:  # UTF-8, JSON, depth
                problems.append(
                    _("{path} cannot be read: {error}", path=rel, error=why_unreadable(exc))
                )
                continue
            if not isinstance(value, dict):
                problems.append(not_an_object(rel))
            else:  # a field of another kind than its readers expect
                problems.extend(shape_problems(rel, value))
    return problems


def missing_artifacts(listed: dict[str, str], finetune: bool = False) -> list[Message]:
    """The five open artifacts each need at least one listed file; a fine-tune of a foreign
    base has no test split of its own (its rating says what it and its base lack), but its
    base model's evidence."""
    folders = {rel.split("/", 1)[0] for rel in listed if "/" in rel}
    needed = REQUIRED_FOLDERS if finetune else FIVE_ARTIFACTS
    return [
        _("incomplete: no {name}/ artifact", name=name) for name in needed if name not in folders
    ]
