"""data/README.md documents every file, layer and column of the demo, and its actual gaps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from planning.demo import FILES
from planning.demo.generator import FACILITY_HEADERS


@pytest.fixture(scope="module")
def readme(repo_dir: Path) -> str:
    return (repo_dir / "data" / "README.md").read_text(encoding="utf-8")


def test_every_file_layer_and_column_is_documented(readme: str, demo_out: Path) -> None:
    for name in FILES:
        assert f"`{name}`" in readme, f"data/README.md does not describe {name}"
    for layer, _ in pyogrio.list_layers(demo_out / "county.gpkg"):
        assert f"layer `{layer}`" in readme
        for col in pyogrio.read_info(demo_out / "county.gpkg", layer=layer)["fields"]:
            assert f"| `{col}` |" in readme, f"column {col} of layer {layer} undocumented"
    for header, canonical in FACILITY_HEADERS.items():
        assert f"| {header} |" in readme, f"facilities.csv header {header} undocumented"


def test_named_gaps_match_the_data(readme: str, demo_out: Path) -> None:
    gaps = pd.read_csv(demo_out / "gaps.csv", dtype=str)
    named = gaps[gaps["rule_id"].isin(["HC-01", "HC-04", "HC-11", "LC-04", "ED-01", "ED-02",
                                       "SA-01", "SA-02", "EM-02"])]
    for rule, place in zip(named["rule_id"], named["place"]):
        assert place in readme, f"gap {rule} at {place} is not listed in data/README.md"
    for place in gaps.loc[gaps["rule_id"] == "HC-03", "place"]:
        assert place.removesuffix("村卫生室") in readme
