"""Text from department files reaches no output as a formula, markup or a link: the workbook
writes it as text, the brief and Data Docs escape it, the pack names regions by the reference,
and a delivered name that disagrees with the reference stops the quarter at the gate."""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import markupsafe
import openpyxl
import pytest
from conftest import query, resend_without, retention_cli
from pypdf import PdfReader

from retention.build import build
from retention.gate.runner import run_gate
from retention.ingest.loader import ingest
from retention.paths import SAMPLE_LANDING
from retention.release.brief import render_html, write_brief
from retention.release.kpis_files import write_kpis_csv
from retention.release.pack import make_release
from retention.release.pack_data import ReleaseRefused, read_pack_data
from retention.release.workbook import write_workbook

QUARTER = "2023Q4"
NOW = dt.datetime(2024, 1, 21, 2, 0, tzinfo=dt.UTC)
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-1+1", "@SUM(A1)"]
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
PAYLOADS = FORMULAS + MARKUP
NAME_CHECK = "reference.district_names_match_reference"
NAME_CHECK_PAGES = "validations/reference/district_names_match_reference/"  # GX: dots to folders


@pytest.fixture(scope="module")
def hostile(built: Path, tmp_path_factory):
    """The sample with a 2023Q4 district_intake v2 whose first six region names are the
    payloads, ingested, built and gated."""
    root = tmp_path_factory.mktemp("hostile")
    state = root / "state"
    shutil.copytree(built, state)
    (source,) = SAMPLE_LANDING.glob(f"hrss/district_intake_{QUARTER}.*")
    target = root / "landing" / f"hrss/district_intake_{QUARTER}_v2.csv"

    def rename(i: int, row: list[str], header: list[str]) -> list[str]:
        if i < len(PAYLOADS):
            row[header.index("区划名称")] = PAYLOADS[i]
        return row

    resend_without(source, target, {"区划代码"}, rename)
    ingest(root / "landing", state)
    build(state)
    return state, run_gate(state, QUARTER)


def reference_names(state: Path) -> dict[str, str]:
    return dict(query(state, "select region_code, region_name from reference.ningbo_divisions"))


def test_a_delivered_region_name_that_disagrees_with_the_reference_blocks_the_quarter(
    hostile, tmp_path: Path
) -> None:
    state, run = hostile
    names = reference_names(state)
    delivered = dict(
        query(
            state,
            "select region_code, region_name from raw.district_intake "
            "where quarter = ? order by line_number",
            [QUARTER],
        )
    )
    failed = [o for o in run.blocking_failures if o.check.id == NAME_CHECK]

    assert not run.passed and len(failed) == 1
    (finding,) = failed
    assert finding.observed.startswith(f"{len(PAYLOADS)} of 10 rows unexpected")
    code = next(code for code, name in delivered.items() if name == PAYLOADS[0])
    (example,) = [e for e in finding.observed.split("; ") if f"code={code}" in e]
    assert f"delivered_name={PAYLOADS[0]}" in example
    assert f"reference_name={names[code]}" in example
    assert "district_intake" in finding.check.en and "区县" in finding.check.zh
    with pytest.raises(ReleaseRefused, match=re.escape(NAME_CHECK)):
        make_release(state, QUARTER, tmp_path / "releases", now=NOW)


def test_the_pack_names_each_region_by_the_reference_not_as_delivered(hostile) -> None:
    """The workbook's ranking and the brief's chart read their names from this mart."""
    state, _ = hostile
    shown = dict(
        query(
            state,
            "select region_code, region_name from marts.fct_district_intake_snapshots "
            "where quarter = ?",
            [QUARTER],
        )
    )
    assert shown == reference_names(state)


