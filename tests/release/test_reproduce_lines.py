"""`reproduce`'s text, from comparisons alone (no rebuild): an artifact that was not rebuilt
is said so (not "rebuilt as None"), the role column fits a chain's longer roles, and which
side of ≠ is the bundle's is said where a line shows one."""

from gemeingut.cli.release import compared_lines
from gemeingut.release.reproduce import Comparison


def test_an_artifact_not_rebuilt_is_said_so() -> None:
    lines = compared_lines([Comparison("model", "model", "model-abc", None)])
    assert lines == [("[red]✗[/]", "Modell model-abc  nicht neu gebaut")]


def test_the_stages_are_named_as_build_names_them() -> None:
    """A tester read „✓ finetune … gleich“: the stage ids, English among German words."""
    results = [
        Comparison("finetune", "model", "ft-1", "ft-1"),
        Comparison("release", "release", "rel-1", "rel-1"),
    ]
    lines = [line for _, line in compared_lines(results)]
    assert lines[0].startswith("Feinabstimmung ") and lines[1].startswith("Release-Paket ")


def test_the_role_column_is_as_wide_as_the_longest_role() -> None:
    results = [
        Comparison("dataset", "dataset", "ds-1", "ds-1"),
        Comparison("finetune_earlier_1", "finetune", "ft-1", "ft-2"),
    ]
    lines = [line for _, line in compared_lines(results)]
    assert lines[0].index("ds-1") == lines[1].index("ft-1") == len("finetune_earlier_1 ")
    assert lines[0].endswith("gleich") and lines[1].endswith("neu gebaut als ft-2")


def test_the_bundles_side_of_a_difference_is_named_once_before_the_lines() -> None:
    differing = Comparison(
        "model", "model", "m-1", "m-1", ["config.json"], {"config.json": ["seed 1 ≠ 2"]}
    )
    lines = compared_lines([Comparison("dataset", "dataset", "d", "d"), differing])
    assert lines[0] == ("", "wo eine Datei abweicht: der Wert des Pakets ≠ der neu gebaute")
    assert lines[-1] == ("   ", "config.json: seed 1 ≠ 2")
    assert "unterscheidet sich: config.json" in lines[-2][1]
    without = compared_lines([Comparison("model", "model", "m-1", "m-1", ["x.bin"])])
    assert all("≠" not in line for _, line in without)  # no detail shown: no legend
