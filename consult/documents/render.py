"""HTML to PDF/A-3b with WeasyPrint, as a pure function: HTML in, bytes and signature boxes out.

Why it is shaped this way (shared/design/DOCUMENTS.md):
- PDF/A-3b, so the signed minutes stay readable and self-contained for decades.
- Only the Noto Sans CJK faces (regular and bold), chosen by fontconfig family name and subset
  with libharfbuzz-subset; a character no installed font can draw is an error, never an empty box
  in a legal record.
- Templates carry user text, so the only resources WeasyPrint may load are data: URIs the
  templates embed themselves (the QR code); every other URL refuses the whole render.
- The signature fields pyHanko creates later are placed from the layout itself: every element
  whose id starts with ``sig-`` is reported as a box in PDF points.
No Flask and no database here, so rendering can move to a background worker unchanged.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import pydyf
import segno
from weasyprint import CSS, HTML
from weasyprint.logger import LOGGER as WEASYPRINT_LOGGER
from weasyprint.text import ffi as weasyprint_ffi
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

__all__ = [
    "PDF_VARIANT",
    "PX_TO_PT",
    "SIGNATURE_ID_PREFIX",
    "MissingGlyph",
    "RenderError",
    "RenderedPdf",
    "SafeURLFetcher",
    "SignatureBox",
    "UnsafeResource",
    "cjk_family",
    "qr_svg_data_uri",
    "render_pdf",
    "safe_fetcher",
]

PDF_VARIANT: Final = "pdf/a-3b"
# CSS has 96 px to the inch, PDF 72 points: WeasyPrint lays out in px and writes points.
PX_TO_PT: Final = 0.75
# Elements with such an id are where the signature stamps go (templates/pdf/minutes.html).
SIGNATURE_ID_PREFIX: Final = "sig-"

# The one message WeasyPrint 70 logs for a character no font could draw (draw/text.py); its
# arguments are the character and its code point.
_NOTDEF_MESSAGE: Final = ".notdef glyph rendered"


class RenderError(Exception):
    """WeasyPrint could not produce the document exactly as written."""


class UnsafeResource(RenderError, ValueError):
    """The document referred to a resource other than an embedded data: URI."""

    def __init__(self, url: str) -> None:
        super().__init__(f"refused to load {url!r}: PDF documents may only embed data: URIs")
        self.url = url


class MissingGlyph(RenderError):
    """No installed font has a glyph for some of the text; the PDF would show empty boxes."""

    def __init__(self, text: str) -> None:
        points = ", ".join(f"U+{ord(char):04X}" for char in text)
        super().__init__(f"no installed font can draw {text!r} ({points})")
        self.text = text


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature field goes: a page (0-based) and a rectangle in PDF points.

    The origin is the bottom-left corner of the page, as pyHanko expects for a field's box;
    (x1, y1) is the lower-left corner and (x2, y2) the upper-right one.
    """

    page: int
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The rectangle in the (x1, y1, x2, y2) order of pyHanko's ``SigFieldSpec.box``."""
        return (self.x1, self.y1, self.x2, self.y2)


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF/A-3b document: its bytes, page count and signature boxes by element id."""

    pdf: bytes
    pages: int
    anchors: Mapping[str, SignatureBox]


def cjk_family(lang: str) -> str:
    """The fontconfig family for a document language: Traditional Chinese gets the TC face.

    Everything else, English included, uses the SC face, whose Latin glyphs are good and whose
    Han glyphs follow the mainland standard the residents' committees write in.
    """
    tag = lang.lower()
    if tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
        return "Noto Sans CJK TC"
    return "Noto Sans CJK SC"


_FONT_SELECTORS: Final = "html, pre, code, kbd, samp, tt, input, textarea, select, button"


def _font_stylesheet(lang: str) -> str:
    # A user-origin stylesheet: templates need not (and should not) name a font, and it still
    # outranks WeasyPrint's own UA stylesheet, which would send <pre> and <code> to a monospace
    # font and so embed a second family.
    return f'{_FONT_SELECTORS} {{ font-family: "{cjk_family(lang)}"; }}'


def safe_fetcher(url: str) -> URLFetcherResponse:
    """Load a resource for WeasyPrint, but only an embedded ``data:`` URI.

    ``file:`` would read the server's disk and ``http(s):``/``ftp:`` would reach the network on
    behalf of whoever typed the text; any other scheme (and a relative URL, which has nothing to
    resolve against) is refused too. Raises UnsafeResource.
    """
    # urlsplit strips the leading whitespace and control characters browsers ignore and
    # lowercases the scheme, so " DATA:" and "data:" are judged the same.
    if urllib.parse.urlsplit(url).scheme != "data":
        raise UnsafeResource(url)
    # Decoded here by urllib's DataHandler alone: no opener, proxy or network handler is involved.
    request = urllib.request.Request(url.strip())  # noqa: S310 - checked above: data: only
    response = urllib.request.DataHandler().data_open(request)
    return URLFetcherResponse(url, response.read(), response.headers)


class SafeURLFetcher(URLFetcher):
    """WeasyPrint 70 wants a URLFetcher instance (not a plain function): this one is safe_fetcher.

    ``fail_on_errors`` makes WeasyPrint stop on a refused resource instead of logging it and
    leaving a hole in the document; render_pdf turns that into UnsafeResource.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        return safe_fetcher(url)


