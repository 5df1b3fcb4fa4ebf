"""The recipe: one TOML file that describes a whole build, validated with pydantic.

Each section holds the parameters of one stage; the section's dict is what enters that stage's
artifact id, so changing a parameter rebuilds exactly the stages downstream of it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gemeingut.data.filters.settings import FilterSettings
from gemeingut.data.publish.metadata import PublicationInfo
from gemeingut.errors import InputError, RecipeError
from gemeingut.i18n import DocumentLanguage, Message, _, text
from gemeingut.i18n.validation import PROBLEMS, problem
from gemeingut.json_records import read_utf8
from gemeingut.recipe_lines import KeyLines
from gemeingut.toml_problems import toml_problem

Device = Literal["auto", "cpu", "cuda"]  # where a model runs; auto: a GPU where torch sees one
Precision = Literal["auto", "fp32", "bf16"]  # the forward's number format; auto: bf16 where native


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyProblem(ValueError):
    """A section's error about one of its keys, raised where only the whole section shows it
    (a name repeated across sources): `key`, below the section, names the key, so that the
    error says that key and the line the file holds it on."""

    def __init__(self, message: Message, key: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.key = key


class SourceSpec(_Section):
    """One input: JSONL (.gz/.zst), Parquet, a saved Hugging Face dataset, or a folder of
    .txt/.md/.html files."""

    name: str = Field(description="short name recorded as every document's `source`")
    path: Path
    format: Literal["jsonl", "parquet", "folder", "hf"] | None = Field(
        default=None, description="inferred from the path when left out"
    )
    license: str | None = Field(
        default=None, description="SPDX expression for documents that carry none themselves"
    )
    url: str | None = None
    attribution: str | None = None
    use_conditions: list[str] = Field(
        default_factory=list,
        description="terms beyond the licence: 'non-commercial', 'open-model-only' (checked at "
        "release) or free text (recorded and published)",
    )

    @field_validator("license")
    @classmethod
    def _names_a_licence(cls, value: str | None) -> str | None:
        """A misspelt licence (`CC0`) would exclude the source's documents as of unknown
        licence after the whole curation, without a word where other sources fill the data."""
        from gemeingut.data.source_licence import source_licence_problem

        problem = source_licence_problem(value)
        if problem is not None:
            raise ValueError(problem[0])
        return value


class DataSection(_Section):
    sources: list[SourceSpec] = Field(min_length=1)
    validation_fraction: float = Field(default=0.1, ge=0.0, lt=0.5)
    test_fraction: float = Field(default=0.1, ge=0.0, lt=0.5)
    split_seed: int = 0
    min_chars: int = Field(default=1, ge=1, description="shorter documents are excluded")
    max_chars: int = Field(
        default=5_000_000, ge=1, description="longer documents are excluded as too-large, unread"
    )
    filters: FilterSettings = Field(
        default_factory=FilterSettings,
        description="unicode repair, language, Gopher and FineWeb quality (German defaults)",
    )
    pii_types: list[str] = Field(
        default_factory=lambda: ["email", "iban", "tax_id", "ip_address", "phone"],
        description="personal data replaced by typed placeholders; [] turns scrubbing off",
    )
    near_dedup: bool = Field(default=True, description="MinHash LSH near-duplicate removal")
    near_dedup_threshold: float = Field(
        default=0.8, gt=0.0, le=1.0, description="estimated Jaccard similarity of 5-grams"
    )
    contamination_ngram: int = Field(default=13, ge=3, description="word n-gram length")
    contamination_threshold: float = Field(
        default=0.5, gt=0.0, le=1.0, description="share of a test document's n-grams in train"
    )
    remove_contaminated_test: bool = Field(default=True, description="else only report overlap")
    shard_rows: int = Field(default=10_000, ge=1)
    shard_bytes: int = Field(default=256 * 2**20, ge=1, description="text bytes per shard")
    publication: PublicationInfo | None = Field(
        default=None, description="catalogue fields and prose for publishing the data as open data"
    )
    task_rows: int = Field(default=500, ge=1, description="Parquet rows per parallel task")
    workers: int | None = Field(
        default=None, ge=1, description="worker processes; default: one per core"
    )
    executor: Literal["local", "ray"] = Field(
        default="local", description="local processes, or Ray (RAY_ADDRESS or a local instance)"
    )


class TokenizerSection(_Section):
    vocab_size: int = Field(default=4096, ge=300)
    min_frequency: int = Field(default=2, ge=1)


class TrainingSection(_Section):
    steps: int = Field(default=300, ge=1)
    batch_size: int = Field(default=16, ge=1)
    seq_len: int = Field(default=128, ge=8)
    learning_rate: float = Field(default=3e-3, gt=0)
    min_lr_ratio: float = Field(default=0.1, ge=0, le=1)
    warmup_steps: int = Field(default=20, ge=0)
    weight_decay: float = Field(default=0.1, ge=0)
    grad_clip: float = Field(default=1.0, gt=0)
    seed: int = 0
    eval_every: int = Field(default=50, ge=1)
    eval_batches: int = Field(default=8, ge=1)
    checkpoint_every: int = Field(default=100, ge=1)
    threads: int = Field(default=1, ge=1, description="torch intra-op threads (part of lineage)")
    device: Device = Field(default="auto", description="auto: CUDA when available, else CPU")
    precision: Precision = Field(
        default="auto",
        description="auto: bf16 autocast where the device computes bf16 natively (CUDA "
        "with bf16, a CPU with AVX-512 BF16 or AMX), else fp32",
    )
    grad_accumulation: int = Field(
        default=1,
        ge=1,
        description="micro-batches per optimizer step; global batch = batch_size × "
        "grad_accumulation × world size",
    )
    keep_checkpoints: int = Field(default=1, ge=1, description="keep the newest K checkpoints")
    compile: bool = Field(default=False, description="torch.compile the model")
    strategy: Literal["ddp", "fsdp"] = Field(
        default="ddp",
        description="under torchrun: DDP (a full copy per device) or FSDP (parameters, "
        "gradients and optimizer state sharded across devices)",
    )


class ModelSection(_Section):
    preset: str = "demo"
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="LlamaConfig fields that replace the preset's"
    )
    training: TrainingSection = Field(default_factory=TrainingSection)
    snapshot_every: int = Field(
        default=0,
        ge=0,
        description="keep the weights every N steps and at the last step as safetensors (the "
        "Model Openness Framework's intermediate parameters, released in the bundle); 0: none",
    )

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        """Checked when the recipe is read, not after data and tokenizer were built."""
        from gemeingut.model.presets import PRESETS

        if value not in PRESETS:
            raise ValueError(
                _(
                    "unknown preset {preset!r}; choose one of {choices}",
                    preset=value,
                    choices=", ".join(PRESETS),
                )
            )
        return value


class LoraSettings(_Section):
    rank: int = Field(default=8, ge=1, description="rank r of the adapter matrices")
    alpha: float = Field(default=16.0, gt=0, description="scale: updates are × alpha / rank")
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | None = Field(
        default=None, description="layer names to adapt; default: per architecture"
    )


class FinetuneTraining(TrainingSection):
    """Training settings with fine-tuning defaults (short runs, longer sequences)."""

    steps: int = Field(default=100, ge=1)
    batch_size: int = Field(default=8, ge=1)
    seq_len: int = Field(default=512, ge=8)
    learning_rate: float | None = Field(  # type: ignore[assignment]
        default=None, gt=0, description="default: 2e-4 for LoRA, 2e-5 for full fine-tuning"
    )
    warmup_steps: int | None = Field(  # type: ignore[assignment]
        default=None, ge=0, description="default: a tenth of the steps"
    )
    weight_decay: float = Field(default=0.0, ge=0)
    eval_every: int = Field(default=25, ge=1)
    checkpoint_every: int = Field(default=50, ge=1)
    activation_checkpointing: bool = Field(
        default=False,
        description="recompute each layer's activations in the backward pass: far less "
        "memory for long sequences, about a third more compute",
    )


class FinetuneSection(_Section):
    """Adapt a base model (any local Hugging Face causal LM) to one's own data."""

    base: Path | None = Field(
        default=None, description="base model folder; in a recipe default: the model it trains"
    )
    data: Path | None = Field(
        default=None, description="dataset artifact, JSONL (text, prompt/completion, chat) or text"
    )
    validation: Path | None = Field(default=None, description="default: held out from data")
    validation_fraction: float = Field(default=0.1, ge=0, lt=1)
    method: Literal["lora", "full"] = "lora"
    merge: bool = Field(default=False, description="LoRA: write a standalone merged model")
    base_license: str | None = Field(
        default=None, description="the base model's licence where its card names none"
    )
    data_license: str | None = Field(
        default=None, description="SPDX licence of the fine-tuning data (needed to release it)"
    )
    data_attribution: str | None = Field(
        default=None, description="attribution the data licence asks for (CC-BY …)"
    )
    data_url: str | None = Field(default=None, description="where the fine-tuning data comes from")
    epochs: float | None = Field(
        default=None, gt=0, description="when set, steps = epochs × windows / global batch"
    )
    lora: LoraSettings = Field(default_factory=LoraSettings)
    training: FinetuneTraining = Field(default_factory=FinetuneTraining)

    @field_validator("base_license", "data_license")
    @classmethod
    def _names_a_licence(cls, value: str | None) -> str | None:
        """A misspelt licence (`CC0`) would be recorded as written and refused only at release,
        after the training."""
        from gemeingut.model.licence_names import unknown_licence

        problem = unknown_licence(value)
        if problem is not None:
            raise ValueError(problem[0])
        return value

    @model_validator(mode="after")
    def _method_defaults(self) -> FinetuneSection:
        if self.training.learning_rate is None:
            self.training.learning_rate = 2e-4 if self.method == "lora" else 2e-5
        if self.merge and self.method != "lora":
            raise KeyProblem(
                _("only LoRA adapters are merged (full fine-tuning already writes a whole model)"),
                ("merge",),
            )
        return self


