"""The deployment's docker-compose.yml, checked statically (no Docker engine here)."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from deployment import compose_environment

from retention.paths import PROJECT_ROOT

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = [
    "airflow-init",
    "api-server",
    "scheduler",
    "dag-processor",
    "triggerer",
    "worker",
]
SECRETS = ("PASSWORD", "FERNET", "JWT", "SECRET", "PII_KEY", "TOKEN", "AIRFLOW_CONN_")


def env_example() -> dict[str, str]:
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(
        line.split("=", 1)
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    )


def test_the_services_of_a_deployment_are_there() -> None:
    assert set(SERVICES) >= {"postgres", "redis", *AIRFLOW_SERVICES}
    assert SERVICES["redis"]["profiles"] == ["celery"] == SERVICES["worker"]["profiles"]
    for name in ("postgres", "api-server", "scheduler", "dag-processor", "triggerer", "worker"):
        assert "healthcheck" in SERVICES[name], name
    assert "warehouse" in SERVICES["airflow-init"]["command"][-1]  # the one-writer pool


def test_airflow_is_pinned_to_the_projects_version() -> None:
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'"apache-airflow==([\d.]+)"', pyproject)[1]
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"FROM apache/airflow:{version}-python3.11" in dockerfile
    for name in AIRFLOW_SERVICES:
        assert SERVICES[name]["image"] == f"cixi-retention-airflow:{version}", name
    for name in ("postgres", "redis"):
        assert re.fullmatch(r"[\w/]+:\d+(\.\d+)+", SERVICES[name]["image"]), name


def test_every_mounted_path_exists_in_the_repository() -> None:
    named = set(COMPOSE["volumes"])
    for name, service in SERVICES.items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (PROJECT_ROOT / source).exists(), (name, source)
            else:
                assert source in named, (name, source)
    assert {"landing", "warehouse", "archive", "releases"} <= named


def test_no_secret_is_written_in_the_compose_file() -> None:
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in SECRETS):
                assert str(value).startswith("${") or "${" in str(value), (name, key)
    text = (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert not re.search(r"(?i)admin:admin|password:\s*\w+", text.split("services:")[1])


def test_env_example_lists_every_secret_empty_and_env_is_not_committed() -> None:
    values = env_example()
    secret = [key for key in values if any(word in key for word in SECRETS)]
    assert {
        "POSTGRES_PASSWORD",
        "AIRFLOW_FERNET_KEY",
        "AIRFLOW_JWT_SECRET",
        "RETENTION_PII_KEY",
        "SMTP_PASSWORD",
        "DINGTALK_ACCESS_TOKEN",
        "DINGTALK_SECRET",
    } <= set(secret)
    for key in secret:
        assert values[key] == "", key
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_env_example_names_every_variable_the_compose_file_reads() -> None:
    text = (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    read = set(re.findall(r"(?<!\$)\$\{(\w+)", text))
    assert read - set(env_example()) == set()


def test_the_notification_connections_are_built_from_env() -> None:
    """.env.example as an operator fills it in, with the characters a password may hold."""
    dotenv = env_example() | {
        "SMTP_HOST": "smtp.example.org",
        "SMTP_USER": "retention@example.org",
        "SMTP_PASSWORD": "p@ss:w/rd%?#&{}'",
        "SMTP_FROM": "retention@example.org",
        "DINGTALK_ACCESS_TOKEN": "0123abcd",
        "DINGTALK_SECRET": "SEC0123abcd",
    }
    names = ["AIRFLOW_CONN_SMTP_DEFAULT", "AIRFLOW_CONN_DINGDING_DEFAULT"]
    smtp, dingding = (json.loads(v) for v in compose_environment(dotenv, names).values())
    assert (smtp["conn_type"], smtp["host"], smtp["port"]) == ("smtp", "smtp.example.org", "465")
    assert (smtp["login"], smtp["password"]) == ("retention@example.org", "p@ss:w/rd%?#&{}'")
    # SSL on 465, as .env.example says: booleans, which the provider reads as such
    assert smtp["extra"] == {
        "from_email": "retention@example.org",
        "disable_ssl": False,
        "disable_tls": True,
    }
    assert dingding == {
        "conn_type": "dingding",
        "host": "https://oapi.dingtalk.com",
        "password": "0123abcd",
        "extra": {"secret": "SEC0123abcd"},
    }


def test_a_deployment_names_its_approvers_or_does_not_start() -> None:
    """Without RETENTION_APPROVERS anyone could answer the release's human steps."""
    with pytest.raises(KeyError, match="RETENTION_APPROVERS"):
        compose_environment(env_example(), ["RETENTION_APPROVERS"])
    named = env_example() | {"RETENTION_APPROVERS": "admin,zhang"}
    assert compose_environment(named, ["RETENTION_APPROVERS"]) == {
        "RETENTION_APPROVERS": "admin,zhang"
    }
