"""The transform DAG builds dbt layer by layer (seeds + staging, then intermediate, then marts), so a model may only
depend on its own layer or an earlier one. Checked on the manifest `make install` parses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[2] / "dbt_project" / "target" / "manifest.json"
ORDER = {"seed": 0, "staging": 0, "intermediate": 1, "marts": 2}


def layer(node: dict) -> int | None:
    if node["resource_type"] == "seed":
        return ORDER["seed"]
    parts = Path(node["original_file_path"]).parts
    return ORDER.get(parts[1]) if node["resource_type"] == "model" and len(parts) > 1 else None


def test_no_model_reads_a_later_layer():
    if not MANIFEST.exists():
        pytest.skip("no dbt manifest: run `make install` (it parses the project)")
    nodes = json.loads(MANIFEST.read_text())["nodes"]
    wrong = [
        f"{node['name']} ({Path(node['original_file_path']).parts[1]}) reads {nodes[parent]['name']}"
        for node in nodes.values()
        if layer(node) is not None
        for parent in node.get("depends_on", {}).get("nodes", [])
        if parent in nodes and layer(nodes[parent]) is not None and layer(nodes[parent]) > layer(node)
    ]
    assert not wrong, wrong
