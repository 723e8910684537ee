"""Signing PDFs with PAdES signatures (issue 5): a certification signature first, then approval
signatures into the fields it created, each an incremental update made by pyHanko.

Pure library code: bytes in, bytes out. The service stores the returned bytes and serves them
unchanged; a signed PDF is never re-saved through another library (shared/design/DOCUMENTS.md
"Signing").

The workflow of signed minutes:

1. The recorder signs first with `certify=True`: a certification signature with DocMDP level
   "form filling allowed" (`MDPPerm.FILL_FORMS`), which in the same incremental update creates
   the empty signature fields (`new_fields`) for the chair and the supervisor.
2. Each later signer signs into their existing field (`certify=False`, `box=None`); earlier
   signatures stay valid.

Choices taken from DOCUMENTS.md: RSA with SHA-256 (`pki.py`), PAdES subfilter
(ETSI.CAdES.detached), visible stamps in a single-face CJK font that pyHanko embeds (`fonts.py`;
pyHanko's default stamp drops Chinese and uses a non-embedded Courier, so it is never used), and
the PDF/A Producer fix (`_align_producer`).

Who signs is an interface, `DocumentSigner`: anything that can hand pyHanko a `Signer` for its
certificate. `LocalKeySigner` (a key loaded from the signer's PKCS#12 bundle) is the one
implementation today; a licensed CA's signer (PKCS#11 token, remote signing service) can be
another. pyHanko supports neither SM2 nor SM3, so the national algorithms are out of reach here.

Visible stamps need pyHanko's OpenType support, i.e. the `uharfbuzz` package (pyHanko's
"opentype" extra): this module does not import without it.

pyHanko's synchronous entry points run their own asyncio event loop: call `sign_pdf` from
ordinary (non-async) code, as Flask views and CLI commands are.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields as pdf_fields
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from consult import clock
from consult.documents import fonts
from consult.documents.loops import outside_any_loop
from consult.documents.pki import ROLE_LABELS, SignerIdentity
from consult.documents.verify import NotAPdf

# (page index from 0, x1, y1, x2, y2) in PDF points, origin at the page's lower left corner.
SignatureBox = tuple[int, float, float, float, float]
# (field name, page index, (x1, y1, x2, y2)) of an empty signature field to create.
NewField = tuple[str, int, tuple[float, float, float, float]]

# The stamp shows Beijing time: China has one time zone and no daylight saving time, so a fixed
# offset is exact and needs no tz database.
BEIJING: Final = timezone(timedelta(hours=8), "北京时间")
STAMP_FONT_SIZE: Final = 10
DIGEST: Final = "sha256"


class SigningFailed(Exception):
    """The document cannot be signed as asked (the service answers 409 Conflict)."""


class FieldAlreadySigned(SigningFailed):
    """The signature field already holds a signature."""


class FieldMissing(SigningFailed):
    """There is no signature field of that name and no box to create one."""


# ------------------------------------------------------------------ the signer interface


@runtime_checkable
class DocumentSigner(Protocol):
    """Something that signs PDFs: a certificate and a pyHanko `Signer` for it.

    `pyhanko_signer()` may be called once per signature; an implementation holding loaded key
    material should return the same object each time (loading keys is slow).
    """

    @property
    def certificate(self) -> x509.Certificate: ...

    def pyhanko_signer(self) -> Signer: ...


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class _LoadedRsaSigner(Signer):
    """pyHanko signer over an already loaded RSA key, PKCS#1 v1.5 padding.

    pyHanko's own SimpleSigner keeps the key as DER and parses it again for every signature
    (and once more for the size estimate); with RSA that costs ~0.1-0.2 s each time
    (DOCUMENTS.md "Load each key once per process"). Here the loaded key object is reused, and
    the size estimate's dry run returns placeholder bytes without signing.
    """

    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate],
    ) -> None:
        asn1_chain = [_to_asn1(extra) for extra in chain]
        super().__init__(
            signing_cert=_to_asn1(certificate),
            cert_registry=SimpleCertificateStore.from_certs(asn1_chain),  # type: ignore[no-untyped-call]
            # The CA certificate travels in the signature: a verifier holding only the community's
            # published CA certificate can still see which root the signer chains to.
            embed_roots=True,
            prefer_pss=False,
        )
        self._key = key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(self._key.key_size // 8)
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism != "rsassa_pkcs1v15":  # pragma: no cover - prefer_pss is off
            raise PyHankoSigningError(f"unsupported signature mechanism {mechanism}")
        return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class LocalKeySigner:
    """The `DocumentSigner` for a key held in memory: a `SignerIdentity` opened from the
    signer's PKCS#12 bundle (`pki.open_pkcs12`)."""

    def __init__(self, identity: SignerIdentity) -> None:
        self.identity = identity
        self._signer: _LoadedRsaSigner | None = None

    @property
    def certificate(self) -> x509.Certificate:
        return self.identity.certificate

    def pyhanko_signer(self) -> Signer:
        if self._signer is None:
            self._signer = _LoadedRsaSigner(
                self.identity.private_key, self.identity.certificate, self.identity.chain
            )
        return self._signer