class Addresses(HTMLParser):
    """Every src and href of a page, and the text of its <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs) -> None:
        self.addresses += [v for k, v in attrs if k in ("src", "href") and v]
        self._in_style = tag == "style"

    def handle_endtag(self, tag) -> None:
        self._in_style = False

    def handle_data(self, data) -> None:
        if self._in_style:
            self.styles.append(data)


def test_data_docs_show_delivered_text_escaped_and_load_nothing_from_outside(hostile) -> None:
    _, run = hostile
    site = run.data_docs.parent
    pages = {page: page.read_text(encoding="utf-8") for page in site.rglob("*.html")}
    (finding,) = [text for page, text in pages.items() if NAME_CHECK_PAGES in page.as_posix()]

    for payload in PAYLOADS:
        assert html.escape(payload) in finding
    for text in pages.values():
        assert "<script>alert(1)" not in text and "<img src=x" not in text

    outside = re.compile(r"url\(\s*['\"]?https?:")
    for page, text in pages.items():
        parser = Addresses()
        parser.feed(text)
        for address in parser.addresses:
            parts = urlsplit(address)
            assert not parts.scheme and not parts.netloc, f"{page.name}: {address}"
            if parts.path:
                local = page.parent / parts.path
                assert local.exists(), f"{page.name}: {address}"
                if local.suffix == ".css":
                    assert not outside.search(local.read_text(encoding="utf-8")), address
        assert not [style for style in parser.styles if outside.search(style)], page.name

    # A CDN's integrity hash or crossorigin on a local copy makes the browser refuse it.
    assert not [page for page, text in pages.items() if re.search(r"integrity=|crossorigin=", text)]
    # Without bootstrap-table the index still lists the results, as links written in the page.
    index = pages[run.data_docs]
    assert re.search(rf'href="{NAME_CHECK_PAGES}[^"]+\.html"', index)
    assert "static/vendor/bootstrap/css/bootstrap.min.css" in index


def with_payloads(data):
    """The pack's data with every text that can come from a department file replaced by a
    payload: names and values of the breakdowns, the check findings (which quote IDs and
    values). One check is made to fail, so that the brief lists its finding."""
    texts = PAYLOADS + ["https://example.invalid/x"]
    rows = [
        *[(d, "region_name") for d in data.districts],
        *[(b, "breakdown_value") for b in data.breakdowns],
        *[(t, "town_name") for t in data.towns],
        *[(s, "subsidy_item") for s in data.subsidy_items],
        *[(c, "observed_value") for c in data.checks],
    ]
    for i, (row, column) in enumerate(rows):
        row[column] = texts[i % len(texts)]
    # a warning (a blocking failure would have stopped the release) quoting the data
    data.checks[0].update(severity="warning", success=False, observed_value=" ".join(PAYLOADS))
    return data, texts


def test_the_workbook_writes_text_from_data_as_text(gated: Path, tmp_path: Path) -> None:
    data, texts = with_payloads(read_pack_data(gated, QUARTER, NOW))
    data.kpis["release"]["version"] = 1

    book = openpyxl.load_workbook(write_workbook(data, tmp_path / "pack.xlsx"))

    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.coordinate for c in cells if c.hyperlink]
    for text in texts:
        assert {c.data_type for c in cells if c.value == text} == {"s"}, text


def test_the_brief_prints_text_from_data_as_text(gated: Path, tmp_path: Path) -> None:
    data, _ = with_payloads(read_pack_data(gated, QUARTER, NOW))
    data.kpis["release"]["version"] = 1

    page = render_html(data)
    pdf = write_brief(data, tmp_path / "brief.pdf")

    assert "<script>alert(1)" not in page and "<img src=x" not in page
    for payload in PAYLOADS:
        assert str(markupsafe.escape(payload)) in page
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(pdf).pages)
    for payload in PAYLOADS:  # the town table prints them, as text
        assert "".join(payload.split()) in text, payload


def test_kpis_csv_holds_numbers_and_catalogue_text_only(gated: Path, tmp_path: Path) -> None:
    """kpis.csv is for programs, so it is written as it is (no quote to keep Excel from reading
    a formula): its text is the catalogue's and the reference's, none that Excel would run."""
    document = read_pack_data(gated, QUARTER, NOW).kpis
    path = write_kpis_csv(document, tmp_path / "kpis.csv")

    with path.open(encoding="utf-8-sig", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]

    def number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@") and not number(c)]


def test_control_characters_in_data_reach_no_terminal_or_log(built: Path, tmp_path: Path) -> None:
    """`retention validate` prints the findings, which quote delivered values; so do the
    Airflow log and the failure notification. An escape sequence in a region name would set
    the title of, or clear, the terminal that shows it."""
    state = tmp_path / "state"
    shutil.copytree(built, state)
    (source,) = SAMPLE_LANDING.glob(f"hrss/district_intake_{QUARTER}.*")
    target = tmp_path / "landing" / f"hrss/district_intake_{QUARTER}_v2.csv"
    named = "\x1b]0;pwned\x07\x1b[2J"

    def rename(i: int, row: list[str], header: list[str]) -> list[str]:
        if i == 0:
            row[header.index("区划名称")] = named
        return row

    resend_without(source, target, {"区划代码"}, rename)
    ingest(tmp_path / "landing", state)
    build(state)

    validate = retention_cli("validate", "--quarter", QUARTER, "--state", str(state))

    assert validate.returncode == 1
    (finding,) = [line for line in validate.stdout.splitlines() if NAME_CHECK in line]
    assert "delivered_name=\\x1b]0;pwned\\x07\\x1b[2J, " in finding
    assert "\x1b" not in validate.stdout and "\x07" not in validate.stdout
