"""Build runs on record: which dbt run the warehouse's models come from, and whether that run
read the ledger as it stands now.

dbt writes the records itself (dbt/macros/build_record.sql), so a build is on record however
it was started. The gate and the release use the build this module returns, and only that
one: the latest dbt run must be a full build that passed, and the ledger must not have changed
since it started in anything the build reads. The proof is that the submissions it read are
exactly the ledger's submissions in effect now: a file loaded after the build started (even
while it ran) is not among them, and a file refused or sent twice changes no data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from retention.errors import ExpectedError
from retention.warehouse import one


class NotBuilt(ExpectedError):
    """The warehouse's models are not a finished build of the current ledger; the message says
    why, in Chinese and English, and names `retention build`."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh}，请运行 `retention build` / {en}: run `retention build`")


@dataclass(frozen=True)
class BuildRun:
    build_id: str
    started_at: dt.datetime
    ended_at: dt.datetime

    def as_json(self) -> dict[str, str]:
        return {
            "build_id": self.build_id,
            "started_at": f"{self.started_at.isoformat(timespec='seconds')}Z",
            "ended_at": f"{self.ended_at.isoformat(timespec='seconds')}Z",
        }


def _latest_run(con: duckdb.DuckDBPyConnection) -> tuple | None:
    try:
        return one(
            con,
            "select build_id, command, is_full, started_at, ended_at, success from ops.builds "
            "order by started_at desc limit 1",
        )
    except duckdb.CatalogException:  # no dbt run has recorded itself yet
        return None


def _read_by(con: duckdb.DuckDBPyConnection, build_id: str) -> set[tuple[int, str]]:
    sql = "select submission_id, file_sha256 from ops.build_submissions where build_id = ?"
    return set(con.execute(sql, [build_id]).fetchall())


def _in_effect(con: duckdb.DuckDBPyConnection) -> set[tuple[int, str]]:
    """The loaded version of each feed and quarter (an older one is marked superseded)."""
    sql = "select submission_id, file_sha256 from ledger.submissions where status = 'loaded'"
    return set(con.execute(sql).fetchall())


def current_build(con: duckdb.DuckDBPyConnection) -> BuildRun:
    """The build the warehouse's models come from, if it is a finished full build of the
    ledger as it stands; otherwise NotBuilt."""
    run = _latest_run(con)
    if run is None:
        raise NotBuilt("仓库中没有构建记录", "the warehouse has no build on record")
    build_id, command, is_full, started_at, ended_at, success = run
    if ended_at is None:
        raise NotBuilt(
            f"最近一次 dbt 运行（{build_id}，{started_at:%Y-%m-%d %H:%M:%S} 开始）没有结束"
            "（被中断或仍在运行）",
            f"the latest dbt run ({build_id}, started {started_at:%Y-%m-%d %H:%M:%S} UTC) "
            "never finished (killed, or still running)",
        )
    if not success:
        raise NotBuilt(
            f"最近一次 dbt 运行（{build_id}）失败", f"the latest dbt run ({build_id}) failed"
        )
    if not is_full:
        raise NotBuilt(
            f"最近一次 dbt 运行（{build_id}，dbt {command}）只构建了部分模型",
            f"the latest dbt run ({build_id}, dbt {command}) built only part of the project",
        )
    read, in_effect = _read_by(con, build_id), _in_effect(con)
    if read != in_effect:
        raise NotBuilt(
            f"构建 {build_id} 读取的报送文件与台账当前生效的不一致（新增 {len(in_effect - read)} "
            f"个，撤下 {len(read - in_effect)} 个）",
            f"build {build_id} read other submissions than the ledger's current ones "
            f"({len(in_effect - read)} new, {len(read - in_effect)} gone)",
        )
    return BuildRun(build_id, started_at, ended_at)
