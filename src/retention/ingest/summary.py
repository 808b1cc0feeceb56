"""How an ingest run reads on a terminal: a progress bar while it runs, a table after."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from retention.ingest.loader import FileResult
from retention.printable import printable

STATUS_STYLE = {"loaded": "green", "refused": "bold red", "duplicate": "yellow"}


@contextlib.contextmanager
def progress_bar(landing: Path, enabled: bool) -> Iterator[Callable[[Path, int], None] | None]:
    """Advance by bytes: one large file is most of a run's time."""
    if not enabled:
        yield None
        return
    total = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("ingest", total=total)
        previous = {"size": 0}

        def on_file(path: Path, size: int) -> None:
            progress.update(task, advance=previous["size"], description=path.name)
            previous["size"] = size

        yield on_file


def _plain(text: str, style: str = "") -> Text:
    """Text from the landing folder (a file name, a header quoted in a refusal) shown as it
    is: `[red]` is not Rich markup, and a control character is shown as its escape."""
    return Text(printable(text), style=style)


def print_table(results: list[FileResult]) -> None:
    table = Table(title="Ingest summary / 入库情况")
    for heading in ("file", "feed", "quarter", "v", "status", "loaded", "rejected", "reason"):
        table.add_column(heading, justify="right" if heading in {"loaded", "rejected"} else "left")
    for r in results:
        rejected = ", ".join(f"{k} {v}" for k, v in r.rejected_by_reason.items())
        table.add_row(
            _plain(r.file),
            r.feed or "",
            r.quarter or "",
            str(r.version or ""),
            f"[{STATUS_STYLE.get(r.status, 'dim')}]{r.status}[/]",
            str(r.rows_loaded),
            str(r.rows_rejected),
            r.reason or rejected,
        )
    console = Console(width=None if Console().is_terminal else 160)
    console.print(table)
    loaded = sum(r.status == "loaded" for r in results)
    refused = [r for r in results if r.status == "refused"]
    console.print(
        f"{len(results)} files: {loaded} loaded, {len(refused)} refused, "
        f"{sum(r.rows_loaded for r in results)} rows loaded, "
        f"{sum(r.rows_rejected for r in results)} rows rejected"
    )
    for r in refused:
        console.print(Text.assemble(_plain(r.file, "red"), ": ", _plain(r.message)))
