"""The gate's Data Docs: GX's HTML site, made safe to open and readable offline.

Two things GX does not do for us. It writes the values it found in the data (unexpected values,
the rows that hold them, observed values) into its pages as raw HTML, so a department's
`<script>` in an ID would run in the reader's browser: every string of a result is escaped
before GX renders it. And its pages load Bootstrap, jQuery, Font Awesome and more from CDNs and
its logo from GX's web site, which an intranet does not reach: the pages are pointed at the same
libraries copied from installed packages (xstatic-*), and what no package ships is left out —
the index is drawn as plain tables instead of with bootstrap-table, and the gate draws no charts
(vega) nor date filters (bootstrap-datepicker).
"""

from __future__ import annotations

import copy
import html
import importlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

from great_expectations.render import RenderedStringTemplateContent, RenderedTableContent
from great_expectations.render.renderer import SiteIndexPageRenderer, ValidationResultsPageRenderer

SITE_NAME = "local_site"
SITE_FOLDER = "uncommitted/data_docs/local_site"


def site_config(root: Path) -> dict:
    """The site, in GX's folder `root`."""
    return {
        "class_name": "SiteBuilder",
        # GX's how-to buttons and newsletter footer link to its web site: no use on an intranet
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "root_directory": str(root),
            "base_directory": f"{SITE_FOLDER}/",
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "renderer": {"module_name": __name__, "class_name": "StaticSiteIndexPageRenderer"},
        },
        "site_section_builders": {
            "validations": {
                "renderer": {
                    "module_name": __name__,
                    "class_name": "EscapedValidationResultsPageRenderer",
                }
            }
        },
    }


# The CDN files GX's pages load that an installed package ships: (xstatic package, file).
# great-expectations is pinned, and so are these addresses; jQuery comes before Bootstrap in
# its pages, and Bootstrap's bundle carries Popper, so Popper's own address is left out.
VENDORED = {
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery", "jquery.min.js"),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap",
        "js/bootstrap.bundle.min.js",
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap",
        "css/bootstrap.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "font_awesome",
        "css/all.min.css",
    ),
}
# Files a vendored file needs beside it (Font Awesome's stylesheet loads ../webfonts/).
COMPANIONS = {"font_awesome": ["webfonts", "LICENSE.txt"]}
# GX's logo, from its web site (with the context's id as a query), or in dark mode another
# logo GX does not ship: both become the logo GX copies into static/images.
GX_WEB_ASSETS = re.compile(r"https://great-expectations-web-assets\.s3[^\"')]*")
LOCAL_LOGO = "static/images/logo-long.png"

_EXTERNAL = r"https?://[^\"']*"
_SCRIPT = re.compile(rf"<script\b[^>]*\bsrc=[\"'](?P<url>{_EXTERNAL})[\"'][^>]*>\s*</script>")
_STYLESHEET = re.compile(rf"<link\b[^>]*\bhref=[\"'](?P<url>{_EXTERNAL})[\"'][^>]*>")
_LINK = re.compile(rf"(<a\b[^>]*?)\s+href=[\"']{_EXTERNAL}[\"']")
# The site's own static files, addressed from a page: GX's address of the favicon from a
# validation page is one folder short.
_STATIC = re.compile(r"(?<=[\"'(])(?:\./|(?:\.\./)+)static/")


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(item) for item in value]
    return value


class EscapedValidationResultsPageRenderer(ValidationResultsPageRenderer):
    """GX's validation page, from results whose every string is HTML-escaped: what the data
    holds is shown as text, never read as markup."""

    def render(self, validation_results):
        escaped = copy.deepcopy(validation_results)
        for result in escaped.results:
            result.result = _escaped(result.result)
            result.exception_info = _escaped(result.exception_info)
        return super().render(escaped)


def _link(text: str, path: str) -> RenderedStringTemplateContent:
    return RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={
            "template": "$text",
            "params": {"text": text},
            "tag": "a",
            "styling": {"attributes": {"href": path}},
        },
    )


