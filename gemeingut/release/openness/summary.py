"""The card's openness paragraph and tags, written from the rating and nothing else."""

from __future__ import annotations

from typing import Any


def openness_sentence(rating: dict[str, Any]) -> str:
    """One paragraph: open or not, and why, with the MOF class and the OSAID gate."""
    mof, osaid = rating["mof"]["label"], rating["osaid"]
    gate = "passes" if osaid["passed"] else osaid["summary"].replace("fails: ", "fails (") + ")"
    checks = rating["checks"]
    if rating["open"]:
        kinds = rating["licenses"]
        return (
            f"This is an **open** model by the checks in `openness.json` (all {len(checks)} "
            f"pass): all five artifacts are in this bundle, the weights are under "
            f"`{kinds['weights']}`, the code under `{kinds['code']}`, the documents under "
            f"`{kinds['documents']}`, and every training and test document under an open "
            f"licence. Model Openness Framework: {mof}. OSI's Open Source AI Definition: "
            f"{gate}."
        )
    failed = "; ".join(f"`{c['id']}`: {c['detail']}" for c in checks if not c["passed"])
    return (
        f"This release is **not open**: {failed}. Model Openness Framework: {mof}. OSI's "
        f"Open Source AI Definition: {gate}. Every check is listed in `openness.json`."
    )


def openness_tags(rating: dict[str, Any]) -> list[str]:
    level = rating["mof"]["class"]
    tags = ["open-model" if rating["open"] else "not-open"]
    if level:
        tags.append(f"mof-class-{level}")
    if rating["osaid"]["passed"]:
        tags.append("osaid")
    return tags
