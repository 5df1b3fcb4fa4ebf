"""Whole licence texts as a publisher ships them in a LICENSE file: the reference texts gemeingut
compares against (`release/openness/licence_texts.yml`), with the parts a copy may leave out
kept and their marks removed."""

from __future__ import annotations

from importlib.resources import files

import yaml


def licence_file(spdx: str) -> str:
    source = (files("gemeingut.release.openness") / "licence_texts.yml").read_text("utf-8")
    return yaml.safe_load(source)[spdx].replace("[[", "").replace("]]", "")