class ExportSection(_Section):
    """Files for other runtimes: GGUF for llama.cpp and Ollama."""

    gguf: Literal["f16", "f32"] = Field(default="f16", description="GGUF number format")


class EvaluateSection(_Section):
    batch_size: int = Field(default=8, ge=1)
    max_documents: int | None = Field(default=None, ge=1)


AUDIT_SUITES = ("tasks", "bias", "memorisation", "redteam")


class AuditTasks(_Section):
    names: list[str] | None = Field(
        default=None, description="task names (gg_lesen, gg_verwaltung, …); default: all"
    )
    limit: int | None = Field(default=None, ge=1, description="items per task (quick runs)")
    batch_size: int = Field(default=8, ge=1)
    suite: Path | None = Field(default=None, description="folder of task data; default: ours")


class AuditBias(_Section):
    suite: Path | None = Field(
        default=None, description="JSONL suites or a CrowS-Pairs CSV; default: our German ones"
    )


class AuditMemorisation(_Section):
    samples: int = Field(
        default=200,
        ge=1,
        description="training documents sampled from each source (pretraining, fine-tuning data)",
    )
    prefix_tokens: int = Field(default=50, ge=1, description="k: tokens given as the prompt")
    continuation_tokens: int = Field(default=50, ge=1, description="m: tokens compared")
    random_offset: bool = Field(
        default=False, description="prompt from a seeded offset instead of the document start"
    )
    span_min_tokens: int = Field(default=8, ge=2, description="shortest span traced")
    pii_max_tokens: int = Field(default=32, ge=1, description="answer length to PII baits")
    canaries: Path | None = Field(
        default=None, description="canaries.secret.json of `gemeingut audit canaries`"
    )
    candidates: int = Field(
        default=100, ge=1, description="random secrets each canary is ranked among"
    )


