"""A release bundle's NOTICE, rendered from the bundle's own files: the attributions of its
training and test shards (`data/publish/notice.py`), of its fine-tuning data and, for a
fine-tune of a foreign base, the base it comes from and the Notice line its licence asks every
copy to carry (Llama 3 § 1.b.iii, Gemma § 3.1: `licence_conditions.yml`). `release` writes it
and `verify` renders it again and compares, so an attribution or Notice line deleted or
changed after release is named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import licence_ids
from gemeingut.data.publish.licenses import licence_name, licence_url, needs_attribution
from gemeingut.data.publish.notice import listed_documents, notice_chunks, split_shards
from gemeingut.data.shards import CURATED_DIR, SHARD_DIR
from gemeingut.i18n import _, text
from gemeingut.release.card_phrases import bundle_language
from gemeingut.release.layout import (
    FINETUNE_DATA,
    FINETUNE_EARLIER,
    FINETUNE_RECORD,
    NOTICE,
    RELEASE_INFO,
    TEST_DATA,
    TRAINING_DATA,
    TRAINING_METADATA,
    earlier_finetunes,
)
from gemeingut.release.openness.licence_conditions import conditions_of


def release_notice(bundle: Path) -> Iterator[str]:
    """NOTICE of a release of our own pretraining (and its fine-tune, when one is released)."""
    release = _json(bundle / RELEASE_INFO)
    language = bundle_language(release)
    yield from notice_chunks(_bundle_shards(bundle), release["name"], language)
    yield from _finetune_chunks(bundle, language)


def finetune_notice(bundle: Path) -> Iterator[str]:
    """NOTICE of a fine-tune of a foreign base: the base it comes from and the Notice lines its
    licences ask for, then its data's."""
    release = _json(bundle / RELEASE_INFO)
    language = bundle_language(release)
    base = _json(bundle / FINETUNE_RECORD)["base_model"]
    origin = _(
        "{model} is fine-tuned from {base} (licence: {licence}); the base model's notices "
        "(NOTICE) apply to this model as well.",
        model=release["name"],
        base=base["path"],
        licence=base.get("license") or _("not named"),
    )
    yield text(origin, language) + "\n"
    lines = _notice_lines(base.get("license"), release["licenses"]["weights"])
    if lines:
        yield "\n" + "".join(f"{line}\n" for line in lines)
    yield from _finetune_chunks(bundle, language)


def _notice_lines(*expressions: str | None) -> list[str]:
    """The Notice lines the licences in `expressions` ask every copy to carry, each once, in
    their licences' words (the base's licence binds the fine-tune, and the release's is the
    one `release_reminders` checks the NOTICE against)."""
    found = (conditions_of(key) for expression in expressions for key in licence_ids(expression))
    return list(dict.fromkeys(said.notice[1] for said in found if said and said.notice))


def write_notice_file(bundle: Path, chunks: Iterator[str]) -> int:
    """Write NOTICE; return the documents it lists (as `gemeingut release` reports them)."""
    with (bundle / NOTICE).open("w", encoding="utf-8") as out:
        for chunk in chunks:
            out.write(chunk)
    return attributions(bundle)


def attributions(bundle: Path) -> int:
    """The documents NOTICE lists: every one whose licence asks for attribution, and the
    fine-tuning data's attribution when it is one file under one licence."""
    listed = listed_documents(_bundle_shards(bundle))
    for folder, params in _finetune_folders(bundle):
        copies = _curated_copies(bundle / TRAINING_DATA / folder)
        listed += sum(listed_documents(_curated_shards(copy)) for copy in copies)
        licence = params.get("data_license")
        listed += 1 if licence is not None and needs_attribution(licence) else 0
    return listed


def _finetune_chunks(bundle: Path, language: str) -> Iterator[str]:
    """The attributions of each fine-tune's data (the earlier ones' first, for a fine-tune of
    a fine-tune): a curated dataset's per document (as for the training data), a file's or
    folder's from the licence stated for it."""
    say = partial(text, language=language)
    for folder, params in _finetune_folders(bundle):
        data = bundle / TRAINING_DATA / folder
        for copy in _curated_copies(data):
            where = copy.relative_to(data).as_posix()
            title = say(
                _("the fine-tuning data ({folder})", folder=f"{TRAINING_DATA}/{folder}/{where}/")
            )
            yield "\n"
            yield from notice_chunks(_curated_shards(copy), title, language)
        licence = params.get("data_license")
        if licence is None:
            continue
        url = licence_url(licence)
        yield (
            "\n"
            + say(
                _(
                    "Fine-tuning data ({folder}): {licence}",
                    folder=f"{TRAINING_DATA}/{folder}/",
                    licence=licence_name(licence, language),
                )
            )
            + (f" <{url}>" if url else "")
            + "\n"
        )
        if needs_attribution(licence):
            yield f"  {_credit(params, language)}\n"


def _credit(params: dict[str, Any], language: str) -> str:
    """The attribution and origin of fine-tuning data whose licence asks for attribution; a
    record made before `model finetune` asked for them says which is missing, never "None"."""
    attribution, url = params.get("data_attribution"), params.get("data_url")
    if attribution and url:
        return f"{attribution} | {url}"
    if attribution:
        said = _(
            "{attribution} (where the data comes from is not recorded)", attribution=attribution
        )
    elif url:
        said = _("{url} (the attribution its licence asks for is not recorded)", url=url)
    else:
        said = _(
            "the attribution its licence asks for and where the data comes from are not recorded"
        )
    return text(said, language)


def _bundle_shards(bundle: Path) -> list[Path]:
    """Train and validation shards in training-data/, test shards in test-data/."""
    return split_shards(lambda split: bundle / (TEST_DATA if split == "test" else TRAINING_DATA))


def _curated_copies(data: Path) -> list[Path]:
    """The copies of curated datasets among a fine-tune's data (train, validation)."""
    return [d for d in (data / CURATED_DIR, data / "validation" / CURATED_DIR) if d.is_dir()]


def _curated_shards(copy: Path) -> list[Path]:
    return split_shards(lambda split: copy / SHARD_DIR)


def _finetune_folders(bundle: Path) -> list[tuple[str, dict[str, Any]]]:
    """Each fine-tune's data folder in training-data/ with its parameters, oldest first: each
    earlier fine-tune's (`finetuning-earlier/<id>`), then the released one's (`finetuning`)."""
    lineage = bundle / TRAINING_METADATA / "lineage.json"
    read = _json(lineage) if lineage.is_file() else {}
    folders = [
        (f"{FINETUNE_EARLIER}/{meta['id']}", meta.get("params") or {})
        for meta in earlier_finetunes(read)
    ]
    return [*folders, (FINETUNE_DATA, (read.get("finetune") or {}).get("params") or {})]


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