def _table(header: list[str], rows: list[list]) -> RenderedTableContent:
    return RenderedTableContent(
        content_block_type="table",
        header_row=header,
        table=rows,
        styling={"classes": ["col-12"], "body": {"classes": ["table", "table-sm"]}},
    )


class StaticSiteIndexPageRenderer(SiteIndexPageRenderer):
    """GX's index with its tables written out in the page (GX fills them in the browser with
    bootstrap-table, which no installed package ships): newest result first."""

    @classmethod
    def _generate_validation_results_link_table(cls, index_links_dict):
        links = sorted(
            index_links_dict.get("validations_links", []),
            key=lambda link: cls._get_timestamp(link.get("run_time")),
            reverse=True,
        )
        rows = [
            [
                cls._render_validation_success_cell(link.get("validation_success")),
                cls._get_formatted_datetime(link.get("run_time")),
                _link(link["expectation_suite_name"], link["filepath"]),
            ]
            for link in links
        ]
        return _table(["Status", "Run time", "Check"], rows)

    @classmethod
    def _generate_expectation_suites_link_table(cls, index_links_dict):
        links = sorted(
            index_links_dict.get("expectations_links", []),
            key=lambda link: link["expectation_suite_name"],
        )
        rows = [[_link(link["expectation_suite_name"], link["filepath"])] for link in links]
        return _table(["Expectation suite"], rows)


def _vendor(site: Path) -> None:
    """Copy the vendored files into the site's static/vendor/<package>/."""
    for package, name in sorted(set(VENDORED.values())):
        source = Path(importlib.import_module(f"xstatic.pkg.{package}").BASE_DIR)
        for part in [name, *COMPANIONS.get(package, [])]:
            target = site / "static" / "vendor" / package / part
            target.parent.mkdir(parents=True, exist_ok=True)
            if (source / part).is_dir():
                shutil.copytree(source / part, target, dirs_exist_ok=True)
            else:
                shutil.copyfile(source / part, target)


def _local(tag: str, root: str):
    """Replace a CDN element by `tag` addressing the local copy, or by nothing. The element is
    written anew: the CDN's integrity hash and crossorigin would make the browser refuse the
    local file."""

    def replace(match: re.Match) -> str:
        vendored = VENDORED.get(match["url"])
        if vendored is None:
            return ""
        package, name = vendored
        return tag.format(f"{root}/static/vendor/{package}/{name}")

    return replace


def _offline_page(text: str, root: str) -> str:
    """A page of the site with every address outside it replaced by a local copy, or left out
    where there is none (links to GX's web site keep their text). `root` is the site's folder
    relative to the page."""
    text = _SCRIPT.sub(_local('<script src="{}"></script>', root), text)
    text = _STYLESHEET.sub(_local('<link rel="stylesheet" href="{}">', root), text)
    text = GX_WEB_ASSETS.sub(f"{root}/{LOCAL_LOGO}", text)
    text = _STATIC.sub(f"{root}/static/", text)
    return _LINK.sub(r"\1", text)


def build_data_docs(context, gx_folder: Path, run_name: str, suites: list[str]) -> Path | None:
    """Add this run's pages to the site (its results and the suites it ran, as they are now)
    and rebuild its index of every stored result; return the index page. Earlier runs' pages
    were written by their own runs: rendering every stored result again made each gate run
    slower than the last."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    results = [
        key
        for key in context.validation_results_store.list_keys()
        if key.run_id.run_name == run_name
    ]
    suite_ids = [ExpectationSuiteIdentifier(name=suite) for suite in suites]
    context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=results + suite_ids)
    site = gx_folder / SITE_FOLDER
    if not (site / "index.html").exists():
        return None
    _vendor(site)
    # the pages GX wrote now: earlier runs' pages were made offline by their own runs
    written = [
        site / "index.html",
        *site.glob("expectations/**/*.html"),
        *site.glob(f"validations/**/{run_name}/**/*.html"),
    ]
    for page in written:
        root = Path(os.path.relpath(site, page.parent)).as_posix()
        page.write_text(_offline_page(page.read_text(encoding="utf-8"), root), encoding="utf-8")
    return site / "index.html"
