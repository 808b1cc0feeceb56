"""The brief's fonts: installed once by `make setup`, never downloaded again, and a clear
refusal when they cannot be."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from retention.release import fonts


def no_network(*args, **kwargs):
    raise urllib.error.URLError("no network in this test")


def test_installed_fonts_are_not_downloaded_again(monkeypatch) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert fonts.install() == fonts.fonts_dir()  # make setup installed them
    assert sorted(fonts.installed()) == sorted(face.role for face in fonts.FACES)


def test_without_the_fonts_or_a_network_setup_says_what_to_do(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RETENTION_FONTS", str(tmp_path / "fonts"))
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(fonts.FontsMissing, match="make setup"):
        fonts.installed()  # what a release meets
    with pytest.raises(fonts.FontsMissing, match="联网后重新运行 make setup"):
        fonts.install()


def test_a_face_cut_short_since_setup_is_refused_with_the_way_out(
    monkeypatch, tmp_path: Path
) -> None:
    """A copy cut short, or setup killed by a full disk: the release says run make setup,
    not a traceback from deep inside WeasyPrint."""
    copy = tmp_path / "fonts"
    shutil.copytree(fonts.fonts_dir(), copy)
    monkeypatch.setenv("RETENTION_FONTS", str(copy))
    assert fonts.installed()
    body = copy / fonts.FACES[0].file
    body.write_bytes(body.read_bytes()[:4096])
    with pytest.raises(fonts.FontsMissing, match="已损坏.*make setup"):
        fonts.installed()
