"""The deployment, for real: Airflow's api-server, scheduler, dag-processor and triggerer as
processes, configured as docker-compose.yml configures them, on PostgreSQL; the DAGs triggered
and approved through the REST API with a real login; the Celery scale-out with Redis and two
workers. Skipped, saying why, where the servers are not there (.ci/run starts them)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import time
from pathlib import Path

import pytest
from conftest import assert_the_samples_2023q4, retention_cli
from deployment import CHROMEDRIVER, CHROMIUM, POSTGRES, REDIS, Deployment, missing_servers

from retention.bench.measure import machine, write
from retention.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
INGEST_DAGS = ["ingest_edu", "ingest_housing", "ingest_hrss", "ingest_youth"]


def _needs(*servers: tuple[str, int]) -> None:
    missing = missing_servers(*servers)
    if missing:
        pytest.skip(f"no server on {', '.join(missing)}: the deployment tests need them")


@pytest.fixture
def deployment(request, tmp_path: Path, receivers):
    executor, workers = request.param
    _needs(POSTGRES, *([REDIS] if workers else []))
    mail, robot = receivers  # .env with notifications to these, on loopback
    settings = mail.settings("leadership@example.org") | robot.settings()
    running = Deployment(tmp_path, executor=executor, workers=workers, settings=settings)
    try:
        running.start()
        running.wait_for_dags({*INGEST_DAGS, "quarterly_release"})
        yield running
    finally:
        running.stop()
        (ARTIFACTS / executor).mkdir(parents=True, exist_ok=True)
        for log in running.logs.glob("*.log"):
            (ARTIFACTS / executor / log.name).write_bytes(log.read_bytes())


def _ingest(deployment: Deployment) -> list[tuple[str, str]]:
    """The departments' ingest runs, as the schedule starts them; each must succeed."""
    runs = [(dag_id, deployment.trigger(dag_id)) for dag_id in INGEST_DAGS]
    ended = deployment.wait_for_runs(runs, timeout=600)
    assert set(ended.values()) == {"success"}, ended
    return runs


def _all_succeed(deployment: Deployment, runs: list[tuple[str, str]]) -> None:
    ended = deployment.wait_for_runs(runs, timeout=1800)
    assert set(ended.values()) == {"success"}, ended


def _releases(deployment: Deployment) -> list[str]:
    return sorted(str(p.relative_to(deployment.releases)) for p in deployment.releases.glob("*/v*"))


def _assert_verified(deployment: Deployment) -> None:
    """Every published file is as its manifest lists it, every version linked to the last."""
    verified = retention_cli("verify", "--out", str(deployment.releases))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _warehouse_tasks(deployment: Deployment, runs: list[tuple[str, str]]) -> list[dict]:
    return [
        ti
        for dag_id, run_id in runs
        for ti in deployment.task_instances(dag_id, run_id)
        if ti["pool"] == "warehouse" and ti["start_date"]
    ]


def _assert_one_at_a_time(tasks: list[dict]) -> None:
    """No two tasks that open the warehouse ran at the same time, whichever run they were in."""
    spans = sorted((*_span(t), t) for t in tasks)
    for (_, end, first), (start, _, second) in itertools.pairwise(spans):
        assert end <= start, (first["dag_id"], first["task_id"], second["task_id"])


def _record_a_release_alone(deployment: Deployment, quarter: str) -> None:
    """A release run alone on the deployment against the same stages as commands on its state
    (build, validate, release), into bench-results/deployment.json: the measure of how much
    the deployment adds. The run's time leaves out the approval, which waits for a person."""
    direct = {}
    for stage, *args in (
        ("build", "build"),
        ("gate", "validate", "--quarter", quarter),
        ("release", "release", "--quarter", quarter, "--out", str(deployment.root / "direct")),
    ):
        started = time.perf_counter()
        done = retention_cli(*args, "--state", str(deployment.state))
        assert done.returncode == 0, done.stdout + done.stderr
        direct[stage] = round(time.perf_counter() - started, 1)
    run = ("quarterly_release", deployment.trigger("quarterly_release", {"quarter": quarter}))
    _all_succeed(deployment, [run])
    tasks = [t for t in deployment.task_instances(*run) if t["start_date"]]
    started, ended = zip(*map(_span, tasks), strict=True)
    approval = _span(next(t for t in tasks if t["task_id"] == "approval"))
    seconds = (max(ended) - min(started) - (approval[1] - approval[0])).total_seconds()
    nodes = [t for t in tasks if t["task_id"].startswith("build.") and t["pool"] != "warehouse"]
    direct_seconds = round(sum(direct.values()), 1)
    write(
        PROJECT_ROOT / "bench-results" / "deployment.json",
        {
            "benchmark": "deployment",
            "executor": deployment.executor,
            "quarter": quarter,
            "machine": machine(),
            "release_run_seconds": round(seconds, 1),
            "direct": {"seconds": direct_seconds, "stages": direct},
            "ratio_deployment_to_direct": round(seconds / direct_seconds, 2),
            "dbt_node_tasks": len(nodes),
            "dbt_node_tasks_at_once": _most_at_once(nodes),
        },
    )


