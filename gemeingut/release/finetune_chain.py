"""The fine-tunes of a chain that starts from a foreign base (Qwen2, Mistral, OLMo …):
base → ft1 → … → the released one, each link a gemeingut fine-tune of the one before.

`release --finetuned LAST` releases such a chain as the bundle of a foreign base's fine-tune
(`finetune_bundle.py`): the base named by its own evidence, every link's data and record in the
bundle as a chain on our own model has them, so that `reproduce` can make each link again. A
chain that reaches our own pretraining belongs in that pretraining's bundle, and is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.model.finetune_data_licence import refuse_closed_data
from gemeingut.model.loading import ADAPTER_CONFIG, FINETUNE_FILE
from gemeingut.release.layout import earlier_roles
from gemeingut.workspace import ARTIFACT_FILE, Artifact


def earlier_links(tuned: Artifact) -> list[Artifact]:
    """The fine-tunes between the foreign base and `tuned`, oldest first: none where `tuned`
    was fine-tuned from the foreign base itself. A foreign base's fingerprint is the sha256 of
    its files, ours an artifact id: the walk ends at the first link made from a sha256."""
    chain: list[Artifact] = []
    hint = _(
        "release from the workspace that holds every fine-tune between the foreign base and "
        "the released one"
    )
    for base in links_back(tuned, foreign_base, hint):
        if "dataset" in base.meta["inputs"]:  # our own pretraining: the old refusal
            raise InputError(
                _(
                    "{path} is fine-tuned from a gemeingut model, whose own artifacts belong in "
                    "its bundle",
                    path=str(tuned.path),
                ),
                _(
                    "fine-tune it again with --merge (in a recipe: [finetune] merge = true), "
                    "then release it with --dataset, --tokenizer, --model, --evaluation and "
                    "--finetuned"
                )
                if tuned.kind == "adapter"  # refused there too (`cli.release._merged`): say both
                else _(
                    "release it with --dataset, --tokenizer, --model, --evaluation and --finetuned"
                ),
            )
        if base.kind != "model" or not (base.path / FINETUNE_FILE).is_file():
            raise InputError(
                _(
                    "{base}, from which {model} was fine-tuned, is not a whole fine-tuned model",
                    base=base.id,
                    model=(chain[-1] if chain else tuned).id,
                ),
                _("release only chains whose every earlier fine-tune is merged or fully trained"),
            )
        chain.append(base)
    if chain and (tuned.path / ADAPTER_CONFIG).is_file():
        raise InputError(
            _(
                "{path} is a LoRA adapter of the fine-tune {base}, whose weights the bundle "
                "does not hold",
                path=str(tuned.path),
                base=chain[0].id,
            ),
            _("fine-tune with --merge to release a standalone model"),
        )
    return chain[::-1]


def refuse_closed_chain_data(tuned: Artifact, licence: str) -> None:
    """Refuse releasing a foreign base's fine-tune (or chain) under an open `licence` where a
    link's data forbids commercial use or derivatives, or is proprietary: the decision
    `model finetune` makes up front (`refuse_closed_data`), here for a link made without
    --license or with a non-open one, named by the record that states the data's licence."""
    for link in [*earlier_links(tuned), tuned]:
        stated = link.meta["params"].get("data_license")
        try:
            refuse_closed_data(stated, licence)
        except InputError as exc:
            raise InputError(
                _(
                    "{problem} (recorded as data_license in {record})",
                    problem=exc.message,
                    record=str(link.path / ARTIFACT_FILE),
                ),
                _(
                    "release it under a licence the data allows, such as --license {data} (the "
                    "release is then rated as not open), or fine-tune on data under an open "
                    "licence",
                    data=stated,
                ),
            ) from None


def foreign_base(base_id: object) -> bool:
    """Whether a link's `base` input names a foreign base (the sha256 of its files) or none,
    rather than an artifact of ours."""
    return not isinstance(base_id, str) or base_id.startswith("sha256:")