class AuditRedteam(_Section):
    suite: Path | None = Field(default=None, description="probe JSONL; default: ours")
    per_category: int | None = Field(
        default=None, ge=1, description="probes per category and language; default: all"
    )
    max_tokens: int = Field(default=128, ge=1)
    plain_prompts: bool = Field(
        default=False, description="send probes as a plain transcript (no chat template)"
    )


class AuditSection(_Section):
    """Examine the released model: capability, bias, memorisation, red team, findings."""

    suites: list[Literal["tasks", "bias", "memorisation", "redteam"]] = Field(
        default_factory=lambda: list(AUDIT_SUITES)
    )
    seed: int = 0
    findings: Path | None = Field(default=None, description="community findings file (JSONL)")
    batch_tokens: int | None = Field(
        default=None,
        ge=64,
        description="padded tokens per batch; default 1024 on a CPU (its caches favour ~1k), "
        "on a GPU as many as its logits may take (up to 65,536)",
    )
    device: Device = Field(
        default="auto",
        description="where a model folder runs: auto is the GPU where torch sees one",
    )
    precision: Precision = Field(
        default="auto",
        description="a model folder's forward: auto is bf16 autocast on a GPU or a CPU with bf16 "
        "units (about twice as fast; pair differences within ~0.02 nats), else fp32",
    )
    tasks: AuditTasks = Field(default_factory=AuditTasks)
    bias: AuditBias = Field(default_factory=AuditBias)
    memorisation: AuditMemorisation = Field(default_factory=AuditMemorisation)
    redteam: AuditRedteam = Field(default_factory=AuditRedteam)


