"""Huitong's one configuration module.

Every setting is an environment variable with a default. The ``embedded`` profile (the default) runs on one
machine: DuckDB, Iceberg on a SQLite catalog, files on disk. The ``production`` profile points the same code at
Trino, Iceberg on a Postgres JDBC catalog and S3; it refuses to start when a setting it cannot default safely
(the pseudonymisation key, the catalog) is missing, before any data is touched.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PROFILES = ("embedded", "production")
# The shortest production HMAC key accepted (32 hex characters = 128 bits), and values that are never a key.
HMAC_KEY_MIN_CHARS = 32
_PLACEHOLDERS = frozenset({"change-me", "changeme", "secret", "test", "huitong", "password"})


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names the variable to set."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int_env(name: str, default: int) -> int:
    value = _env(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} must be a whole number of days.") from None
    if number < 1:
        raise ConfigError(f"{name}={value!r} must be at least 1.")
    return number


def _memory_env(name: str, default: str) -> str:
    """A DuckDB memory size ('1GB', '512MB', '1.5GiB'), 'auto' (the reader scales it to its work), or 'none' for
    DuckDB's own default (80% of RAM)."""
    value = _env(name, default).strip()
    if value.lower() not in ("none", "auto") and not re.fullmatch(
        r"\d+(\.\d+)?\s*[KMGT]i?B", value, flags=re.IGNORECASE
    ):
        raise ConfigError(f"{name}={value!r} must be a memory size such as 1GB or 512MB, auto or none.")
    return value