def _span(task: dict) -> tuple[dt.datetime, dt.datetime]:
    return tuple(dt.datetime.fromisoformat(task[key]) for key in ("start_date", "end_date"))


def _most_at_once(tasks: list[dict]) -> int:
    """The most of these tasks that ran at the same moment."""
    edges = sorted(
        (when, step) for t in tasks for when, step in zip(_span(t), (1, -1), strict=True)
    )
    return max(itertools.accumulate(step for _, step in edges), default=0)


def _screenshot(deployment: Deployment, path: Path) -> str:
    """Log in through the UI in headless Chromium and photograph the release DAG's page."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1600,1000", f"--user-data-dir={deployment.root / 'chromium'}",
    ):  # fmt: skip
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        # the single-page app redirects while it loads: a lookup may meet a page going away
        wait = WebDriverWait(browser, 60, ignored_exceptions=(WebDriverException,))
        browser.get(f"{deployment.url}/dags/quarterly_release")
        wait.until(expected_conditions.presence_of_element_located((By.NAME, "username")))
        browser.find_element(By.NAME, "username").send_keys("admin")
        password = deployment._generated_password("admin")
        browser.find_element(By.NAME, "password").send_keys(password)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(expected_conditions.url_contains("/dags/quarterly_release"))
        wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), "gate"))
        path.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(path))
        return browser.find_element(By.TAG_NAME, "body").text
    finally:
        browser.quit()


@pytest.mark.parametrize("deployment", [("LocalExecutor", 0)], indirect=True, ids=["local"])
def test_a_deployment_releases_two_quarters_started_together(
    deployment: Deployment, receivers
) -> None:
    runs = _ingest(deployment)
    releases = [
        ("quarterly_release", deployment.trigger("quarterly_release", {"quarter": quarter}))
        for quarter in ("2023Q3", "2023Q4")
    ]
    _all_succeed(deployment, releases)

    assert _releases(deployment) == ["2023Q3/v1", "2023Q4/v1"]
    # each release announced by email and by the signed DingTalk robot
    mail, robot = receivers
    for announced in (mail.subjects(), robot.texts()):
        for quarter in ("2023Q3", "2023Q4"):
            assert any(f"{quarter} v1 已发布（正式）" in m for m in announced), (quarter, announced)
    assert_the_samples_2023q4(deployment.releases / "2023Q4" / "v1")
    _assert_verified(deployment)
    _assert_one_at_a_time(_warehouse_tasks(deployment, runs + releases))
    _record_a_release_alone(deployment, "2024Q1")

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("no Chromium here (.ci/run installs Debian's chromium and chromium-driver)")
    shown = _screenshot(deployment, ARTIFACTS / "quarterly_release.png")
    assert "quarterly_release" in shown and "build" in shown


@pytest.mark.parametrize("deployment", [("CeleryExecutor", 2)], indirect=True, ids=["celery"])
def test_celery_backfills_on_two_workers_with_one_writer(deployment: Deployment) -> None:
    runs = _ingest(deployment)
    backfill = deployment.backfill("2023Q4", "2024Q1")
    assert len(backfill) == 2
    _all_succeed(deployment, backfill)

    assert _releases(deployment) == ["2023Q4/v1", "2024Q1/v1"]
    assert_the_samples_2023q4(deployment.releases / "2023Q4" / "v1")
    _assert_one_at_a_time(_warehouse_tasks(deployment, runs + backfill))
    ran_on = {name: deployment.tasks_run_by(name, backfill) for name in ("worker1", "worker2")}
    assert all(ran_on.values()), ran_on
    # the same backfill again adds nothing: no run, no release
    assert deployment.backfill("2023Q4", "2024Q1") == []
    assert _releases(deployment) == ["2023Q4/v1", "2024Q1/v1"]
    _assert_verified(deployment)


@pytest.mark.skipif(
    not os.environ.get("RETENTION_FULL_BACKFILL"),
    reason="ten release runs take about 20 minutes: `make backfill` runs this",
)
@pytest.mark.parametrize("deployment", [("LocalExecutor", 0)], indirect=True, ids=["local"])
def test_backfill_of_the_whole_sample(deployment: Deployment) -> None:
    _ingest(deployment)
    backfill = deployment.backfill("2022Q1", "2024Q2")
    assert len(backfill) == 10
    _all_succeed(deployment, backfill)
    quarters = [f"{year}Q{q}" for year in (2022, 2023, 2024) for q in (1, 2, 3, 4)][:10]
    assert _releases(deployment) == [f"{quarter}/v1" for quarter in quarters]
    for quarter in quarters:
        manifest = json.loads((deployment.releases / quarter / "v1" / "manifest.json").read_text())
        assert manifest["status"] == "final", quarter
    assert_the_samples_2023q4(deployment.releases / "2023Q4" / "v1")
    _assert_verified(deployment)
    assert deployment.backfill("2022Q1", "2024Q2") == []