def qr_svg_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG ``data:`` URI, for the verification block of a PDF.

    Error correction M at least (segno raises it when the size allows) survives a crease or a
    stamp on paper; the four-module quiet zone is the standard's. ``omitsize`` leaves a viewBox
    only, so the template's CSS decides the printed size.
    """
    qr = segno.make(url, error="m", micro=False)
    return str(qr.svg_data_uri(border=4, omitsize=True, dark="#000", light="#fff"))


def render_pdf(html: str, *, base_url: str = "consult:/", lang: str = "zh-Hans") -> RenderedPdf:
    """Render HTML (a filled-in template) to PDF/A-3b; report the boxes of ``sig-*`` elements.

    ``lang`` chooses the CJK face (see cjk_family) and is the document's /Lang when the HTML
    root has no lang attribute. Raises UnsafeResource for any non-data: resource, MissingGlyph
    for text no font can draw, and RenderError for anything else WeasyPrint warned about: a
    document to be signed must come out exactly as the template says.
    """
    if weasyprint_ffi.harfbuzz_subset is None:
        # Without it WeasyPrint falls back to fontTools and a Chinese document takes ~20 times
        # longer (DOCUMENTS.md): a missing system package, not a condition to work around.
        raise RenderError("libharfbuzz-subset is not installed; install libharfbuzz-subset0")
    fetcher = SafeURLFetcher()
    options: dict[str, Any] = {
        "pdf_variant": PDF_VARIANT,
        "stylesheets": [CSS(string=_font_stylesheet(lang), url_fetcher=fetcher)],
    }
    with _weasyprint_warnings() as records, warnings.catch_warnings():
        # For PDF/A WeasyPrint 70 opens its sRGB profile and hands the file to Pillow, which
        # reads it and never closes it: a ResourceWarning that test suites (filterwarnings =
        # error) would raise. Nothing is leaked for long (the file object is freed at once).
        # catch_warnings is process-wide: at worst concurrent renders leave this narrow filter in.
        warnings.filterwarnings(
            "ignore", message=r"unclosed file .*sRGB2014\.icc", category=ResourceWarning
        )
        try:
            # Laid out once: the same Document gives the anchors and writes the PDF.
            document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(**options)
            pdf = document.write_pdf(finisher=_finisher(lang), **options)
        except FatalURLFetchingError as error:
            if isinstance(error.__cause__, UnsafeResource):
                raise error.__cause__ from None
            raise RenderError(str(error)) from error
    _raise_for_warnings(records)
    return RenderedPdf(
        pdf=pdf, pages=len(document.pages), anchors=MappingProxyType(_signature_boxes(document))
    )


def _finisher(lang: str) -> Callable[[Any, Any], None]:
    def finish(document: Any, pdf: Any) -> None:
        # WeasyPrint writes its name as Producer in both the Info dictionary and the XMP
        # metadata. pyHanko's signing update rewrites the Info Producer but not the XMP one,
        # and PDF/A forbids the two to differ; without an Info Producer there is nothing to
        # disagree with.
        pdf.info.pop("Producer", None)
        if "Lang" not in pdf.catalog:
            pdf.catalog["Lang"] = pydyf.String(lang)

    return finish


def _signature_boxes(document: Any) -> dict[str, SignatureBox]:
    boxes: dict[str, SignatureBox] = {}
    for index, page in enumerate(document.pages):
        # WeasyPrint 70 gives each anchor as the element's border box (x1, y1, x2, y2) in CSS
        # px from the page's top-left corner (the documentation still says a point). PDF user
        # space is in points from the bottom-left corner, so y flips with the page height.
        for name, (left, top, right, bottom) in page.anchors.items():
            if not name.startswith(SIGNATURE_ID_PREFIX) or name in boxes:
                continue  # the first occurrence wins, as for WeasyPrint's own anchors
            boxes[name] = SignatureBox(
                page=index,
                x1=left * PX_TO_PT,
                y1=(page.height - bottom) * PX_TO_PT,
                x2=right * PX_TO_PT,
                y2=(page.height - top) * PX_TO_PT,
            )
    return boxes


class _ThreadRecords(logging.Handler):
    """Collects WeasyPrint's warnings logged by one thread, so concurrent renders stay apart."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # WeasyPrint logs synchronously in the thread that renders.
        if threading.get_ident() == self.thread:
            self.records.append(record)


@contextmanager
def _weasyprint_warnings() -> Iterator[list[logging.LogRecord]]:
    if not WEASYPRINT_LOGGER.isEnabledFor(logging.WARNING):
        # A silenced logger would hide missing glyphs; these warnings are part of the contract.
        WEASYPRINT_LOGGER.setLevel(logging.WARNING)
        if not WEASYPRINT_LOGGER.isEnabledFor(logging.WARNING):  # logging.disable() is global
            raise RenderError("WeasyPrint's warnings are disabled; missing glyphs would go unseen")
    handler = _ThreadRecords()
    WEASYPRINT_LOGGER.addHandler(handler)
    try:
        yield handler.records
    finally:
        WEASYPRINT_LOGGER.removeHandler(handler)


def _raise_for_warnings(records: list[logging.LogRecord]) -> None:
    missing = [
        str(record.args[0])
        for record in records
        if isinstance(record.msg, str)
        and record.msg.startswith(_NOTDEF_MESSAGE)
        and isinstance(record.args, tuple)
        and record.args
    ]
    if missing:
        raise MissingGlyph("".join(dict.fromkeys(missing)))
    if records:
        problems = "; ".join(record.getMessage() for record in records[:5])
        raise RenderError(f"WeasyPrint reported {len(records)} problem(s): {problems}")