def _choice_env(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _env(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={value!r} must be one of {', '.join(choices)}.")
    return value


def _port_env(name: str, default: int) -> int:
    value = _env(name, str(default))
    if not (value.isdigit() and 0 < int(value) < 65536):
        raise ConfigError(f"{name}={value!r} must be a TCP port (1-65535).")
    return int(value)


@dataclass(frozen=True)
class Settings:
    profile: str
    home: Path
    catalog_name: str
    catalog_uri: str
    warehouse: str
    seed: int
    scale: float
    hotel_api_url: str
    dbt_target: str
    timezone: str = "Asia/Shanghai"
    extra: dict[str, str] = field(default_factory=dict)
    # Spark jobs (huitong.spark): local[*] embedded; spark://host:7077 or k8s://https://... in production.
    spark_master: str = "local[*]"
    # Retention (huitong.lake.retention): personal records older than this leave the lake; Iceberg snapshots are
    # kept this many days for time travel and rollback.
    retention_days: int = 730
    # The query audit trail (who read what) is kept this long, in its raw log and in the lake: logs of network
    # access must be kept at least six months (Cybersecurity Law art. 21; six calendar months are at most 184
    # days), and they quote users and queries.
    audit_retention_days: int = 184
    snapshot_keep_days: int = 7
    # The ops tables (batch ledger, validation results) are never rolled back, and every commit copies their
    # snapshot history (bench/commit_growth.py): a shorter history is kept.
    ops_snapshot_keep_days: int = 1
    # The Spark jobs' local outputs (spark_dir) are working copies of lake data, bronze-shaped or person-level: a
    # dataset last written longer ago than this is removed, so an expired record outlives bronze there this long
    # at most.
    spark_output_keep_days: int = 7
    # Compaction (huitong.lake.compaction): a partition's small data files are rewritten as one once it holds this
    # many.
    compact_min_files: int = 8
    # Superset's metadata DB (SQLAlchemy URI), whose query log the audit source collects: SQLite under
    # HUITONG_HOME locally (as superset/superset_config.py places it), Superset's Postgres database in production.
    superset_metadata_uri: str = ""
    # The same database as retention writes to it (huitong.audit.trim_superset_logs removes old query-log rows):
    # in production a login that may delete them, while the audit DAG's stays read-only.
    superset_retention_uri: str = ""
    # dbt docs (huitong.serving.docs): served on 127.0.0.1:docs_port; docs_url is where the dashboards link to.
    docs_port: int = 8580
    docs_url: str = "http://127.0.0.1:8580/"
    # `huitong er link` (huitong.er.link): the DuckDB memory limit of its throwaway build; above it DuckDB spills to
    # a temp folder inside the build. 'auto': scaled to the input (huitong.er.link.memory_limit); 'none': DuckDB's
    # default, 80% of RAM.
    er_memory_limit: str = "auto"
    # `huitong er link --state`: 'plan' runs a batch on a resolved base from the SQL dbt compiled for batches
    # (huitong.er.batch_plan), 'dbt' runs every batch through dbt.
    er_batch_executor: str = "plan"
    # The allocator of Arrow's buffers in the ingestion (huitong.ingest.prepare_load): 'system' (glibc malloc),
    # 'jemalloc' or 'mimalloc' (pyarrow's own default). Loads allocate and free GBs per 1M-record batch; see
    # docs/configuration.md for the measurement behind the default.
    arrow_memory_pool: str = "system"

    # Folders under HUITONG_HOME. Everything Huitong writes locally lives under one root so `make clean` is one rm.
    @property
    def spark_dir(self) -> Path:
        """Where the Spark jobs write locally (Parquet): bronze backfills, person resolution outputs."""
        return self.home / "spark"

    @property
    def sources_dir(self) -> Path:
        """What the simulated source systems hold (the city's side of the interfaces)."""
        return self.home / "sources"

    @property
    def ground_truth_dir(self) -> Path:
        """The simulator's hidden answers, for evaluation only; no pipeline step reads them."""
        return self.home / "ground_truth"

    @property
    def landing_dir(self) -> Path:
        return self.home / "lake" / "landing"

    @property
    def build_db(self) -> Path:
        """The DuckDB file dbt builds into. Never served directly: it is locked while dbt writes."""
        return self.home / "warehouse" / "build.duckdb"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for builds into build_db: its run_results.json is the evidence `huitong publish`
        checks (the transform's dbt tasks copy it here; by hand: `dbt build --target-path` this folder)."""
        return self.home / "warehouse" / "dbt_target"

    @property
    def serving_dir(self) -> Path:
        return self.home / "serving"

    @property
    def serving_db(self) -> Path:
        """A symlink to the last complete, published build; readers open it read-only."""
        return self.serving_dir / "current.duckdb"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    def _secret(self, env_name: str, file_name: str, purpose: str) -> str:
        """A secret from the environment; in the embedded profile, made once on first use under
        HUITONG_HOME/secrets (git-ignored) so a demo needs no setup and no secret ever sits in the repository."""
        value = _env(env_name)
        if value:
            return value
        if self.profile == "production":
            raise ConfigError(f"{env_name} is not set. {purpose} Set {env_name} from your secret store.")
        path = self.secrets_dir / file_name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{file_name}.{os.getpid()}.tmp")
            tmp.write_text(secrets.token_hex(32))
            tmp.chmod(0o600)
            tmp.replace(path)
        return path.read_text().strip()

    def hmac_key(self) -> bytes:
        """The pseudonymisation key for resident IDs and phones (keyed HMAC). In production a key shorter than
        HMAC_KEY_MIN_CHARS, or a placeholder, is refused: resident IDs and phones are few enough to enumerate, so
        a guessable key would make every token reversible."""
        key = self._secret(
            "HUITONG_HMAC_KEY",
            "hmac.key",
            "The production profile pseudonymises resident IDs and phones with a keyed HMAC and will not run without it.",
        )
        if self.profile == "production" and (
            len(key) < HMAC_KEY_MIN_CHARS or key.lower() in _PLACEHOLDERS or len(set(key)) < 8
        ):
            raise ConfigError(
                f"HUITONG_HMAC_KEY is a placeholder or too weak ({len(key)} characters; at least "
                f'{HMAC_KEY_MIN_CHARS}, random). Generate one with: python -c "import secrets; '
                'print(secrets.token_hex(32))" and set it from your secret store.'
            )
        return key.encode()

    @property
    def audit_token(self) -> str:
        """Bearer token Trino's event listener sends to the audit collector, so nothing else can write the trail."""
        return self._secret(
            "HUITONG_AUDIT_TOKEN",
            "audit.token",
            "The audit collector accepts Trino's events only with this token (event-listener.properties).",
        )

    @property
    def hotel_api_token(self) -> str:
        """Bearer token of the hotel registration API (the simulator reads the same setting to check it)."""
        return self._secret(
            "HUITONG_HOTEL_API_TOKEN", "hotel_api.token", "The hotel source API needs its token."
        )


def load_settings() -> Settings:
    profile = _env("HUITONG_PROFILE", "embedded")
    if profile not in PROFILES:
        raise ConfigError(f"HUITONG_PROFILE={profile!r} is not one of {', '.join(PROFILES)}.")
    home = Path(_env("HUITONG_HOME", ".state")).expanduser().resolve()
    if profile == "production":
        catalog_uri = _env("HUITONG_CATALOG_URI")
        warehouse = _env("HUITONG_WAREHOUSE")
        missing = [
            n for n, v in (("HUITONG_CATALOG_URI", catalog_uri), ("HUITONG_WAREHOUSE", warehouse)) if not v
        ]
        if missing:
            raise ConfigError(
                f"The production profile needs {' and '.join(missing)} (e.g. postgresql+psycopg://... and "
                "s3://bucket/warehouse); see infra/README.md."
            )
    else:
        catalog_uri = _env("HUITONG_CATALOG_URI", f"sqlite:///{home / 'lake' / 'catalog.db'}")
        warehouse = _env("HUITONG_WAREHOUSE", (home / "lake" / "warehouse").as_uri())
    try:
        seed = int(_env("HUITONG_SEED", "20261123"))
        scale = float(_env("HUITONG_SCALE", "1.0"))
    except ValueError as exc:
        raise ConfigError(f"HUITONG_SEED must be an integer and HUITONG_SCALE a number: {exc}") from exc
    docs_port = _port_env("HUITONG_DOCS_PORT", 8580)
    superset_uri = _env(
        "HUITONG_SUPERSET_METADATA_URI",
        f"sqlite:///{Path(_env('SUPERSET_HOME', str(home / 'superset'))) / 'superset.db'}",
    )
    return Settings(
        profile=profile,
        home=home,
        catalog_name=_env("HUITONG_CATALOG_NAME", "huitong"),
        catalog_uri=catalog_uri,
        warehouse=warehouse,
        seed=seed,
        scale=scale,
        hotel_api_url=_env("HUITONG_HOTEL_API_URL", "http://127.0.0.1:8701"),
        dbt_target=_env("HUITONG_DBT_TARGET", "trino" if profile == "production" else "duckdb"),
        spark_master=_env("HUITONG_SPARK_MASTER", "local[*]"),
        retention_days=_int_env("HUITONG_RETENTION_DAYS", 730),
        audit_retention_days=_int_env("HUITONG_AUDIT_RETENTION_DAYS", 184),
        snapshot_keep_days=_int_env("HUITONG_SNAPSHOT_KEEP_DAYS", 7),
        ops_snapshot_keep_days=_int_env("HUITONG_OPS_SNAPSHOT_KEEP_DAYS", 1),
        spark_output_keep_days=_int_env("HUITONG_SPARK_OUTPUT_KEEP_DAYS", 7),
        compact_min_files=_int_env("HUITONG_COMPACT_MIN_FILES", 8),
        superset_metadata_uri=superset_uri,
        superset_retention_uri=_env("HUITONG_SUPERSET_RETENTION_URI", superset_uri),
        docs_port=docs_port,
        docs_url=_env("HUITONG_DOCS_URL", f"http://127.0.0.1:{docs_port}/"),
        er_memory_limit=_memory_env("HUITONG_ER_MEMORY_LIMIT", "auto"),
        er_batch_executor=_choice_env("HUITONG_ER_BATCH_EXECUTOR", "plan", ("plan", "dbt")),
        arrow_memory_pool=_choice_env(
            "HUITONG_ARROW_MEMORY_POOL", "system", ("system", "jemalloc", "mimalloc")
        ),
    )


@cache
def settings() -> Settings:
    return load_settings()