def is_hub_id(value: str) -> bool:
    """Whether `value` is a model id as the Hugging Face Hub spells it (`org/name`, by the
    Hub's own rules): the name peft and transformers fetch a model by."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if value.count("/") != 1:
        return False
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


class ReleaseSection(_Section):
    model_name: str
    license: str = Field(default="Apache-2.0", description="SPDX licence of the released model")
    documents_license: str = Field(
        default="CC-BY-4.0",
        description="SPDX licence of the release's documents: card, reports, data statement",
    )
    languages: list[str] = Field(default_factory=lambda: ["de"])
    document_language: DocumentLanguage = Field(
        default="de",
        description="language of the card and NOTICE (de or en): a setting of the release, not "
        "the builder's locale, so that its id and `verify` are the same on every machine",
    )
    description: str = ""
    authors: list[str] = Field(default_factory=list)
    contact: str = Field(
        default="",
        description="whom to ask about the model (an e-mail or web address): the MOF "
        "description's contact, said as missing when empty",
    )
    commercial_use: bool = Field(
        default=True, description="whether the model may be used commercially (use conditions)"
    )
    paper: Path | None = Field(
        default=None,
        description="the research paper about the model (a file or folder, e.g. paper.pdf), "
        "released under documents_license in the bundle's paper/",
    )
    license_file: Path | None = Field(
        default=None,
        description="the whole text of the weights' licence (a UTF-8 file, relative to the "
        "recipe), shipped as model/LICENSE instead of gemeingut's reference text: needed where "
        "gemeingut has none of release.license (`licence.text` in openness.json says so)",
    )
    base_hub_id: str | None = Field(
        default=None,
        description="a fine-tune of a foreign base: the base's Hub id (org/name), by which a "
        "released LoRA adapter names its base for peft and the card links it",
    )

    @field_validator("base_hub_id")
    @classmethod
    def _hub_id_shape(cls, value: str | None) -> str | None:
        if value is not None and not is_hub_id(value):
            raise ValueError(_("{value!r} is not a Hugging Face Hub id (org/name)", value=value))
        return value


class Recipe(_Section):
    name: str
    description: str = ""
    data: DataSection
    tokenizer: TokenizerSection = Field(default_factory=TokenizerSection)
    model: ModelSection = Field(default_factory=ModelSection)
    finetune: FinetuneSection | None = None
    evaluate: EvaluateSection = Field(default_factory=EvaluateSection)
    audit: AuditSection | None = None
    release: ReleaseSection
    export: ExportSection | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        names = [s.name for s in self.data.sources]
        repeat = next((i for i, name in enumerate(names) if name in names[:i]), None)
        if repeat is not None:  # said at the second name: the first may be the one meant
            raise KeyProblem(
                _(
                    "{name!r} is already the name of data.sources.{first}: names must be unique",
                    name=names[repeat],
                    first=names.index(names[repeat]),
                ),
                ("data", "sources", repeat, "name"),
            )
        tuning = self.finetune
        if tuning is not None and tuning.data is None:
            raise KeyProblem(
                _("the fine-tuning data is required in a recipe"), ("finetune", "data")
            )
        if (
            tuning is not None
            and tuning.base is None
            and tuning.method == "lora"
            and not tuning.merge
        ):
            raise KeyProblem(
                _(
                    "the recipe releases the model it fine-tunes, so it must be a whole model: "
                    "set merge = true (or method = 'full'); adapters alone come from "
                    "`gemeingut model finetune`"
                ),
                ("finetune", "merge"),
            )
        return self


M = TypeVar("M", bound=BaseModel)


def load_recipe(path: Path) -> Recipe:
    """Read and validate a recipe; relative source paths are taken from the recipe's folder."""
    recipe = _validated(Recipe, *_read_toml(path), path)
    for source in recipe.data.sources:
        if not source.path.is_absolute():
            source.path = (path.parent / source.path).resolve()
    if recipe.finetune:
        for key in ("base", "data", "validation"):
            value = getattr(recipe.finetune, key)
            if value is not None and not value.is_absolute():
                setattr(recipe.finetune, key, (path.parent / value).resolve())
    if recipe.audit:
        resolve_audit_paths(recipe.audit, path.parent)
    for key in ("paper", "license_file"):
        value = getattr(recipe.release, key)
        if value is not None and not value.is_absolute():
            setattr(recipe.release, key, (path.parent / value).resolve())
    return recipe


