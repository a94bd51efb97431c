"""A real Superset serving the Huitong DuckDB: login, every dashboard chart's data, export round trip, and
reading across a publish (symlink swap). Uses the session fixtures in conftest.py."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import duckdb
import pytest

from huitong.serving.superset_assets import PLACEHOLDER
from huitong.serving.superset_sample import publish_build, write_hotel_stays_build
from huitong.serving.superset_server import ASSETS, SupersetClient, SupersetServer
from tests.conftest import Serving

pytestmark = pytest.mark.slow


def served_total(serving_db: Path) -> int:
    with duckdb.connect(str(serving_db), read_only=True) as con:
        return con.execute("SELECT SUM(stays) FROM marts.metric_hotel_stays_daily").fetchone()[0]


def is_total_stays(form_data: dict) -> bool:
    return form_data.get("viz_type") == "big_number_total" and form_data.get("metric") == "total_stays"


def total_stays_chart(client: SupersetClient) -> int:
    """The id of the dashboard chart that shows all stays in one number (big_number_total)."""
    for dashboard in client.dashboards():
        for chart in client.dashboard_charts(dashboard["id"]):
            if is_total_stays(chart["form_data"]):
                return chart["id"]
    raise AssertionError("no big-number chart on any dashboard")


def test_rest_login_lists_the_committed_dashboards(superset: SupersetServer) -> None:
    client = superset.client()
    titles = {d["dashboard_title"] for d in client.dashboards()}
    committed = {
        line.split(":", 1)[1].strip()
        for path in (ASSETS / "dashboards").glob("*.yaml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("dashboard_title:")
    }
    assert committed and committed <= titles


def test_wrong_password_is_refused(superset: SupersetServer) -> None:
    with pytest.raises(Exception, match="401"):
        SupersetClient(superset.url, "admin", superset.admin_password + "x")


def test_every_dashboard_chart_returns_rows(superset: SupersetServer, superset_serving: Serving) -> None:
    client = superset.client()
    checked = 0
    for dashboard in client.dashboards():
        charts = client.dashboard_charts(dashboard["id"])
        assert charts, f"dashboard {dashboard['dashboard_title']} has no charts"
        for chart in charts:
            results = client.chart_data(chart["id"], force=True)
            assert results and all(r["rowcount"] > 0 for r in results), chart["slice_name"]
            checked += 1
    assert checked >= 4
    [result] = client.chart_data(total_stays_chart(client), force=True)
    assert result["data"][0]["total_stays"] == served_total(superset_serving.serving_db)


def test_export_round_trips_to_the_committed_yaml(superset: SupersetServer, tmp_path: Path) -> None:
    exported = tmp_path / "assets"
    superset.export(exported)

    def tree(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*.yaml")}

    assert tree(exported) == tree(ASSETS)
    assert PLACEHOLDER in "".join(tree(exported).values())


def test_reads_continue_across_a_publish(superset: SupersetServer, superset_serving: Serving) -> None:
    """Superset opens the served file per query (NullPool), read-only, through the current.duckdb symlink:
    queries running while a new build is published all succeed, and the next one sees the new build."""
    if not superset_serving.owned:
        pytest.skip("serving home belongs to someone else; not publishing test data into it")
    client = superset.client()
    chart_id = total_stays_chart(client)
    before = served_total(superset_serving.serving_db)
    release_before = superset_serving.serving_db.resolve()
    new_build = superset_serving.home / "warehouse" / "build_swap.duckdb"
    after = write_hotel_stays_build(new_build, days=45, seed=99)
    assert after != before

    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        reader_client = superset.client()
        while not stop.is_set() and len(seen) < 200:
            try:
                seen.append(reader_client.chart_data(chart_id, force=True)[0]["data"][0]["total_stays"])
            except BaseException as exc:  # noqa: BLE001 - any failure during the swap is the finding
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        # Publish only once the readers are answering, so the swap happens while reads are in flight.
        deadline = time.monotonic() + 120
        while len(seen) < 2 and not errors and time.monotonic() < deadline:
            time.sleep(0.1)
        assert seen, "the readers got no answer from Superset within 120 s"
        publish_build(superset_serving.home, new_build)
        assert superset_serving.serving_db.resolve() != release_before
        [result] = client.chart_data(chart_id, force=True)
        assert result["data"][0]["total_stays"] == after
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
        # Put the original data back for the other tests in the session.
        publish_build(superset_serving.home, superset_serving.home / "warehouse" / "build.duckdb")
    assert not errors, errors
    assert seen and set(seen) <= {before, after}


def test_init_applies_edited_yaml_to_a_running_instance(superset: SupersetServer, tmp_path: Path) -> None:
    """Git is the source of truth: re-running init after a YAML edit updates the existing chart in place."""
    client = superset.client()
    chart_id = total_stays_chart(client)
    edited = tmp_path / "assets"
    shutil.copytree(ASSETS, edited)
    [chart_file] = [
        p
        for p in (edited / "charts").glob("*.yaml")
        if "viz_type: big_number_total" in p.read_text(encoding="utf-8")
        and "metric: total_stays" in p.read_text(encoding="utf-8")
    ]
    text = chart_file.read_text(encoding="utf-8")
    old = client.get(f"/api/v1/chart/{chart_id}")["result"]["description"]
    chart_file.write_text(text.replace(f"description: {old}", "description: edited in git"), encoding="utf-8")
    superset.extra_env["HUITONG_SUPERSET_ASSETS"] = str(edited)
    try:
        superset.init()
        assert client.get(f"/api/v1/chart/{chart_id}")["result"]["description"] == "edited in git"
    finally:
        del superset.extra_env["HUITONG_SUPERSET_ASSETS"]
        superset.init()
    assert client.get(f"/api/v1/chart/{chart_id}")["result"]["description"] == old


def test_dashboard_screenshot(superset: SupersetServer, tmp_path: Path) -> None:
    """Optional: every dashboard as a person sees it, in headless Chromium (needs Debian's chromium packages)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip(
            "headless screenshot needs /usr/bin/chromium and chromedriver (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--window-size=1600,1400",
    ):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    try:
        browser.get(f"{superset.url}/login/")
        wait = WebDriverWait(browser, 60)
        wait.until(ec.presence_of_element_located((By.ID, "username"))).send_keys("admin")
        browser.find_element(By.ID, "password").send_keys(superset.admin_password + "\n")
        wait.until(ec.url_changes(f"{superset.url}/login/"))
        shots = []
        for slug in sorted(d["slug"] for d in superset.client().dashboards()):
            browser.get(f"{superset.url}/superset/dashboard/{slug}/")
            wait.until(
                ec.presence_of_all_elements_located(
                    (By.CSS_SELECTOR, ".chart-container canvas, .chart-container table")
                )
            )
            shots.append(tmp_path / f"{slug}.png")
            browser.save_screenshot(str(shots[-1]))
            # No chart shows Superset's error panel.
            assert not browser.find_elements(By.CSS_SELECTOR, ".chart-container .alert-danger"), slug
    finally:
        browser.quit()
    assert shots and all(shot.stat().st_size > 10_000 for shot in shots)
