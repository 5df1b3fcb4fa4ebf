"""What a person must say about a dataset before it is published: the `[data.publication]` section.

Numbers (documents, characters, licences, exclusions) are never asked for here: they are read
from the dataset's stats. What is asked for is what only people know: titles, who publishes,
why the texts were chosen, who wrote them, what the data cannot be used for.

Only four fields are required, because DCAT-AP.de makes them mandatory for GovData:
a German title and description (dcterms:title, dcterms:description of the dcat:Dataset), the
publisher (dcterms:publisher, a foaf:Agent with foaf:name) and where the files are downloaded
from (dcat:accessURL of every dcat:Distribution). Everything else is optional; prose left out
stays out. The renderers mark it as missing (`NOT_PROVIDED`) and list it in `missing_fields`,
so a reviewer sees the gap instead of a plausible sentence nobody wrote.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from gemeingut.i18n import DocumentLanguage, _

# The keys come from a recipe's `[data.publication]` section or from the same section of the
# file `data publish --info` reads: the marker names the section, which both have.
NOT_PROVIDED = _("_Not provided in `[data.publication]`._")

# EU data themes (http://publications.europa.eu/resource/authority/data-theme/), which
# DCAT-AP.de requires when categories are used (Konvention 30).
DataTheme = Literal[
    "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL",
    "INTR", "JUST", "OP_DATPRO", "REGI", "SOCI", "TECH", "TRAN",
]  # fmt: skip
Availability = Literal["EXPERIMENTAL", "TEMPORARY", "AVAILABLE", "STABLE"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class PublicationInfo(BaseModel):
    """Catalogue fields and the prose of the data statement; see the module docstring."""

    model_config = ConfigDict(extra="forbid")

    # Required by DCAT-AP.de.
    title_de: str = Field(min_length=1, description="dcterms:title (German)")
    description_de: str = Field(min_length=1, description="dcterms:description (German)")
    publisher_name: str = Field(min_length=1, description="organisation that publishes the data")
    download_url: AnyHttpUrl = Field(
        description="base URL under which the dataset directory (shards/, NOTICE, ...) is served"
    )

    # Catalogue fields.
    title_en: str | None = None
    description_en: str | None = None
    publisher_uri: AnyHttpUrl | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contributor_id: AnyHttpUrl | None = Field(
        default=None, description="GovData dcatde:contributorID of the data provider"
    )
    dataset_uri: AnyHttpUrl | None = Field(
        default=None,
        description="IRI of the dcat:Dataset; default: <download_url>/dcat.ttl#dataset",
    )
    landing_page: AnyHttpUrl | None = None
    issued: dt.date | None = Field(default=None, description="publication date")
    version: str | None = None
    keywords: list[str] = Field(default_factory=list)
    themes: list[DataTheme] = Field(default_factory=list, description="EU data-theme codes")
    languages: list[str] = Field(
        default_factory=list, description="BCP-47 tags of the language varieties, e.g. de-DE"
    )
    document_language: DocumentLanguage = Field(
        default="de",
        description="language of the data statement's and NOTICE's own words (de or en); the "
        "prose given here is quoted as written",
    )
    availability: Availability = Field(
        default="AVAILABLE", description="dcatap:availability of the distributions"
    )
    citation: str | None = None
    curators: list[str] = Field(default_factory=list, description='"name, affiliation"')
    statement_authors: list[str] = Field(default_factory=list, description='"name, affiliation"')

    # Prose of the data statement (Bender & Friedman, schema v2) and the Croissant RAI fields.
    curation_rationale: str | None = None
    collection_process: str | None = Field(
        default=None, description="how the source texts were obtained (rai:dataCollection)"
    )
    source_documentation: dict[str, str] = Field(
        default_factory=dict, description="source name -> link to or text of its documentation"
    )
    language_varieties: str | None = Field(
        default=None, description="prose that elaborates the BCP-47 tags"
    )
    speaker_demographic: str | None = None
    annotator_demographic: str | None = None
    speech_situation: str | None = None
    text_characteristics: str | None = None
    preprocessing_notes: str | None = Field(
        default=None, description="preprocessing beyond gemeingut's own, e.g. at the source"
    )
    capture_quality: str | None = None
    limitations: str | None = None
    personal_sensitive_information: str | None = None
    data_biases: str | None = None
    intended_uses: str | None = None
    social_impact: str | None = None
    maintenance_plan: str | None = None
    errata: str | None = None
    funding: str | None = None
    ethical_review: str | None = None
    other: str | None = None
    glossary: dict[str, str] = Field(default_factory=dict)

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(_("not an e-mail address: {value!r}", value=value))
        return value

    @field_validator("languages")
    @classmethod
    def _bcp47(cls, value: list[str]) -> list[str]:
        wrong = [tag for tag in value if not _BCP47.match(tag)]
        if wrong:
            raise ValueError(_("not BCP-47 language tags: {tags}", tags=", ".join(wrong)))
        return value

    def prose(self, field: str) -> str | None:
        """The stripped text of a prose field, None when it was left out or blank."""
        value = getattr(self, field)
        return (value.strip() or None) if isinstance(value, str) else None

    def title(self) -> str:
        return self.title_en or self.title_de

    def title_in(self, language: str) -> str:
        """The title in `language` where it is given, else the one there is."""
        return self.title_de if language == "de" or not self.title_en else self.title_en

    def description(self) -> str:
        return self.description_en or self.description_de


PROSE_FIELDS = (
    "title_en",
    "description_en",
    "curation_rationale",
    "collection_process",
    "language_varieties",
    "speaker_demographic",
    "annotator_demographic",
    "speech_situation",
    "text_characteristics",
    "preprocessing_notes",
    "capture_quality",
    "limitations",
    "personal_sensitive_information",
    "data_biases",
    "intended_uses",
    "social_impact",
    "maintenance_plan",
    "errata",
    "funding",
    "ethical_review",
    "other",
)


def missing_fields(info: PublicationInfo, sources: Iterable[str] = ()) -> list[str]:
    """Names of the prose fields left out, plus `source_documentation.<name>` per undocumented
    source and `languages` when no language is named: the gaps a reviewer must close."""
    missing = [field for field in PROSE_FIELDS if info.prose(field) is None]
    if not info.languages:
        missing.append("languages")
    documented = {name for name, text in info.source_documentation.items() if text.strip()}
    missing += [
        f"source_documentation.{name}" for name in sorted(sources) if name not in documented
    ]
    return missing