def resolve_audit_paths(audit: AuditSection, base: Path) -> None:
    """Suite and findings paths relative to the recipe's (or config file's) folder."""
    holders = [
        (audit, "findings"),
        (audit.tasks, "suite"),
        (audit.bias, "suite"),
        (audit.redteam, "suite"),
        (audit.memorisation, "canaries"),
    ]
    for holder, key in holders:
        value = getattr(holder, key)
        if value is not None and not value.is_absolute():
            setattr(holder, key, (base / value).resolve())


def audit_section(config: Path | None, overrides: dict[str, Any]) -> AuditSection:
    """Audit settings of a single `gemeingut audit` command: a TOML file (an `[audit]` table
    or its keys at the top), then the command-line options."""
    origin = _origin(config)
    raw, lines = _read_toml(config, CONFIG_FILE) if config else ({}, KeyLines({}))
    if "audit" in raw:
        raw, lines = raw["audit"], lines.under(("audit",))
    lines = lines.besides(tuple(k.split(".")) for k, v in overrides.items() if v is not None)
    for dotted, value in overrides.items():
        if value is None:
            continue
        node = raw
        *parents, key = dotted.split(".")
        for depth in range(len(parents) + 1):
            if not isinstance(node, dict):
                where = ".".join(["audit", *parents[:depth]])
                place = _place(origin, lines.line(tuple(parents[:depth])))
                raise RecipeError(
                    _("{file}: {where} must be a table", file=place, where=where),
                    _("write it as [{where}]", where=where),
                )
            if depth < len(parents):
                node = node.setdefault(parents[depth], {})
        node[key] = value
    if not isinstance(raw, dict):
        raise RecipeError(
            _(
                "{file}: {where} must be a table",
                file=_place(origin, lines.line(())),
                where="audit",
            ),
            _("write it as [{where}]", where="audit"),
        )
    given = {tuple(k.split(".")): _option(k) for k, v in overrides.items() if v is not None}
    section = _validated(AuditSection, raw, lines, origin, given)
    resolve_audit_paths(section, config.parent if config else Path.cwd())
    return section


