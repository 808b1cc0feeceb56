"""The brief's typefaces, in the roles GB/T 9704-2012 gives them, and their installation.

GB/T 9704 sets the body in 仿宋, the title in 小标宋, first-level headings in 黑体 and
second-level ones in 楷体. None of those faces is free; these are the nearest free ones in
the package registries: Noto Serif CJK SC for the body (Regular) and the title (Bold), Noto
Sans CJK SC for 黑体 (its PyPI package, a dependency) and AR PL UKai CN for 楷体 (Debian's
fonts-arphic-ukai). No free 仿宋 is packaged anywhere we can install from.

`make setup` runs `python -m retention.release.fonts`: it downloads the two Debian packages
(pinned by SHA-256), takes the font collections out of them with the standard library (a .deb
is an `ar` archive holding data.tar.xz) and writes each role's face trimmed to the characters
of GB 2312 (6763 汉字, punctuation, Latin). WeasyPrint keeps every glyph up to the last one a
PDF uses when it embeds a face, and works through each: a trimmed face of 7 700 glyphs embeds
in a fraction of the time of the 65 000 of a whole CJK face. A character outside GB 2312 falls
back to the whole Noto Sans CJK, so none goes missing. Once written, nothing is downloaded
again."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import lzma
import os
import sys
import tarfile
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from retention.errors import ExpectedError


@dataclass(frozen=True)
class Package:
    url: str
    sha256: str


NOTO_CJK = Package(
    "https://deb.debian.org/debian/pool/main/f/fonts-noto-cjk/"
    "fonts-noto-cjk_20220127+repack1-1_all.deb",
    "4a2515eb6db3978b897fef9709ed0d2b1f4c6c4df4d83d6c4ef65f71f1b1f502",
)
ARPHIC_UKAI = Package(
    "https://deb.debian.org/debian/pool/main/f/fonts-arphic-ukai/"
    "fonts-arphic-ukai_0.2.20080216.2-5_all.deb",
    "b9db73184895b067f7911f9adbf3b137df99c2d4ec5425b4ad779a9834b7110b",
)


@dataclass(frozen=True)
class Face:
    role: str  # the family name the brief's stylesheet uses
    file: str  # the trimmed face, in fonts_dir()
    collection: str  # the font collection's path in its package
    name: str  # the face's full name in the collection
    package: Package | None  # None: the noto-cjk-sans-otc wheel, installed with the project


FACES = (
    Face(
        "仿宋",
        "body.otf",
        "usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "Noto Serif CJK SC",
        NOTO_CJK,
    ),
    Face(
        "小标宋",
        "title.otf",
        "usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
        "Noto Serif CJK SC Bold",
        NOTO_CJK,
    ),
    Face("黑体", "heading.otf", "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", None),
    Face(
        "楷体", "kai.ttf", "usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai CN", ARPHIC_UKAI
    ),
)


# Raised when _repertoire or _trim change what they write, so that setup writes the faces again.
TRIMMING = 1


class FontsMissing(ExpectedError):
    pass


def fonts_dir() -> Path:
    """RETENTION_FONTS (the deployment image sets it), else inside the Python environment."""
    configured = os.environ.get("RETENTION_FONTS")
    return Path(configured) if configured else Path(sys.prefix) / "share" / "fonts" / "retention"


def whole_sans() -> Path:
    """The whole Noto Sans CJK: the fallback for characters outside the trimmed faces, and the
    charts' face."""
    import noto_cjk_sans_otc

    return Path(noto_cjk_sans_otc.__file__).parent / "NotoSansCJK-Regular.ttc"


def _stamp(folder: Path) -> str:
    """What the installed faces were made from, and each face file's SHA-256: a change to the
    first installs them again; a face file since truncated or replaced (a full disk during
    setup, a copy cut short) is found before WeasyPrint chokes on it."""
    made_from = {
        "faces": [asdict(face) for face in FACES],
        "trimming": TRIMMING,
        "files": {
            face.file: hashlib.sha256((folder / face.file).read_bytes()).hexdigest()
            if (folder / face.file).is_file()
            else None
            for face in FACES
        },
    }
    return json.dumps(made_from, ensure_ascii=False, sort_keys=True)