# One adapter per identity object, so passing the same SignerIdentity again reuses its signer.
_adapters: weakref.WeakKeyDictionary[SignerIdentity, LocalKeySigner] = weakref.WeakKeyDictionary()


def as_document_signer(signer: DocumentSigner | SignerIdentity) -> DocumentSigner:
    if isinstance(signer, SignerIdentity):
        adapter = _adapters.get(signer)
        if adapter is None:
            adapter = LocalKeySigner(signer)
            _adapters[signer] = adapter
        return adapter
    return signer


# ------------------------------------------------------------------ the visible stamp


@dataclass(frozen=True)
class StampText:
    """What a visible signature shows: the role in Chinese, the signer's name, the signing time
    in Beijing time, and an optional last line."""

    name: str
    role_label: str
    note: str | None = "电子签名"

    @classmethod
    def for_role(cls, name: str, role: str, note: str | None = "电子签名") -> StampText:
        """The stamp for a consult role ("chair", "recorder", "supervisor")."""
        return cls(name=name, role_label=ROLE_LABELS.get(role, role), note=note)

    def lines(self, signed_at: datetime) -> list[str]:
        local = signed_at.astimezone(BEIJING)
        lines = [
            f"{self.role_label}：{self.name}",
            f"{local:%Y-%m-%d %H:%M} 北京时间",
        ]
        if self.note:
            lines.append(self.note)
        return lines


@dataclass(frozen=True)
class _StampFontFactory(GlyphAccumulatorFactory):
    """pyHanko's GlyphAccumulatorFactory, fed the stamp font cut down to the stamp's text.

    pyHanko's own factory opens the font file for every stamp and never closes it (a
    ResourceWarning per signature, an error under the test suite's warning filter), and its
    GlyphAccumulator parses and subsets the whole font with fontTools: ~1.1 s per signature
    with the 16 MB CJK face (bench/pdf.py), more than rendering the minutes. Here the font is
    first cut down with HarfBuzz to the characters of the stamp's text (`subset`, made by
    fonts.subset_for_text in a few milliseconds from a face parsed once per process), so the
    accumulator works on a few kilobytes. The stamp draws nothing but that text, so nothing it
    needs is left out. Each engine parses its own copy: fontTools' subsetting rewrites the
    parsed font in place.
    """

    subset: bytes = b""

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: generic.StreamObject | None = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(self.subset),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


def _stamp_style(stamp: StampText, signed_at: datetime, font_path: Path) -> TextStampStyle:
    text = "\n".join(stamp.lines(signed_at))
    # Cut before pyHanko starts, so a character the font lacks refuses the signature at once.
    subset = fonts.subset_for_text(font_path, text)
    return TextStampStyle(
        # Fixed text: pyHanko interpolates %(name)s parameters, so a literal % is doubled.
        stamp_text=text.replace("%", "%%"),
        text_box_style=TextBoxStyle(
            font=_StampFontFactory(str(font_path), font_size=STAMP_FONT_SIZE, subset=subset),
            font_size=STAMP_FONT_SIZE,
        ),
        border_width=1,
        background=None,
    )


# ------------------------------------------------------------------ signing


