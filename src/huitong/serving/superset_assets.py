"""Superset dashboards as code: render the YAML in superset/assets for import, and turn an export back into it.

The committed YAML holds no machine-specific values: the database URI carries the placeholder
``{{HUITONG_SERVING_DB}}``, the dashboards' link to the dbt docs ``{{HUITONG_DOCS_URL}}`` (HUITONG_DOCS_URL, see
huitong.serving.docs), and every numeric id Superset assigns (charts, datasets, dashboards) is replaced by a
canonical number derived from the objects' UUIDs, which are the stable identity across instances. So
``render -> import -> export -> normalise`` gives back the committed files byte for byte, and a change made in the
UI shows up in git as exactly that change.

Runs in the core venv (``python -m huitong.serving.superset_assets render|normalise ...``); Superset's own venv
only ever sees the rendered files.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

PLACEHOLDER = "{{HUITONG_SERVING_DB}}"
DOCS_PLACEHOLDER = "{{HUITONG_DOCS_URL}}"
BUNDLE_ROOT = "huitong_assets"

# Written by Superset on export or on a dashboard view, never by a person: keeping them would make every export
# differ from the last one. chartsInScope lists are instance ids that the importer does not remap; the front end
# recomputes them from each filter's scope when they are absent.
_VOLATILE_METADATA = ("timestamp",)
_VOLATILE_CHART_PARAMS = ("slice_id", "dashboards", "datasource")
_VOLATILE_DASHBOARD_METADATA = ("map_label_colors", "shared_label_colors", "color_scheme_domain", "positions")


def _load(text: str) -> Any:
    return yaml.safe_load(text)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=True, width=120, default_flow_style=False)


def _yaml_files(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))


def _database_uri(serving_db: Path | str) -> str:
    path = Path(serving_db)
    if not path.is_absolute():
        raise ValueError(f"serving_db must be an absolute path, got {serving_db!r}")
    return str(path)


def _docs_url(docs_url: str | None) -> str:
    from huitong.config import load_settings

    return docs_url or load_settings().docs_url


def render_assets(
    src_dir: Path | str, out_dir: Path | str, serving_db: Path | str, docs_url: str | None = None
) -> Path:
    """Copy the committed asset tree to ``out_dir`` with the serving DuckDB's absolute path and the docs URL
    filled in."""
    src, out = Path(src_dir), Path(out_dir)
    docs_url = _docs_url(docs_url)
    if not (src / "metadata.yaml").exists():
        raise FileNotFoundError(f"{src} is not a Superset asset tree (no metadata.yaml)")
    db_path = _database_uri(serving_db)
    if out.exists():
        shutil.rmtree(out)
    for path in _yaml_files(src):
        target = out / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (
            path.read_text(encoding="utf-8").replace(PLACEHOLDER, db_path).replace(DOCS_PLACEHOLDER, docs_url)
        )
        target.write_text(text, encoding="utf-8")
    return out


def zip_assets(asset_dir: Path | str, zip_path: Path | str) -> Path:
    """Pack a tree the way Superset's exports and bundle importers lay it out (one root folder in the zip)."""
    asset_dir, zip_path = Path(asset_dir), Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in _yaml_files(asset_dir):
            bundle.write(path, f"{BUNDLE_ROOT}/{path.relative_to(asset_dir).as_posix()}")
    return zip_path


def _read_export(zip_path: Path) -> dict[str, Any]:
    """The export's YAML files keyed by their path below the bundle's root folder."""
    contents: dict[str, Any] = {}
    with zipfile.ZipFile(zip_path) as bundle:
        for name in bundle.namelist():
            parts = PurePosixPath(name).parts
            if len(parts) < 2 or not name.endswith((".yaml", ".yml")):
                continue
            contents["/".join(parts[1:])] = _load(bundle.read(name).decode("utf-8"))
    if "metadata.yaml" not in contents:
        raise ValueError(f"{zip_path} is not a Superset export (no metadata.yaml)")
    return contents


def canonical_id(uuid: str) -> int:
    """A stand-in for the numeric id Superset gave an object, derived from its UUID alone so that adding a chart
    does not renumber the others. The importer maps these to whatever ids the target instance assigns."""
    return int(uuid.replace("-", "")[:7], 16)


def _canonical_ids(uuids: Iterable[str]) -> dict[str, int]:
    ids = {uuid: canonical_id(uuid) for uuid in set(uuids)}
    if len(set(ids.values())) != len(ids):
        raise ValueError("two UUIDs share a canonical id; give one of the objects a new UUID")
    return ids


def _file_names(contents: dict[str, Any]) -> dict[str, str]:
    """Superset names files ``<title>_<id>.yaml``; drop the instance id so names do not change across instances.
    Objects whose titles clash all get a UUID prefix instead, whatever order the export listed them in."""
    stems: dict[str, str] = {}
    for path in contents:
        folder, _, name = path.rpartition("/")
        stem = re.sub(r"_\d+$", "", name.rsplit(".", 1)[0]) or "unnamed"
        stems[path] = f"{folder}/{stem}" if folder else stem
    clashes = {stem for stem in stems.values() if list(stems.values()).count(stem) > 1}
    return {
        path: f"{stem}_{contents[path]['uuid'][:8]}.yaml" if stem in clashes else f"{stem}.yaml"
        for path, stem in stems.items()
    }


def _remap_ids(values: list[Any], id_map: dict[int, int]) -> list[int]:
    return sorted(id_map[int(v)] for v in values if int(v) in id_map)