def data_section(
    sources: list[SourceSpec], config: Path | None, options: dict[str, Any]
) -> DataSection:
    """The data settings of a quick `data curate` job: config file, then command-line options.

    The config file holds the keys of a recipe's `[data]` section (top level or under
    `[data]`); its sources come from the command line.
    """
    raw, lines = _read_toml(config, CONFIG_FILE) if config else ({}, KeyLines({}))
    if "data" in raw:
        raw, lines = raw["data"], lines.under(("data",))
    if "sources" in raw:
        raise RecipeError(
            _(
                "{file}: data.sources is not allowed here",
                file=_place(config, lines.line(("sources",))),
            ),
            _("name the inputs on the command line"),
        )
    given = {k: v for k, v in options.items() if v is not None}
    lines = lines.besides((key,) for key in [*given, "sources"])
    merged = {**raw, **given, "sources": sources}
    options_given = {(key,): _option(key) for key in given}
    return _validated(DataSection, merged, lines, _origin(config), options_given)


def publication_info(path: Path) -> PublicationInfo:
    """Publication prose from a TOML file: a whole recipe, a `[data.publication]` table, or the
    keys at the top level."""
    raw, lines = _read_toml(path, INFO_FILE)
    data = raw.get("data")
    if isinstance(data, dict):  # a whole recipe: its prose is [data.publication] and no more
        if not isinstance(data.get("publication"), dict):
            raise _no_publication(path, data, lines)
        raw, lines = data["publication"], lines.under(("data", "publication"))
    return _validated(PublicationInfo, raw, lines, path, unknown=INFO_KEYS)


def _no_publication(path: Path, data: dict[str, Any], lines: KeyLines) -> RecipeError:
    """A recipe given as `--info` without its prose: said once, at the table that likely
    misspells it (`[data.publikation]`), not as every other section being unknown to an info
    file."""
    close = difflib.get_close_matches("publication", [str(k) for k in data], n=1, cutoff=0.6)
    if close:
        key = f"data.{close[0]}"
        where = f"{_place(path, lines.line(('data', close[0])))}: {key}"
        said = _("{problem}; did you mean {key}?", problem=PROBLEMS["extra_forbidden"],
                 key="data.publication")  # fmt: skip
    else:
        where = _place(path, lines.line(("data",)))
        said = _("the recipe has no [data.publication] table")
    return RecipeError(
        _("{field}: {problem}", field=where, problem=said),
        _("write the prose under [data.publication], as examples/demo/recipe.toml does"),
    )


# What a TOML file is, as its errors name it: a recipe, the prose `data publish --info` reads
# or the settings `--config` gives (a user who typed `--info x.toml` or `--config x.toml` was
# told „Rezept x.toml nicht gefunden“).
RECIPE = _("recipe")
INFO_FILE = _("info file")
CONFIG_FILE = _("config file")
INFO_KEYS = _(
    "remove or correct the unknown key; the [data.publication] section of "
    "examples/demo/recipe.toml shows every key an info file can hold"
)


def _read_toml(path: Path, what: Message = RECIPE) -> tuple[dict[str, Any], KeyLines]:
    """The file's tables and the line of each key, for errors that say where."""
    try:
        source = read_utf8(path)  # the system's and the decoder's reasons in the reader's words
    except InputError as error:
        said = _("{field}: {problem}", field=what, problem=error.message)
        raise RecipeError(said, error.hint) from None
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(toml_problem(path, exc), _("fix the TOML syntax there")) from None
    return raw, KeyLines.of(source, raw)


def _origin(config: Path | None) -> Path:
    """Where settings come from, for an error about a key: the file, else the command line."""
    return config or Path(text(_("command line")))


# The keys whose command-line option is not named after the key itself (`_option`)
_OPTIONS = {
    "suites": "--suite",
    "tasks.names": "--task",
    "tasks.suite": "--data",
    "bias.suite": "--pairs",
    "redteam.suite": "--probes",
}


def _option(dotted: str) -> str:
    """The option a command-line value came from: an error names what the user typed, not
    the key it fills (`--suite`, not `suites.0`)."""
    return _OPTIONS.get(dotted, "--" + dotted.rsplit(".", 1)[-1].replace("_", "-"))


