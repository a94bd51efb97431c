"""The dashboards-as-code files without a running Superset: rendering and normalising are exact inverses."""

from __future__ import annotations

import zipfile
from pathlib import Path

import yaml

from huitong.serving.superset_assets import (
    DOCS_PLACEHOLDER,
    PLACEHOLDER,
    canonical_id,
    normalise_export,
    render_assets,
    zip_assets,
)
from huitong.serving.superset_server import ASSETS


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*.yaml")}


def test_render_fills_in_the_serving_db_and_docs_url_and_nothing_else(tmp_path: Path) -> None:
    serving_db = tmp_path / "home" / "serving" / "current.duckdb"
    docs_url = "http://127.0.0.1:18580/"
    out = render_assets(ASSETS, tmp_path / "rendered", serving_db, docs_url=docs_url)
    committed, rendered = tree(ASSETS), tree(out)
    assert committed.keys() == rendered.keys()
    uris = [yaml.safe_load(rendered[p])["sqlalchemy_uri"] for p in rendered if p.startswith("databases/")]
    assert uris == [f"duckdb:///{serving_db}?access_mode=read_only"]
    for path, text in committed.items():
        assert rendered[path] == text.replace(PLACEHOLDER, str(serving_db)).replace(
            DOCS_PLACEHOLDER, docs_url
        )
    assert not any(PLACEHOLDER in text or DOCS_PLACEHOLDER in text for text in rendered.values())
    # The dashboards link to the dbt docs, so departments find what each shared table means.
    linked = {"Leadership_overview", "Public-safety_trends", "Video_network", "Key-industry_data_collection",
              "Data_integration_and_quality", "Hotel_stays", "Query_audit"}  # fmt: skip
    assert {Path(p).stem for p in rendered if p.startswith("dashboards/")} == linked  # every dashboard
    for path, text in rendered.items():
        if Path(path).stem in linked:
            codes = [n["meta"]["code"] for n in yaml.safe_load(text)["position"].values()
                     if isinstance(n, dict) and n.get("type") == "MARKDOWN"]  # fmt: skip
            assert any(f"]({docs_url})" in code for code in codes), path


def test_committed_assets_hold_no_machine_specific_values() -> None:
    for path, text in tree(ASSETS).items():
        assert "/tmp/" not in text and "/work/" not in text and "/home/" not in text, path
        assert "timestamp" not in yaml.safe_load(text), path


def test_normalise_inverts_render(tmp_path: Path) -> None:
    """An export is the rendered tree zipped under one root folder; normalising it gives the committed files."""
    serving_db = tmp_path / "serving" / "current.duckdb"
    bundle = zip_assets(render_assets(ASSETS, tmp_path / "rendered", serving_db), tmp_path / "export.zip")
    with zipfile.ZipFile(bundle) as zf:
        assert all(name.count("/") >= 1 for name in zf.namelist())
    out = normalise_export(bundle, tmp_path / "normalised", serving_db)
    assert tree(out) == tree(ASSETS)


def test_normalise_replaces_instance_ids_and_file_names(tmp_path: Path) -> None:
    """Superset's own ids (in file names, positions, query contexts) differ per instance; normalising maps them
    to ids derived from UUIDs, so two exports of the same dashboards from different instances are identical."""
    serving_db = tmp_path / "serving" / "current.duckdb"
    rendered = render_assets(ASSETS, tmp_path / "rendered", serving_db)
    # A dashboard whose period filter leaves charts out of its scope: those ids are renumbered too.
    dashboard_path = rendered / "dashboards" / "Key-industry_data_collection.yaml"
    dashboard = yaml.safe_load(dashboard_path.read_text(encoding="utf-8"))
    charts = [n for n in dashboard["position"].values() if isinstance(n, dict) and n.get("type") == "CHART"]
    renumbered = {}
    for i, node in enumerate(charts, start=101):  # as another instance would have numbered them
        renumbered[node["meta"]["chartId"]] = i
        node["meta"]["chartId"] = i
    for native_filter in dashboard["metadata"]["native_filter_configuration"]:
        scope = native_filter["scope"]
        scope["excluded"] = [renumbered[chart_id] for chart_id in scope["excluded"]]
    dashboard["metadata"]["native_filter_configuration"][0]["chartsInScope"] = list(
        range(101, 101 + len(charts))
    )
    dashboard_path.unlink()
    (dashboard_path.parent / f"{dashboard_path.stem}_17.yaml").write_text(
        yaml.safe_dump(dashboard, allow_unicode=True), encoding="utf-8"
    )
    out = normalise_export(zip_assets(rendered, tmp_path / "export.zip"), tmp_path / "normalised", serving_db)
    assert tree(out) == tree(ASSETS)
    normalised = yaml.safe_load((out / "dashboards" / dashboard_path.name).read_text(encoding="utf-8"))
    ids = {
        n["meta"]["chartId"]
        for n in normalised["position"].values()
        if isinstance(n, dict) and "meta" in n and "chartId" in n["meta"]
    }
    assert ids == {canonical_id(n["meta"]["uuid"]) for n in charts}