def installed() -> dict[str, Path]:
    """Each role's face file; refused with the way out when `make setup` has not written them,
    or one of them is no longer what it wrote."""
    folder = fonts_dir()
    stamp = folder / "installed.json"
    if not stamp.is_file() or stamp.read_text(encoding="utf-8") != _stamp(folder):
        raise FontsMissing(
            f"简报所用字体未安装、已过期或已损坏（{folder}），请运行 make setup / the brief's "
            f"fonts are not installed, out of date or damaged in {folder}: run `make setup` "
            "(or `python -m "
            "retention.release.fonts`)"
        )
    return {face.role: folder / face.file for face in FACES}


def _download(package: Package) -> bytes:
    try:
        with urllib.request.urlopen(package.url, timeout=60) as response:
            content = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise FontsMissing(
            f"无法下载简报字体（{package.url}：{error}），请联网后重新运行 make setup / cannot "
            f"download the brief's fonts from {package.url} ({error}): connect to the network "
            "and run `make setup` again"
        ) from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != package.sha256:
        raise FontsMissing(
            f"下载的字体包与登记的 SHA-256 不符（{package.url}），未安装 / the font package "
            f"downloaded from {package.url} has SHA-256 {digest}, not the pinned "
            f"{package.sha256}: nothing installed"
        )
    return content


def _data_tar(deb: bytes) -> tarfile.TarFile:
    """The data.tar.xz member of a .deb (an `ar` archive: a magic line, then for each member a
    60-byte header whose bytes 48-58 give its size, the member, and padding to an even size)."""
    if not deb.startswith(b"!<arch>\n"):
        raise ValueError("not a Debian package")
    offset = 8
    while offset < len(deb):
        header = deb[offset : offset + 60]
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        if name == "data.tar.xz":
            member = deb[offset + 60 : offset + 60 + size]
            return tarfile.open(fileobj=io.BytesIO(lzma.decompress(member)))
        offset += 60 + size + size % 2
    raise ValueError("no data.tar.xz in the Debian package")


def _repertoire() -> set[int]:
    """Every character of GB 2312, with ASCII, general punctuation, CJK symbols and the
    fullwidth forms (the brief's own characters all come from these)."""
    chars = {cp for cp in range(0x80, 0x10000) if _in_gb2312(chr(cp))}
    for start, end in ((0x20, 0x7F), (0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        chars.update(range(start, end))
    return chars


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _trim(collection: bytes, name: str, target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # it names each table it drops

    faces = TTCollection(io.BytesIO(collection)).fonts
    (font,) = [f for f in faces if f["name"].getDebugName(4) == name]
    # Pango shapes CJK text without layout features; hints are dropped in the PDF anyway
    options = subset.Options(
        hinting=False,
        desubroutinize=True,
        layout_features=[],
        name_IDs=["*"],
        name_languages=["*"],
        notdef_outline=True,
    )
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_repertoire())
    subsetter.subset(font)
    partial = target.with_suffix(".partial")
    font.save(str(partial))
    partial.replace(target)


def install() -> Path:
    """Write each role's face into fonts_dir(), unless the faces there are already these."""
    folder = fonts_dir()
    try:
        installed()
        return folder
    except FontsMissing:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    packages: dict[str, tarfile.TarFile] = {}
    for face in FACES:
        if face.package is None:
            collection = whole_sans().read_bytes()
        else:
            if face.package.url not in packages:
                print(f"downloading {face.package.url}", flush=True)
                packages[face.package.url] = _data_tar(_download(face.package))
            member = packages[face.package.url].extractfile(f"./{face.collection}")
            collection = member.read()
        print(f"writing {face.role}: {face.name} -> {folder / face.file}", flush=True)
        _trim(collection, face.name, folder / face.file)
    (folder / "installed.json").write_text(_stamp(folder), encoding="utf-8")
    return folder


if __name__ == "__main__":
    try:
        print(f"the brief's fonts: {install()}")
    except FontsMissing as error:
        sys.exit(str(error))
