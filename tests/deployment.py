"""A real Airflow deployment without Docker: the services of docker-compose.yml started as
processes on this machine, configured from the compose file itself, with the PostgreSQL (and,
for Celery, Redis) servers on loopback. Used by test_deployment.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retention.paths import PROJECT_ROOT, SAMPLE_LANDING

BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def missing_servers(*servers: tuple[str, int]) -> list[str]:
    """The servers among these that nothing answers on."""
    missing = []
    for host, port in servers:
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            missing.append(f"{host}:{port}")
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _substitute(value: str, dotenv: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, from the .env given."""

    def one(match: re.Match) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3) or ""
        if op == ":?" and not dotenv.get(name):
            raise KeyError(f"compose needs {name}: {default}")
        return dotenv.get(name) or (default if op == ":-" else "")

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, str(value))


def compose_environment(dotenv: dict[str, str], names: list[str] | None = None) -> dict[str, str]:
    """The Airflow environment the compose file sets from this .env (or these of its names)."""
    common = COMPOSE["x-airflow-common"]["environment"]
    return {name: _substitute(common[name], dotenv) for name in names or common}


@dataclass
class Deployment:
    """One deployment: its own metadata database, Airflow home, landing, state and releases."""

    root: Path
    executor: str = "LocalExecutor"
    workers: int = 0
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    token: str = ""
    settings: dict[str, str] = field(default_factory=dict)  # more of .env: notifications

    def __post_init__(self) -> None:
        self.database = f"retention_deploy_{secrets.token_hex(4)}"
        self.queue = f"retention_{secrets.token_hex(4)}"
        self.landing = SAMPLE_LANDING  # mounted read-only, as in the compose file
        self.state = self.root / "state"
        self.releases = self.root / "releases"
        self.logs = self.root / "logs"
        for folder in (self.state, self.releases, self.logs):
            folder.mkdir(parents=True, exist_ok=True)

    # -- configuration -------------------------------------------------------------------
    def dotenv(self) -> dict[str, str]:
        """What an operator writes into .env (see .env.example): fresh secrets, no password."""
        from cryptography.fernet import Fernet

        return {
            "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
            "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
            "RETENTION_PII_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "RETENTION_APPROVERS": "admin",  # approve() answers as admin
            "AIRFLOW_EXECUTOR": self.executor,
            **self.settings,
        }

    def environment(self) -> dict[str, str]:
        """The compose file's Airflow environment, its hosts and volumes mapped to this
        machine: the servers on loopback, the repository's folders, this deployment's data."""
        dotenv = self.dotenv()
        env = compose_environment(dotenv)
        postgres = f"postgresql+psycopg2://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{self.database}"
        env.update(
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgres,
            AIRFLOW__CELERY__BROKER_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0",
            AIRFLOW__CELERY__RESULT_BACKEND=f"db+{postgres.replace('+psycopg2', '')}",
            # one broker may serve several deployments: this one's tasks have a queue of their own
            AIRFLOW__OPERATORS__DEFAULT_QUEUE=self.queue,
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{self.port}/execution/",
            AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT_ROOT / "dags"),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=dotenv[
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"
            ],
            AIRFLOW_HOME=str(self.root / "airflow"),
            RETENTION_LANDING=str(self.landing),
            RETENTION_STATE=str(self.state),
            AIRFLOW__COSMOS__CACHE_DIR=str(self.state / "cosmos"),
            AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY="False",
            RETENTION_RELEASES=str(self.releases),
            PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        )
        return {**os.environ, **env}

    # -- processes -----------------------------------------------------------------------
    def _psql(self, sql: str) -> None:
        subprocess.run(
            ["psql", "-h", POSTGRES[0], "-U", "postgres", "-d", "postgres", "-c", sql],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._psql(f"create database {self.database}")
        self.env = self.environment()
        init = COMPOSE["services"]["airflow-init"]["command"]
        subprocess.run(init, env=self.env, check=True, capture_output=True, cwd=PROJECT_ROOT)
        commands = {
            "api-server": ["api-server", "--port", str(self.port)],
            "scheduler": ["scheduler"],
            "dag-processor": ["dag-processor"],
            "triggerer": ["triggerer"],
        }
        for n in range(1, self.workers + 1):
            commands[f"worker{n}"] = [
                "celery", "worker", "--concurrency", "2", "--queues", self.queue,
                "--celery-hostname", f"worker{n}@%h",
            ]  # fmt: skip
        for name, args in commands.items():
            env = dict(self.env, AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()))
            self.processes[name] = subprocess.Popen(
                [str(BIN / "airflow"), *args],
                env=env,
                cwd=self.root,
                stdout=(self.logs / f"{name}.log").open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_for_api()
        self.token = self._login("admin", self._generated_password("admin"))

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        with contextlib.suppress(subprocess.CalledProcessError):  # best effort
            self._psql(f"drop database if exists {self.database} with (force)")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    # -- the REST API --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_for_api(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log(name)[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5)
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(1)
        raise TimeoutError(f"api-server did not answer:\n{self.log('api-server')[-3000:]}")

    def _generated_password(self, user: str) -> str:
        passwords = self.root / "airflow" / "simple_auth_manager_passwords.json.generated"
        return json.loads(passwords.read_text())[user]

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {self.token}"} if self.token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read()[:500]!r}") from None

    def _login(self, user: str, password: str) -> str:
        body = {"username": user, "password": password}
        return self.request("POST", "/auth/token", body)["access_token"]

    def wait_for_dags(self, dag_ids: set[str], timeout: float = 180) -> None:
        """Until the dag-processor has parsed them; then unpause them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = {d["dag_id"] for d in self.request("GET", "/api/v2/dags?limit=100")["dags"]}
            if dag_ids <= found:
                for dag_id in dag_ids:
                    self.request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
                self._dismiss_latest_scheduled_release()
                return
            time.sleep(2)
        raise TimeoutError(
            f"DAGs not parsed: {dag_ids - found}\n{self.log('dag-processor')[-3000:]}"
        )

    def _dismiss_latest_scheduled_release(self, timeout: float = 60) -> None:
        """Unpausing a DAG whose latest tick has passed starts that tick's run (catchup is
        off): here the release of the quarter before today, which the sample does not have.
        Mark it failed, as the engineer deploying would."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.request("GET", "/api/v2/dags/quarterly_release/dagRuns")["dag_runs"]
            scheduled = [r for r in runs if r["run_type"] == "scheduled"]
            if scheduled:
                for run in scheduled:
                    path = f"/api/v2/dags/quarterly_release/dagRuns/{run['dag_run_id']}"
                    self.request("PATCH", path, {"state": "failed"})
                return
            time.sleep(1)

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        body = {"logical_date": None, "conf": conf or {}}
        return self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000"
        return self.request("GET", path)["task_instances"]

    def waits_for_approval(self, dag_id: str, run_id: str) -> bool:
        tasks = self.task_instances(dag_id, run_id)
        approval = next(t for t in tasks if t["task_id"] == "approval")
        return approval["state"] in {"awaiting_input", "deferred"}

    def approve(self, dag_id: str, run_id: str) -> None:
        """Answer the approval step as a person would in the UI; an answer already given (the
        task not yet resumed) is left as it is."""
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/approval/-1/hitlDetails"
        try:
            self.request("PATCH", path, {"chosen_options": ["Approve"]})
        except RuntimeError as error:
            if ": 409 " not in str(error):
                raise

    def wait_for_runs(self, runs: list[tuple[str, str]], timeout: float) -> dict:
        """Wait until every run has ended, approving release runs as they ask; return the
        end state of each."""
        deadline = time.monotonic() + timeout
        ended: dict[tuple[str, str], str] = {}
        waiting: set[tuple[str, str]] = set()
        while time.monotonic() < deadline and len(ended) < len(runs):
            for run in runs:
                if run in ended:
                    continue
                state = self.run_state(*run)
                if state in {"success", "failed"}:
                    ended[run] = state
                elif run[0] == "quarterly_release" and self.waits_for_approval(*run):
                    # answered on the poll after the one that saw it wait, as a person takes
                    # a moment: Airflow 3.3 can lose an answer given within a second of the
                    # task pausing (the approval's retry then asks again)
                    if run in waiting:
                        self.approve(*run)
                    waiting.add(run)
            time.sleep(3)
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} died:\n{self.log(name)[-3000:]}"
        if len(ended) < len(runs):
            raise TimeoutError(f"runs still going after {timeout} s: {set(runs) - set(ended)}")
        return ended

    def tasks_run_by(self, worker: str, runs: list[tuple[str, str]]) -> set[str]:
        """The tasks of these runs that this Celery worker executed, from its log."""
        run_ids = {run_id for _, run_id in runs}
        executed = set()
        for line in self.log(worker).splitlines():
            if "Executing workload" in line:
                task = re.search(r"task_id='([^']+)'", line)
                run = re.search(r"run_id='([^']+)'", line)
                if task and run and run[1] in run_ids:
                    executed.add(task[1])
        return executed

    def backfill(self, first: str, last: str) -> list[tuple[str, str]]:
        """Airflow's backfill of the release DAG over these quarters (e.g. 2022Q1 to 2024Q2),
        through the REST API; returns the runs it created, which may be none."""
        from retention.ingest.naming import Quarter

        shanghai = dt.timezone(dt.timedelta(hours=8))
        start = dt.datetime.combine(Quarter.parse(first).end, dt.time(), shanghai)
        end = dt.datetime.combine(Quarter.parse(last).end, dt.time(), shanghai)
        # each quarter's release tick is three weeks after its end: the window holds one each
        window = (start + dt.timedelta(days=1), end + dt.timedelta(days=45))
        self._wait_for_backfills_to_complete()
        before = {r["dag_run_id"] for r in self._runs("quarterly_release")}
        body = {
            "dag_id": "quarterly_release",
            "from_date": window[0].isoformat(),
            "to_date": window[1].isoformat(),
            "max_active_runs": 2,
        }
        self.request("POST", "/api/v2/backfills", body)
        created = [r for r in self._runs("quarterly_release") if r["dag_run_id"] not in before]
        return [("quarterly_release", r["dag_run_id"]) for r in created]

    def _wait_for_backfills_to_complete(self, timeout: float = 120) -> None:
        """The scheduler marks a backfill complete a moment after its last run; until then
        Airflow refuses another for the DAG."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            backfills = self.request("GET", "/api/v2/backfills?dag_id=quarterly_release")
            if all(b["completed_at"] for b in backfills["backfills"]):
                return
            time.sleep(2)
        raise TimeoutError("a backfill of quarterly_release is still running")

    def _runs(self, dag_id: str) -> list[dict]:
        return self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=1000")["dag_runs"]