def _strip_key(node: Any, key: str) -> None:
    if isinstance(node, dict):
        node.pop(key, None)
        for value in node.values():
            _strip_key(value, key)
    elif isinstance(node, list):
        for value in node:
            _strip_key(value, key)


def _normalise_query_context(text: str | None, datasource: dict[str, Any]) -> str | None:
    if not text:
        return text
    context = json.loads(text)
    context["datasource"] = datasource
    form_data = context.get("form_data") or {}
    for key in _VOLATILE_CHART_PARAMS:
        form_data.pop(key, None)
    return json.dumps(context, ensure_ascii=False, sort_keys=True)


def _normalise_dashboard(config: dict[str, Any], chart_ids: dict[str, int]) -> None:
    position = config.get("position") or {}
    id_map: dict[int, int] = {}
    for node in position.values():
        if isinstance(node, dict) and node.get("type") == "CHART" and node["meta"].get("uuid") in chart_ids:
            new_id = chart_ids[node["meta"]["uuid"]]
            if node["meta"].get("chartId") is not None:
                id_map[int(node["meta"]["chartId"])] = new_id
            node["meta"]["chartId"] = new_id

    metadata = config.get("metadata") or {}
    for key in _VOLATILE_DASHBOARD_METADATA:
        metadata.pop(key, None)
    _strip_key(metadata, "chartsInScope")

    def remap(ids: list[Any]) -> list[int]:
        return _remap_ids(ids, id_map)

    if "timed_refresh_immune_slices" in metadata:
        metadata["timed_refresh_immune_slices"] = remap(metadata["timed_refresh_immune_slices"])
    if "expanded_slices" in metadata:
        metadata["expanded_slices"] = {
            str(id_map[int(k)]): v for k, v in metadata["expanded_slices"].items() if int(k) in id_map
        }
    scoped = [f.get("scope") or {} for f in metadata.get("native_filter_configuration") or []]
    scoped.append((metadata.get("global_chart_configuration") or {}).get("scope") or {})
    chart_configuration = {}
    for key, chart_config in (metadata.get("chart_configuration") or {}).items():
        if not str(key).isdigit() or int(key) not in id_map:
            continue
        chart_config["id"] = id_map[int(key)]
        scoped.append((chart_config.get("crossFilters") or {}).get("scope") or {})
        chart_configuration[str(id_map[int(key)])] = chart_config
    if "chart_configuration" in metadata:
        metadata["chart_configuration"] = chart_configuration
    for scope in scoped:
        if isinstance(scope, dict) and scope.get("excluded"):
            scope["excluded"] = remap(scope["excluded"])


def normalise_export(
    zip_path: Path | str, assets_dir: Path | str, serving_db: Path | str, docs_url: str | None = None
) -> Path:
    """Unpack a ``superset export-dashboards`` zip over ``assets_dir`` in the committed form (see module doc)."""
    contents = _read_export(Path(zip_path))
    db_path = _database_uri(serving_db)
    docs_url = _docs_url(docs_url)

    dataset_ids = _canonical_ids(c["uuid"] for p, c in contents.items() if p.startswith("datasets/"))
    chart_ids = _canonical_ids(c["uuid"] for p, c in contents.items() if p.startswith("charts/"))

    for path, config in contents.items():
        if path == "metadata.yaml":
            for key in _VOLATILE_METADATA:
                config.pop(key, None)
        elif path.startswith("databases/"):
            config["sqlalchemy_uri"] = config["sqlalchemy_uri"].replace(db_path, PLACEHOLDER)
        elif path.startswith("datasets/"):
            # Exported in database-id order, which differs between instances.
            config["columns"] = sorted(config.get("columns") or [], key=lambda c: c["column_name"])
            config["metrics"] = sorted(config.get("metrics") or [], key=lambda m: m["metric_name"])
        elif path.startswith("charts/"):
            dataset_id = dataset_ids.get(config.get("dataset_uuid"), 0)
            params = config.get("params") or {}
            for key in _VOLATILE_CHART_PARAMS:
                params.pop(key, None)
            config["query_context"] = _normalise_query_context(
                config.get("query_context"), {"id": dataset_id, "type": "table"}
            )
        elif path.startswith("dashboards/"):
            _normalise_dashboard(config, chart_ids)
            for node in (config.get("position") or {}).values():
                if isinstance(node, dict) and node.get("type") == "MARKDOWN":
                    node["meta"]["code"] = node["meta"].get("code", "").replace(docs_url, DOCS_PLACEHOLDER)

    out = Path(assets_dir)
    # Only Superset's own folders are replaced, so a README or other notes in assets_dir survive.
    for sub in ("databases", "datasets", "charts", "dashboards"):
        shutil.rmtree(out / sub, ignore_errors=True)
    names = _file_names(contents)
    for path, config in sorted(contents.items()):
        target = out / names[path]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dump(config), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m huitong.serving.superset_assets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser(
        "render", help="fill in the serving DB path; optionally zip for import-dashboards"
    )
    render.add_argument("src_dir", type=Path)
    render.add_argument("out_dir", type=Path)
    render.add_argument("serving_db", type=Path)
    normalise = sub.add_parser("normalise", help="write an export zip back as committed YAML")
    normalise.add_argument("zip_path", type=Path)
    normalise.add_argument("assets_dir", type=Path)
    normalise.add_argument("serving_db", type=Path)
    args = parser.parse_args(argv)
    if args.command == "render":
        render_assets(args.src_dir, args.out_dir, args.serving_db.absolute())
    else:
        normalise_export(args.zip_path, args.assets_dir, args.serving_db.absolute())


if __name__ == "__main__":
    main()