def links_back(
    tuned: Artifact, stop: Callable[[object], bool], hint: Message
) -> Iterator[Artifact]:
    """Each model that `tuned` was fine-tuned from, newest first, found as the audit finds
    them (`subject.base_artifact`), until a link's `base` input meets `stop`; the caller
    checks each and may end the walk. A base not found is refused with `hint`, a lineage
    longer than the audit follows (`LINEAGE_DEPTH`) by its length."""
    from gemeingut.audit.subject import LINEAGE_DEPTH, base_artifact

    current = tuned
    for _step in range(LINEAGE_DEPTH):
        base_id = current.meta["inputs"].get("base")
        if stop(base_id):
            return
        base = base_artifact(current)
        if base is None:
            raise base_not_found(current, base_id, hint)
        yield base
        current = base
    raise InputError(
        _(
            "{model} has more than {depth} fine-tunes before it",
            model=tuned.id,
            depth=str(LINEAGE_DEPTH),
        ),
        _("release a fine-tune with a shorter lineage"),
    )


CHAINED_FROM = "finetuned_from"  # a chain's released record: the model it was fine-tuned from


def chained_record(released: dict[str, Any], first: dict[str, Any]) -> dict[str, Any]:
    """A chain's released record as the bundle publishes it: its `base_model` the chain's
    foreign base (as the `first` link's record names it, which every document and check of a
    foreign base's fine-tune reads), its own base kept as `finetuned_from`."""
    return {**released, "base_model": first["base_model"], CHAINED_FROM: released["base_model"]}


def own_record(record: Any) -> Any:
    """The record a chain's link made, from the bundle's copy (`chained_record` undone), for
    `reproduce` to compare with the rebuilt link's; any other record as it is."""
    if not isinstance(record, dict) or not isinstance(record.get(CHAINED_FROM), dict):
        return record
    own = {key: value for key, value in record.items() if key != CHAINED_FROM}
    return {**own, "base_model": record[CHAINED_FROM]}


def lineage_base_problems(
    lineage: dict[str, Any], role: str, record: dict[str, Any], file: str, shown: str
) -> list[Message]:
    """A fine-tune's record (`file`, lineage role `role`) must name as the model it was made
    from the base that the lineage's inputs give (which the fine-tune's id hashes): its own
    `base_model` (`own_record`: a chain's released record keeps it as `finetuned_from`); and a
    chain's released `base_model` the base its oldest link was made from. A `finetuned_from`
    outside a chain is named too: `reproduce` would compare the base it names instead."""
    meta = lineage.get(role)
    if not isinstance(meta, dict):
        return []
    earlier = earlier_roles(lineage)
    chained = isinstance(record.get(CHAINED_FROM), dict)
    if chained and (role != "finetune" or not earlier):
        return [
            _(
                "{file} names a model it was fine-tuned from ({key}), but {lineage} holds no "
                "earlier fine-tune before it",
                file=file,
                key=CHAINED_FROM,
                lineage=shown,
            )
        ]
    expected = [(CHAINED_FROM if chained else "base_model", own_record(record), meta)]
    if chained:
        expected.append(("base_model", record, lineage.get(earlier[0])))
    problems = []
    for key, named, made in expected:
        found = _field(named.get("base_model"), "fingerprint")
        given = _field(_field(made, "inputs"), "base")
        if found != given:
            problems.append(
                _(
                    "{file}: {key}.fingerprint is {found}, {lineage} gives {expected} as the "
                    "base it was fine-tuned from",
                    file=file,
                    key=key,
                    found=str(found),
                    lineage=shown,
                    expected=str(given),
                )
            )
    return problems


def _field(value: Any, key: str) -> Any:
    """`value[key]` where `value` is an object (a record edited by hand may hold anything)."""
    return value.get(key) if isinstance(value, dict) else None


def base_not_found(current: Artifact, base_id: str, hint: Message) -> InputError:
    """The refusal of a chain whose link `current` names a base that cannot be found: the same
    for chains on a foreign base and on our own model, with the hint of each."""
    return InputError(
        _(
            "{model} was fine-tuned from {base}, which is found neither in its workspace nor "
            "where its {record} says",
            model=current.id,
            base=base_id,
            record=FINETUNE_FILE,
        ),
        hint,
    )
