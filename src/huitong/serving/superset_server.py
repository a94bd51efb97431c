"""Drive a local Superset from Python: bootstrap, start, stop, export and a logged-in REST client.

Superset lives in its own venv; this module only runs the scripts in superset/bin and talks HTTP to the server,
so tests and the CLI in the core venv can manage it without importing Superset.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[3]
BIN = REPO / "superset" / "bin"
ASSETS = REPO / "superset" / "assets"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SupersetServer:
    home: Path
    serving_db: Path
    port: int = field(default_factory=free_port)
    # Random per instance: no password is written into the package.
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    state_dir: Path | None = None  # Superset's metadata DB, pid and log; default HUITONG_HOME/superset
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HUITONG_HOME=str(self.home),
            HUITONG_SERVING_DB=str(self.serving_db),
            SUPERSET_PORT=str(self.port),
            SUPERSET_ADMIN_PASSWORD=self.admin_password,
            # One worker: tests need no parallelism and the machine has two cores.
            SUPERSET_WORKERS=env.get("SUPERSET_WORKERS", "1"),
        )
        env.pop("SUPERSET_HOME", None)
        if self.state_dir is not None:
            env["SUPERSET_HOME"] = str(self.state_dir)
        env.pop("SUPERSET_CONFIG_PATH", None)
        env.update(self.extra_env)
        return env

    def run(self, script: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run one of superset/bin's scripts; raise with its output when it fails."""
        proc = subprocess.run(
            [str(BIN / script), *args], env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"superset/bin/{script} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def init(self) -> None:
        self.run("init")

    def start(self) -> None:
        self.run("start")

    def stop(self) -> None:
        self.run("stop", timeout=60)

    def export(self, assets_dir: Path) -> None:
        self.run("export", str(assets_dir))

    def client(self) -> SupersetClient:
        return SupersetClient(self.url, "admin", self.admin_password)


class SupersetClient:
    """A requests session logged in through Superset's REST API (JWT bearer token; the API needs no CSRF)."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 60):
        self.url, self.timeout = url, timeout
        self.session = requests.Session()
        resp = self.session.post(
            f"{url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            timeout=timeout,
        )
        self.session.headers["Authorization"] = f"Bearer {_json(resp)['access_token']}"

    def get(self, path: str, **params: Any) -> Any:
        return _json(self.session.get(f"{self.url}{path}", params=params, timeout=self.timeout))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return _json(self.session.post(f"{self.url}{path}", json=body, timeout=self.timeout))

    def dashboards(self) -> list[dict[str, Any]]:
        return self.get("/api/v1/dashboard/", q="(page_size:100)")["result"]

    def dashboard_charts(self, dashboard_id: int) -> list[dict[str, Any]]:
        return self.get(f"/api/v1/dashboard/{dashboard_id}/charts")["result"]

    def chart_data(self, chart_id: int, force: bool = False) -> list[dict[str, Any]]:
        """Run a chart's saved query context (what reports and the API use), bypassing the cache if forced."""
        params = {"force": "true"} if force else {}
        return self.get(f"/api/v1/chart/{chart_id}/data/", **params)["result"]

    def chart_data_filtered(self, chart_id: int, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The chart's saved query context with `filters` ({col, op, val}) added to its query, as a dashboard's native
        filters send it; never from the cache."""
        context = json.loads(self.get(f"/api/v1/chart/{chart_id}")["result"]["query_context"])
        context["force"] = True
        context["queries"][0]["filters"] = [*context["queries"][0]["filters"], *filters]
        return self.post("/api/v1/chart/data", context)["result"]


def _json(resp: requests.Response) -> Any:
    """The response body; an error names the status and keeps Superset's message, which says what went wrong."""
    if resp.status_code >= 400:
        raise requests.HTTPError(
            f"{resp.status_code} from {resp.request.path_url}: {resp.text[:2000]}", response=resp
        )
    return resp.json()
