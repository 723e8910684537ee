"""The single-face CJK font file pyHanko needs for visible signature stamps.

pyHanko embeds a stamp's font from one OpenType file and refuses a collection (.ttc); Debian's
fonts-noto-cjk ships Noto Sans CJK as collections (shared/design/DOCUMENTS.md "Signing"). So the
Simplified Chinese regular face is copied out of the collection with fontTools, once: the file is
cached on disk (named after the source file's identity, written atomically so concurrent workers
never see half a font) and its path is cached in the process.

Copying the face is cheap: fontTools writes tables it never decompiled byte for byte.

`subset_for_text` cuts that face down to the characters of one stamp with HarfBuzz's subsetter,
so pyHanko never parses or subsets the whole face (see its docstring for the figures).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, Final

import uharfbuzz as hb
from fontTools.ttLib import TTCollection, TTFont, TTLibError

DEFAULT_FAMILY: Final = "Noto Sans CJK SC"
DEFAULT_STYLE: Final = "Regular"
# Where Debian 12's fonts-noto-cjk puts the collection, used when fc-match is missing or
# answers with a substitute font.
FALLBACK_FILE: Final = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

_cache: dict[tuple[str, str, str], Path] = {}
_lock = threading.Lock()


class FontMissing(RuntimeError):
    """The CJK font for signature stamps is not installed (or not readable)."""


class GlyphMissing(FontMissing):
    """The stamp font has no glyph for some of the stamp's text: it would print an empty box."""

    def __init__(self, text: str, font: Path) -> None:
        points = ", ".join(f"U+{ord(char):04X}" for char in text)
        super().__init__(f"the stamp font {font} cannot draw {text!r} ({points})")
        self.text = text


def default_cache_dir() -> Path:
    """A per-user directory under the system temporary directory."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"consult-fonts-{uid}"


def stamp_font_path(
    cache_dir: Path | None = None,
    *,
    family: str = DEFAULT_FAMILY,
    style: str = DEFAULT_STYLE,
) -> Path:
    """The path of a single-face OpenType file of `family` `style`, extracting it if needed.

    Raises FontMissing, with what to install, when no such face can be found.
    """
    directory = (cache_dir or default_cache_dir()).resolve()
    key = (str(directory), family, style)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.is_file():
            return cached
        path = _extract(directory, family, style)
        _cache[key] = path
        return path


def _candidates(family: str, style: str) -> list[Path]:
    found: list[Path] = []
    fc_match = shutil.which("fc-match")
    if fc_match is not None:
        try:
            # A fixed program with our own pattern: no untrusted input reaches the command line.
            answer = subprocess.run(  # noqa: S603
                [fc_match, "-f", "%{file}", f"{family}:style={style}"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            if answer.returncode == 0 and answer.stdout.strip():
                found.append(Path(answer.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    if family == DEFAULT_FAMILY and style == DEFAULT_STYLE and FALLBACK_FILE not in found:
        found.append(FALLBACK_FILE)
    return found


def _names(font: TTFont) -> tuple[str | None, str | None, str | None, str | None]:
    table = font["name"]
    return (
        table.getDebugName(1),
        table.getDebugName(2),
        table.getDebugName(16),
        table.getDebugName(17),
    )


def _matches(font: TTFont, family: str, style: str) -> bool:
    legacy_family, legacy_style, typo_family, typo_style = _names(font)
    return (legacy_family == family and legacy_style == style) or (
        typo_family == family and (typo_style or legacy_style) == style
    )


def _extract(directory: Path, family: str, style: str) -> Path:
    for source in _candidates(family, style):
        if not source.is_file():
            continue
        try:
            with source.open("rb") as fh:
                is_collection = fh.read(4) == b"ttcf"
            if not is_collection:
                with TTFont(str(source), lazy=True) as single:
                    if _matches(single, family, style):
                        return source  # already a single face: use it where it is
                continue
            collection = TTCollection(str(source), lazy=True)
            try:
                for index, face in enumerate(collection.fonts):
                    if _matches(face, family, style):
                        return _write_face(source, index, face, directory, family, style)
            finally:
                collection.close()
        except (OSError, TTLibError) as exc:
            raise FontMissing(f"cannot read the font file {source}: {exc}") from exc
    raise FontMissing(
        f"the font '{family} {style}' for signature stamps is not installed "
        "(Debian/Ubuntu: apt-get install fonts-noto-cjk)"
    )


def _write_face(
    source: Path, index: int, face: TTFont, directory: Path, family: str, style: str
) -> Path:
    stat = source.stat()
    # The cached file is named after the source's identity, so an upgraded font package makes a
    # new file instead of serving a stale face.
    identity = f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{index}".encode()
    digest = hashlib.sha256(identity).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9]+", "", f"{family}{style}")
    target = directory / f"{slug}-{digest}.otf"
    if target.is_file() and target.stat().st_size > 0:
        return target  # another process (or an earlier run) made it
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".font-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                face.save(out)
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise FontMissing(f"cannot write the stamp font to {directory}: {exc}") from exc
    return target


# ------------------------------------------------------------------ one stamp's subset


@functools.lru_cache(maxsize=4)
def _hb_face(path: str, _size: int, _mtime_ns: int) -> Any:
    # Keyed on size and mtime too, so a replaced file is read again. A HarfBuzz face is
    # immutable once made and safe to share between threads; subsetting only reads it.
    return hb.Face(hb.Blob(Path(path).read_bytes()))


def subset_for_text(font: Path, text: str) -> bytes:
    """An OpenType font with only the glyphs `text` needs, cut from the single face `font`.

    Why: pyHanko (GlyphAccumulator) parses the font it is given with fontTools and subsets it
    for every stamp. Given the 16 MB Noto Sans CJK face (65,535 glyphs) that took ~1.1 s per
    signature on the 2-core machine, nearly all of it fontTools decompiling the cmap, the CFF
    charset and the GSUB/GPOS tables of the whole face. HarfBuzz's subsetter (the one
    WeasyPrint uses for the document's text) makes this subset in ~7 ms from a face parsed once
    per process, and pyHanko then parses and subsets a font of a few kilobytes.

    What the stamp embeds does not change: HarfBuzz keeps the CID-keyed CFF outlines with the
    face's Adobe-Identity-0 ordering and the original CIDs, the name table (so the PostScript
    name NotoSansCJKsc-Regular) and the layout tables closed over the kept glyphs, so shaping
    picks the same glyphs as on the whole face; pyHanko still writes its own subset of this
    font with a ToUnicode map. Line breaks are not drawn and so not looked up.

    Raises GlyphMissing when the face has no glyph for a character of `text` (the stamp would
    show an empty box, and a signature's stamp is part of a legal record), FontMissing when the
    file cannot be read.
    """
    try:
        stat = font.stat()
        face = _hb_face(str(font), stat.st_size, stat.st_mtime_ns)
    except OSError as exc:
        raise FontMissing(f"cannot read the stamp font {font}: {exc}") from exc
    wanted = {ord(char) for char in text if char not in "\r\n"}
    request = hb.SubsetInput()
    request.sets(hb.SubsetInputSets.UNICODE).update(wanted)
    subset = hb.subset(face, request)
    if subset is None:  # HarfBuzz answers None when the face is not a font it can subset
        raise FontMissing(f"HarfBuzz cannot subset the stamp font {font}")
    # The subset's cmap maps exactly the wanted characters the face has glyphs for.
    missing = wanted - set(subset.unicodes)
    if missing:
        raise GlyphMissing("".join(chr(point) for point in sorted(missing)), font)
    return bytes(subset.blob.data)