def _validated(
    model: type[M],
    raw: dict[str, Any],
    lines: KeyLines,
    origin: Path,
    options: dict[tuple[str, ...], str] | None = None,
    unknown: Message | None = None,
) -> M:
    """`file:line: key.path: message` for every error, the line where the file has the key;
    `--option value: message` for a key given on the command line (`options`). `unknown`:
    where the keys such a file may hold are shown, for an unknown key (else a recipe's)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        parts, in_file = [], False
        for error, key, said in _said(exc, model):
            loc = _located(error)
            option = next(
                (name for k, name in (options or {}).items() if tuple(loc[: len(k)]) == k), None
            )
            if option is not None:
                given = error.get("input")
                shown = option if isinstance(given, dict | list) else f"{option} {given}"
                parts.append(f"{shown}: {said}")
            else:
                parts.append(f"{_place(origin, lines.line(loc))}: {key}: {said}")
                in_file = True
        hint = _hint(exc, unknown) if in_file else _("see `--help` for the allowed values")
        raise RecipeError("; ".join(parts), hint) from None


def _place(origin: Path | None, line: int | None) -> str:
    """`file:line`, or the file alone where the line is not known."""
    return f"{origin}" if line is None else f"{origin}:{line}"


def describe(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """`key.path: message` for every error, joined: short enough for one line."""
    return "; ".join(f"{key}: {said}" for _error, key, said in _said(exc, model))


def _said(exc: ValidationError, model: type[BaseModel] | None) -> list[tuple[Any, str, str]]:
    """Each error with its `key.path` and message; an unknown key of `model` with the known
    one it most likely misspells (`lerning_rate`), a wrong choice with the closest allowed
    one (`biass`)."""
    parts = []
    for error in exc.errors():
        key = ".".join(str(p) for p in _located(error)) or text(_("(top level)"))
        said = text(problem(error))
        meant = _meant_key(model, error) if model is not None else None
        meant = meant or _meant_choice(error)
        if meant is not None:
            said = text(_("{problem}; did you mean {key}?", problem=said, key=meant))
        parts.append((error, key, said))
    return parts


def _meant_choice(error: Any) -> str | None:
    """The allowed value of a fixed choice closest in spelling to the one given."""
    given = error.get("input")
    if error["type"] != "literal_error" or not isinstance(given, str):
        return None
    allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
    close = difflib.get_close_matches(given, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _located(error: Any) -> tuple[str | int, ...]:
    """The key an error is about: pydantic's `loc`, and below it the key a whole section's
    error names (`KeyProblem`)."""
    raised = (error.get("ctx") or {}).get("error")
    below = raised.key if isinstance(raised, KeyProblem) else ()
    return (*error["loc"], *below)


def _meant_key(model: type[BaseModel], error: Any) -> str | None:
    """The key of the section an unknown key stands in that is closest to it in spelling."""
    *path, given = error["loc"] or ("",)
    if error["type"] != "extra_forbidden" or not isinstance(given, str):
        return None
    section: type[BaseModel] | None = model
    for part in path:
        if isinstance(part, int):  # an item of a list of sections (data.sources)
            continue
        field = section.model_fields.get(part) if section is not None else None
        section = _section_of(field.annotation) if field is not None else None
    known = list(section.model_fields) if section is not None else []
    close = difflib.get_close_matches(given, known, n=1, cutoff=0.75)
    return close[0] if close else None


def _section_of(annotation: Any) -> type[BaseModel] | None:
    """The section a field holds: itself, or inside `list[…]` or `… | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for inner in get_args(annotation):
        found = _section_of(inner)
        if found is not None:
            return found
    return None


def _hint(exc: ValidationError, unknown: Message | None = None) -> Message:
    if any(e["type"] == "extra_forbidden" for e in exc.errors()):
        return unknown or _(
            "remove or correct the unknown key; `gemeingut build --help` names the sections"
        )
    if any(e["type"] == "missing" for e in exc.errors()):
        return _("add the missing key; examples/demo/recipe.toml shows a complete recipe")
    return _("correct the value at that key")
