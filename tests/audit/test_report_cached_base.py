"""The lm_eval command an audit records names a base from the Hugging Face cache (a LoRA
adapter's) by its Hub id and revision, not by a path up into this machine's cache."""

from pathlib import Path

from gemeingut.audit.capability import LmEvalModel


def test_a_cached_base_is_recorded_by_hub_id_and_revision(tmp_path: Path) -> None:
    snapshot = tmp_path / "hub" / "models--uni-example--winzling" / "snapshots" / ("1" * 40)
    how = LmEvalModel("hf", {"pretrained": snapshot, "peft": tmp_path / "ft", "dtype": "float32"})
    recorded = how.arg_string(tmp_path / "ft" / "audit")
    assert recorded == f"pretrained=uni-example/winzling,revision={'1' * 40},peft=..,dtype=float32"
    assert how.arg_string() == f"pretrained={snapshot},peft={tmp_path / 'ft'},dtype=float32"