class _TimedPdfSigner(PdfSigner):
    """PdfSigner whose signing time is ours (consult.clock), not pyHanko's local `now`: the time
    in /M, in the signed attributes and on the stamp is then one and the same."""

    def __init__(self, *args: Any, system_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._system_time = system_time

    def init_signing_session(
        self, pdf_out: Any, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._system_time
        return session


def _whole_points(coords: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    # pyHanko types a field box as whole points; round outwards so the box never shrinks.
    x1, y1, x2, y2 = coords
    lo_x, hi_x = sorted((x1, x2))
    lo_y, hi_y = sorted((y1, y2))
    return (int(lo_x // 1), int(lo_y // 1), int(-(-hi_x // 1)), int(-(-hi_y // 1)))


def _open(pdf: bytes) -> IncrementalPdfFileWriter:
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise NotAPdf("this is not a PDF file")
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf))
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise NotAPdf(f"this PDF cannot be read: {exc}") from exc


def _fields(writer: IncrementalPdfFileWriter) -> dict[str, generic.DictionaryObject]:
    found: dict[str, generic.DictionaryObject] = {}
    for name, _value, field_ref in pdf_fields.enumerate_sig_fields(writer.prev):
        found[name] = field_ref.get_object()
    return found


def _is_visible(field: generic.DictionaryObject) -> bool:
    try:
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    except (KeyError, ValueError, TypeError):
        return False
    return abs(x2 - x1) > 0 and abs(y2 - y1) > 0


def _align_producer(writer: IncrementalPdfFileWriter) -> None:
    """Keep the Info and XMP producers equal, as PDF/A requires (DOCUMENTS.md "Rendering").

    pyHanko writes its own name as the XMP producer and appends it to an existing Info
    /Producer ("WeasyPrint 70.0; pyHanko 0.38.0"): the two then differ. The renderer removes
    the Info /Producer; this is the same fix for a document that still has one. An absent
    /Producer is filled in by pyHanko with exactly its XMP value.
    """
    if "/Metadata" not in writer.root:
        return  # no XMP, nothing to disagree with
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        return
    if not isinstance(info_ref, generic.IndirectObject):
        return
    info = writer.get_object(info_ref.reference)
    if isinstance(info, generic.DictionaryObject) and "/Producer" in info:
        from pyhanko.pdf_utils.metadata.model import VENDOR

        if str(info["/Producer"]) != VENDOR:
            del info["/Producer"]
            writer.mark_update(info_ref)


def sign_pdf(
    pdf: bytes,
    signer: DocumentSigner | SignerIdentity,
    *,
    field: str,
    box: SignatureBox | None = None,
    certify: bool = False,
    new_fields: Sequence[NewField] = (),
    stamp: StampText | None = None,
    font_path: Path | None = None,
    reason: str | None = None,
    location: str | None = None,
    timestamp_url: str | None = None,
    signed_at: datetime | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Sign `pdf` into the signature field `field` and return the new bytes (the input plus one
    incremental update).

    - `certify=True`: the document's first signature, a certification signature allowing form
      filling (MDPPerm.FILL_FORMS); `new_fields` are created empty in the same update.
    - `certify=False`: an approval signature into the existing empty field `field`; with `box`,
      a missing field is created there instead (without, a missing field is FieldMissing).
    - A missing `field` is created visible in `box`, or invisible when `box` is None (only for
      the certification signature).
    - `stamp`: the visible text, drawn in the field's box with the CJK face from `font_path`
      (default `fonts.stamp_font_path()`). A visible field needs a stamp; an invisible field
      (no box) gets none.
    - `timestamp_url`: an RFC 3161 service whose token is embedded (needs network access);
      `timestamper`: any pyHanko TimeStamper instead (a local authority, or tests).
    - `signed_at`: the signing time; default `consult.clock.now()`.

    Raises NotAPdf, FieldMissing, FieldAlreadySigned, SigningFailed (e.g. certifying an already
    signed document), fonts.FontMissing (fonts.GlyphMissing: the stamp font cannot draw a
    character of the stamp).
    """
    document_signer = as_document_signer(signer)
    moment = signed_at or clock.now()
    if moment.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    writer = _open(pdf)
    existing = _fields(writer)

    filled = [name for name, obj in existing.items() if "/V" in obj]
    if certify and filled:
        raise SigningFailed("a certification signature must be the document's first signature")
    if not certify and new_fields:
        # Empty fields for later signers belong in the certifying update; adding fields in an
        # approval signature is beyond what FILL_FORMS is read to permit.
        raise SigningFailed("only the certification signature creates fields for other signers")

    target = existing.get(field)
    if target is not None and "/V" in target:
        raise FieldAlreadySigned(f"the signature field {field!r} is already signed")
    new_field_spec: pdf_fields.SigFieldSpec | None = None
    if target is None:
        if box is None and not certify:
            raise FieldMissing(f"there is no signature field {field!r}")
        if box is None:
            # An invisible certification signature: a field without a widget area.
            new_field_spec = pdf_fields.SigFieldSpec(sig_field_name=field)
            visible = False
        else:
            page, x1, y1, x2, y2 = box
            rect = _whole_points((x1, y1, x2, y2))
            new_field_spec = pdf_fields.SigFieldSpec(sig_field_name=field, on_page=page, box=rect)
            visible = rect[2] > rect[0] and rect[3] > rect[1]
    else:
        visible = _is_visible(target)

    for name, page, coords in new_fields:
        if name in existing or name == field:
            raise SigningFailed(f"the signature field {name!r} already exists")
        pdf_fields.append_signature_field(
            writer,
            pdf_fields.SigFieldSpec(sig_field_name=name, on_page=page, box=_whole_points(coords)),
        )

    if visible and stamp is None:
        raise ValueError("a visible signature field needs stamp text")
    stamp_style = None
    if visible and stamp is not None:
        stamp_style = _stamp_style(stamp, moment, font_path or fonts.stamp_font_path())

    _align_producer(writer)

    metadata = PdfSignatureMetadata(
        field_name=field,
        md_algorithm=DIGEST,
        subfilter=pdf_fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=pdf_fields.MDPPerm.FILL_FORMS,
        reason=reason,
        location=location,
    )
    pdf_signer = _TimedPdfSigner(
        metadata,
        document_signer.pyhanko_signer(),
        timestamper=timestamper or (HTTPTimeStamper(timestamp_url) if timestamp_url else None),
        stamp_style=stamp_style,
        new_field_spec=new_field_spec,
        system_time=moment,
    )
    output = BytesIO()
    try:
        outside_any_loop(
            lambda: pdf_signer.sign_pdf(
                writer, existing_fields_only=target is not None, output=output
            )
        )
    except PyHankoSigningError as exc:
        raise SigningFailed(f"pyHanko refused to sign: {exc}") from exc
    except TimestampRequestError as exc:
        raise SigningFailed(f"the timestamp service {timestamp_url} did not answer: {exc}") from exc
    except PdfError as exc:
        raise SigningFailed(f"the PDF could not be signed: {exc}") from exc
    return output.getvalue()
