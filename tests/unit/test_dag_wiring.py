"""The DAG layer's copy of facts the package owns (the DAG files run in Airflow's virtualenv, which does not import
huitong): held equal here, without Airflow."""

from __future__ import annotations

import ast

from huitong.sources import known_sources
from tests.conftest import PROJECT_ROOT


def _assigned(path, name: str):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(node, ast.Assign | ast.AnnAssign) and getattr(target, "id", None) == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not assigned in {path}")


def test_the_dags_load_every_source_the_package_provides():
    """huitong_dags.SOURCES decides which bronze tables history_load fills and the transform waits for: a source
    added to the package but not there would never be loaded by the DAGs."""
    sources = _assigned(PROJECT_ROOT / "dags" / "huitong_dags" / "__init__.py", "SOURCES")
    assert sorted(sources) == known_sources()
