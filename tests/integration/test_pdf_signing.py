"""Signing minutes and validating the signatures (consult/documents/signing.py, verify.py,
fonts.py; shared/design/DOCUMENTS.md "Signing" and "Validation").

The recorder certifies the PDF and creates empty fields for the chair and the supervisor; the
chair signs, then the supervisor countersigns. After each step pyHanko (verify_pdf) and poppler's
pdfsig must agree. pdfsig is the independent cross-check: only its "Signature Validation" line
is read (its certificate line is wrong on Debian 12's poppler 22.12, DOCUMENTS.md). Tests that
need poppler fail, not skip, when it is missing: the Makefile installs poppler-utils.

No app and no database; the PDFs are made here with WeasyPrint directly.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko.sign.validation import read_certification_data

from consult.documents import fonts, pki, signing, verify

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
COMMUNITY = "幸福里社区居民委员会"
PEOPLE = {"recorder": "李记录", "chair": "王主持", "supervisor": "赵监督"}
FIELDS = {
    "recorder": (0, (40.0, 60.0, 200.0, 120.0)),
    "chair": (0, (215.0, 60.0, 375.0, 120.0)),
    "supervisor": (0, (390.0, 60.0, 555.0, 120.0)),
}
MINUTES_HTML = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>会议纪要</title>
<style>body { font-family: "Noto Sans CJK SC"; font-size: 11pt; }</style></head>
<body><h1>幸福里社区居民会议纪要</h1>
<p>时间：2026年10月12日 19:00。地点：社区活动中心。</p>
<p>议题一：小区停车位分配方案。表决结果：赞成 86，反对 9，弃权 5，通过。</p>
<p>议题二：加装电梯意见征集。与会居民吉𠮷、陈晓明发言。</p>
</body></html>"""


# ------------------------------------------------------------------ fixtures


class _NotdefCatcher(logging.Handler):
    """WeasyPrint logs '.notdef glyph rendered' when a CJK font is missing (DOCUMENTS.md:
    tests must fail on it)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _render(html: str) -> bytes:
    def drop_producer(_document: Any, pdf: Any) -> None:
        # DOCUMENTS.md "Rendering": pyHanko would leave Info and XMP producers different.
        del pdf.info["Producer"]

    catcher = _NotdefCatcher()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(catcher)
    try:
        with warnings.catch_warnings():
            # WeasyPrint 70 leaves its sRGB profile file open for PDF/A (render.py says the same).
            warnings.filterwarnings(
                "ignore", message=r"unclosed file .*sRGB2014\.icc", category=ResourceWarning
            )
            pdf = weasyprint.HTML(string=html).write_pdf(
                pdf_variant="pdf/a-3b", finisher=drop_producer
            )
    finally:
        logger.removeHandler(catcher)
    assert not [m for m in catcher.messages if "notdef" in m], catcher.messages
    assert isinstance(pdf, bytes)
    return pdf


@pytest.fixture(scope="module")
def minutes_pdf() -> bytes:
    return _render(MINUTES_HTML)


@pytest.fixture(scope="module")
def ca() -> pki.CertificateAuthority:
    return pki.make_community_ca(COMMUNITY, "XFL-001", now=NOW)


@pytest.fixture(scope="module")
def identities(ca: pki.CertificateAuthority) -> dict[str, pki.SignerIdentity]:
    return {
        role: pki.issue_signer_certificate(
            ca, person_name=name, role=role, community_name=COMMUNITY, user_id=i + 1, now=NOW
        )
        for i, (role, name) in enumerate(PEOPLE.items())
    }


@pytest.fixture(scope="module")
def font_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fonts.stamp_font_path(tmp_path_factory.mktemp("fonts"))


def _sign(
    pdf: bytes,
    identity: pki.SignerIdentity | signing.DocumentSigner,
    role: str,
    font_path: Path,
    **kwargs: Any,
) -> bytes:
    return signing.sign_pdf(
        pdf,
        identity,
        field=role,
        stamp=signing.StampText.for_role(PEOPLE[role], role),
        font_path=font_path,
        **kwargs,
    )


@dataclass(frozen=True)
class Steps:
    certified: bytes  # the recorder's certification signature, with empty fields for the others
    chaired: bytes  # + the chair's signature
    countersigned: bytes  # + the supervisor's countersignature


@pytest.fixture(scope="module")
def steps(minutes_pdf: bytes, identities: dict[str, pki.SignerIdentity], font_path: Path) -> Steps:
    page, box = FIELDS["recorder"]
    certified = _sign(
        minutes_pdf,
        identities["recorder"],
        "recorder",
        font_path,
        box=(page, *box),
        certify=True,
        new_fields=[(role, *FIELDS[role]) for role in ("chair", "supervisor")],
        reason="会议纪要记录",
        location="幸福里社区活动中心",
    )
    chaired = _sign(certified, identities["chair"], "chair", font_path)
    countersigned = _sign(chaired, identities["supervisor"], "supervisor", font_path)
    return Steps(certified, chaired, countersigned)


# ------------------------------------------------------------------ poppler helpers


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install poppler-utils (the Makefile does)")
    return path


def _write(tmp_path: Path, pdf: bytes, name: str = "doc.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def pdfsig(tmp_path: Path, pdf: bytes) -> dict[str, str]:
    """Field name -> pdfsig's "Signature Validation" text for each signed field (certificate
    checks skipped; empty fields, which pdfsig lists as "not signed", left out)."""
    path = _write(tmp_path, pdf, "pdfsig.pdf")
    out = subprocess.run(
        [_tool("pdfsig"), "-nocert", str(path)], capture_output=True, text=True, check=False
    ).stdout
    results: dict[str, str] = {}
    for block in re.split(r"^Signature #\d+:\s*$", out, flags=re.MULTILINE)[1:]:
        field = re.search(r"- Signature Field Name: (.*)$", block, re.MULTILINE)
        if "The signature form field is not signed." in block:
            continue
        validation = re.search(r"- Signature Validation: (.*)$", block, re.MULTILINE)
        assert field is not None, out
        assert validation is not None, out
        results[field.group(1).strip()] = validation.group(1).strip()
    return results


VALID = "Signature is Valid."


def _pdftotext(tmp_path: Path, pdf: bytes) -> str:
    path = _write(tmp_path, pdf, "text.pdf")
    return subprocess.run(
        [_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _pdffonts(tmp_path: Path, pdf: bytes) -> list[list[str]]:
    path = _write(tmp_path, pdf, "fonts.pdf")
    out = subprocess.run(
        [_tool("pdffonts"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = out.splitlines()[2:]
    return [row.split() for row in rows if row.strip()]


def _verify(pdf: bytes, ca: pki.CertificateAuthority, **kwargs: Any) -> verify.PdfReport:
    return verify.verify_pdf(pdf, trust_roots=[ca.certificate], **kwargs)


# ------------------------------------------------------------------ fonts


def test_the_stamp_font_is_one_face_extracted_once(tmp_path: Path) -> None:
    started = time.perf_counter()
    path = fonts.stamp_font_path(tmp_path)
    again_started = time.perf_counter()
    again = fonts.stamp_font_path(tmp_path)
    again_took = time.perf_counter() - again_started
    assert again == path
    assert again_took < 0.05, "the path is cached in the process"
    assert path.parent == tmp_path.resolve()
    assert path.read_bytes()[:4] in (b"OTTO", b"\x00\x01\x00\x00")  # one face, not b"ttcf"
    with TTFont(str(path), lazy=True) as face:
        assert face["name"].getDebugName(1) == "Noto Sans CJK SC"
        assert face["name"].getDebugName(2) == "Regular"
        assert ord("𠮷") in face.getBestCmap()
    assert not list(tmp_path.glob(".font-*")), "no temporary file left behind"
    assert time.perf_counter() - started < 30


def test_a_missing_font_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(fonts.FontMissing, match="fonts-noto-cjk"):
        fonts.stamp_font_path(tmp_path, family="No Such Font Sans", style="Regular")


def test_a_stamp_gets_a_small_cut_of_the_face_with_the_same_glyphs(font_path: Path) -> None:
    """pyHanko is handed the face cut down to the stamp's characters (fonts.subset_for_text):
    the same glyphs (same CIDs, so the same outlines) in a few kilobytes instead of 16 MB."""
    text = "\n".join(signing.StampText.for_role("吉𠮷", "supervisor").lines(NOW))
    subset = fonts.subset_for_text(font_path, text)
    assert len(subset) < 64_000, "the whole face would make signing ten times slower"
    with TTFont(str(font_path), lazy=True) as face, TTFont(BytesIO(subset)) as cut:
        assert cut["CFF "].cff[0].ROS == face["CFF "].cff[0].ROS  # a CID-keyed font still
        assert cut["name"].getDebugName(6) == face["name"].getDebugName(6)
        whole, small = face.getBestCmap(), cut.getBestCmap()
        characters = set(text) - {"\n"}
        assert {ord(c) for c in characters} == set(small)
        for char in characters:
            assert small[ord(char)] == whole[ord(char)], char  # glyph names are the CIDs


def test_a_stamp_character_the_font_lacks_refuses_the_signature(
    minutes_pdf: bytes, identities: dict[str, pki.SignerIdentity], font_path: Path
) -> None:
    page, box = FIELDS["recorder"]
    lacking = "\U000f0000"  # private use, plane 15: no glyph in Noto Sans CJK
    with pytest.raises(fonts.GlyphMissing) as raised:
        signing.sign_pdf(
            minutes_pdf,
            identities["recorder"],
            field="recorder",
            box=(page, *box),
            certify=True,
            stamp=signing.StampText.for_role(f"李{lacking}", "recorder"),
            font_path=font_path,
        )
    assert raised.value.text == lacking
    assert isinstance(raised.value, fonts.FontMissing)


# ------------------------------------------------------------------ the three signatures


def test_each_step_validates_in_pyhanko_and_pdfsig(
    steps: Steps, ca: pki.CertificateAuthority, tmp_path: Path
) -> None:
    expected_roles = ["recorder", "chair", "supervisor"]
    for count, pdf in enumerate((steps.certified, steps.chaired, steps.countersigned), start=1):
        report = _verify(pdf, ca)
        assert report.ok, report
        assert report.all_trusted
        assert not report.modified_after_last_signature
        assert [sig.role for sig in report.signatures] == expected_roles[:count]
        assert [sig.signer for sig in report.signatures] == [
            PEOPLE[role] for role in expected_roles[:count]
        ]
        for index, sig in enumerate(report.signatures):
            assert sig.intact, sig
            assert sig.valid, sig
            assert sig.trusted, sig
            assert sig.problems == ()
            assert sig.covers_whole_document is (index == count - 1)
            assert sig.signed_at is not None
            signed_at = datetime.fromisoformat(sig.signed_at.replace("Z", "+00:00"))
            assert abs(signed_at - datetime.now(UTC)) < timedelta(minutes=10)
        assert report.signatures[0].certification
        assert not any(sig.certification for sig in report.signatures[1:])

        poppler = pdfsig(tmp_path, pdf)
        assert poppler == dict.fromkeys(expected_roles[:count], VALID), poppler


def test_the_certification_creates_the_empty_fields_in_one_update(
    steps: Steps, minutes_pdf: bytes
) -> None:
    assert steps.certified.startswith(minutes_pdf)
    assert steps.chaired.startswith(steps.certified)
    assert steps.countersigned.startswith(steps.chaired)
    reader = PdfFileReader(BytesIO(steps.certified))
    assert reader.xrefs.total_revisions == 2, "one incremental update on the rendered PDF"
    certification = read_certification_data(reader)
    assert certification is not None
    assert certification.permission == MDPPerm.FILL_FORMS
    fields = reader.root["/AcroForm"]["/Fields"]
    by_name = {str(f.get_object()["/T"]): f.get_object() for f in fields}
    assert set(by_name) == {"recorder", "chair", "supervisor"}
    assert "/V" in by_name["recorder"]
    assert "/V" not in by_name["chair"]
    assert "/V" not in by_name["supervisor"]
    rect = [float(v) for v in by_name["chair"]["/Rect"]]
    assert rect == [215.0, 60.0, 375.0, 120.0]
    assert PdfFileReader(BytesIO(steps.countersigned)).xrefs.total_revisions == 4


def test_the_signature_format_is_pades_rsa_sha256(
    steps: Steps, ca: pki.CertificateAuthority
) -> None:
    ca_der = ca.certificate.public_bytes(serialization.Encoding.DER)
    reader = PdfFileReader(BytesIO(steps.countersigned))
    for sig in reader.embedded_regular_signatures:
        assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
        assert sig.md_algorithm == "sha256"
        assert sig.signer_cert.public_key.algorithm == "rsa"
        # The CA certificate travels along, so a verifier can see the chain.
        assert [c.dump() for c in sig.other_embedded_certs] == [ca_der]
    first = reader.embedded_regular_signatures[0].sig_object
    assert str(first["/Reason"]) == "会议纪要记录"
    assert str(first["/Location"]) == "幸福里社区活动中心"


def test_the_stamps_show_chinese_in_an_embedded_font(steps: Steps, tmp_path: Path) -> None:
    text = _pdftotext(tmp_path, steps.countersigned)
    for role in PEOPLE:
        assert f"{pki.ROLE_LABELS[role]}：{PEOPLE[role]}" in text, text
    assert text.count("北京时间") == 3
    assert "电子签名" in text
    rows = _pdffonts(tmp_path, steps.countersigned)
    assert rows, "pdffonts lists the fonts"
    for row in rows:
        # name type... encoding emb sub uni object-id generation: emb is 5th from the end.
        assert row[-5] == "yes", f"font not embedded: {row}"
    assert not any("Courier" in row[0] for row in rows), "pyHanko's default stamp font"
    assert sum("NotoSansCJKsc-Regular" in row[0] for row in rows) == 3


def test_signing_keeps_pdf_a_3b_identification_and_producers(steps: Steps) -> None:
    reader = PdfFileReader(BytesIO(steps.countersigned))
    assert reader.input_version < (2, 0), "PDF 2.0 conflicts with PDF/A-3 (DOCUMENTS.md)"
    xmp = reader.root["/Metadata"].data.decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)3', xmp)
    assert re.search(r'pdfaid:conformance(="|>)B', xmp)
    xmp_producer = re.search(r'pdf:Producer(?:="|>)([^"<]*)', xmp)
    info = reader.trailer_view.get("/Info")
    if info is not None and "/Producer" in info.get_object():
        assert xmp_producer is not None
        assert str(info.get_object()["/Producer"]) == xmp_producer.group(1)


def test_the_signing_time_is_the_callers(
    minutes_pdf: bytes, identities: dict[str, pki.SignerIdentity], ca: pki.CertificateAuthority
) -> None:
    moment = NOW + timedelta(minutes=3)
    signed = signing.sign_pdf(
        minutes_pdf, identities["recorder"], field="recorder", certify=True, signed_at=moment
    )
    report = _verify(signed, ca, now=moment + timedelta(minutes=1))
    assert report.signatures[0].signed_at == moment.isoformat().replace("+00:00", "Z")
    assert report.ok


def test_a_signer_from_the_documents_layer_interface(
    minutes_pdf: bytes,
    identities: dict[str, pki.SignerIdentity],
    ca: pki.CertificateAuthority,
    font_path: Path,
    tmp_path: Path,
) -> None:
    """DocumentSigner is an interface: here a second implementation over pyHanko's own
    SimpleSigner (as a licensed CA's token signer would be another)."""
    identity = identities["recorder"]

    class PyHankoSimpleSigner:
        def __init__(self) -> None:
            data = pki.pack_pkcs12(identity, "pass phrase")
            signer = SimpleSigner.load_pkcs12_data(data, None, passphrase=b"pass phrase")
            assert signer is not None
            self._signer = signer

        @property
        def certificate(self) -> x509.Certificate:
            return identity.certificate

        def pyhanko_signer(self) -> Signer:
            return self._signer

    other = PyHankoSimpleSigner()
    assert isinstance(other, signing.DocumentSigner)
    page, box = FIELDS["recorder"]
    signed = _sign(minutes_pdf, other, "recorder", font_path, box=(page, *box), certify=True)
    assert _verify(signed, ca).ok
    assert pdfsig(tmp_path, signed) == {"recorder": VALID}


def test_the_loaded_key_is_reused(identities: dict[str, pki.SignerIdentity]) -> None:
    identity = identities["chair"]
    adapter = signing.as_document_signer(identity)
    assert signing.as_document_signer(identity) is adapter
    assert adapter.pyhanko_signer() is adapter.pyhanko_signer()


# ------------------------------------------------------------------ refusals


def test_signing_refusals(
    steps: Steps, minutes_pdf: bytes, identities: dict[str, pki.SignerIdentity], font_path: Path
) -> None:
    with pytest.raises(signing.FieldAlreadySigned):
        _sign(steps.chaired, identities["chair"], "chair", font_path)
    with pytest.raises(signing.SigningFailed, match="first signature"):
        _sign(steps.chaired, identities["recorder"], "recorder", font_path, certify=True)
    with pytest.raises(signing.FieldMissing):
        signing.sign_pdf(minutes_pdf, identities["chair"], field="chair")
    with pytest.raises(signing.SigningFailed, match="certification"):
        signing.sign_pdf(
            steps.certified,
            identities["chair"],
            field="chair",
            stamp=signing.StampText.for_role("王主持", "chair"),
            font_path=font_path,
            new_fields=[("extra", 0, (0.0, 0.0, 10.0, 10.0))],
        )
    with pytest.raises(ValueError, match="stamp"):
        signing.sign_pdf(steps.certified, identities["chair"], field="chair")
    with pytest.raises(verify.NotAPdf):
        signing.sign_pdf(b"GIF89a not a pdf", identities["chair"], field="chair", certify=True)


def test_a_timestamp_service_is_wired_and_its_failure_refuses_signing(
    minutes_pdf: bytes, identities: dict[str, pki.SignerIdentity]
) -> None:
    # No RFC 3161 service is reachable here: a closed port on this machine shows the timestamper
    # is asked, and that its failure is a refusal rather than an unsigned document.
    with pytest.raises(signing.SigningFailed, match="timestamp"):
        signing.sign_pdf(
            minutes_pdf,
            identities["recorder"],
            field="recorder",
            certify=True,
            timestamp_url="http://127.0.0.1:9/tsa",
        )


# ------------------------------------------------------------------ validation verdicts


def test_a_revoked_certificate_is_not_valid(
    steps: Steps, ca: pki.CertificateAuthority, identities: dict[str, pki.SignerIdentity]
) -> None:
    chair = identities["chair"].certificate
    crl = pki.make_crl(ca, [(chair.serial_number, NOW)], now=NOW)
    report = _verify(steps.countersigned, ca, crls=[crl])
    by_role = {sig.role: sig for sig in report.signatures}
    assert not by_role["chair"].valid
    assert not by_role["chair"].trusted
    assert by_role["chair"].intact
    assert "revoked" in by_role["chair"].problems
    for role in ("recorder", "supervisor"):
        assert by_role[role].valid
        assert by_role[role].trusted
    assert not report.ok

    # The same CRL as PEM; and a current CRL that revokes nobody keeps everything valid.
    assert not _verify(steps.countersigned, ca, crls=[pki.crl_pem(crl)]).ok
    clean = pki.make_crl(ca, [], now=NOW)
    assert _verify(steps.countersigned, ca, crls=[clean]).all_trusted


def test_a_stale_crl_leaves_revocation_unknown(steps: Steps, ca: pki.CertificateAuthority) -> None:
    stale = pki.make_crl(ca, [], now=NOW - timedelta(days=30))
    report = _verify(steps.chaired, ca, crls=[stale])
    assert all("revocation_unknown" in sig.problems for sig in report.signatures)
    assert not report.all_trusted


def _flip(pdf: bytes, position: int) -> bytes:
    data = bytearray(pdf)
    data[position] ^= 0x01
    return bytes(data)


def test_one_changed_byte_in_page_content_breaks_every_signature(
    steps: Steps, ca: pki.CertificateAuthority, tmp_path: Path
) -> None:
    reader = PdfFileReader(BytesIO(steps.countersigned))
    contents = reader.root["/Pages"]["/Kids"][0].get_object().raw_get("/Contents")
    content_ref = contents[0] if isinstance(contents, generic.ArrayObject) else contents
    header = f"\n{content_ref.idnum} 0 obj".encode()
    start = steps.countersigned.index(header)
    stream_at = steps.countersigned.index(b"stream", start) + len(b"stream\n") + 20
    tampered = _flip(steps.countersigned, stream_at)

    report = _verify(tampered, ca)
    assert len(report.signatures) == 3
    assert not any(sig.intact for sig in report.signatures)
    assert all("not_intact" in sig.problems for sig in report.signatures)
    assert not report.ok
    poppler = pdfsig(tmp_path, tampered)
    assert set(poppler) == {"recorder", "chair", "supervisor"}
    assert VALID not in poppler.values(), poppler


def test_one_changed_byte_in_the_last_revision_breaks_only_the_last_signature(
    steps: Steps, ca: pki.CertificateAuthority, tmp_path: Path
) -> None:
    # The supervisor's signing time (/M) lives in the last revision, inside its signed range.
    last_revision = len(steps.chaired)
    m_at = steps.countersigned.index(b"/M (D", last_revision)
    year_at = steps.countersigned.index(str(NOW.year).encode(), m_at)
    tampered = _flip(steps.countersigned, year_at + 3)  # the year's last digit

    report = _verify(tampered, ca)
    by_role = {sig.role: sig for sig in report.signatures}
    for role in ("recorder", "chair"):
        assert by_role[role].intact
        assert by_role[role].valid
    assert not by_role["supervisor"].intact
    assert not report.ok
    poppler = pdfsig(tmp_path, tampered)
    assert poppler["recorder"] == VALID
    assert poppler["chair"] == VALID
    assert poppler["supervisor"] != VALID


def _append_annotation(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    note = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (300, 700, 320, 720)]
            ),
            generic.NameObject("/Contents"): generic.pdf_string("表决结果有误"),
        }
    )
    page["/Annots"].append(writer.add_object(note))
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _append_info_change(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    writer.set_info(
        generic.DictionaryObject(
            {generic.NameObject("/Title"): generic.pdf_string("另一份会议纪要")}
        )
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("append", [_append_annotation, _append_info_change])
def test_an_unsigned_update_after_the_last_signature_is_reported(
    append: Any, steps: Steps, ca: pki.CertificateAuthority, tmp_path: Path
) -> None:
    tampered = append(steps.countersigned)
    assert tampered.startswith(steps.countersigned)
    assert len(tampered) > len(steps.countersigned)
    report = _verify(tampered, ca)
    assert report.modified_after_last_signature
    assert not report.ok
    assert all(sig.intact for sig in report.signatures)
    assert "modified_after_signing" in report.signatures[-1].problems
    # pdfsig alone would let it pass (DOCUMENTS.md "Validation").
    assert pdfsig(tmp_path, tampered) == dict.fromkeys(("recorder", "chair", "supervisor"), VALID)


def test_an_update_between_signatures_that_certification_forbids_is_reported(
    steps: Steps,
    ca: pki.CertificateAuthority,
    identities: dict[str, pki.SignerIdentity],
    font_path: Path,
) -> None:
    # Someone annotates after the recorder certified; the chair then signs over it.
    annotated = _append_annotation(steps.certified)
    chaired = _sign(annotated, identities["chair"], "chair", font_path)
    report = _verify(chaired, ca)
    assert report.modified_after_last_signature
    assert not report.ok
    assert "modified_after_signing" in report.signatures[0].problems


def test_a_damaged_signature_is_reported_not_raised(
    steps: Steps, ca: pki.CertificateAuthority
) -> None:
    # Zeroes over the start of the recorder's CMS blob: it no longer parses.
    data = steps.countersigned
    start = data.index(b"/Contents <") + len(b"/Contents <")
    damaged = data[:start] + b"0" * 40 + data[start + 40 :]
    report = _verify(damaged, ca)
    by_field = {sig.field: sig for sig in report.signatures}
    assert by_field["recorder"].problems == ("unreadable",)
    assert not by_field["recorder"].intact
    # The later signatures covered the blob's bytes, so they break too.
    assert not by_field["chair"].intact
    assert not by_field["supervisor"].intact
    assert not report.ok


def _foreign_identity() -> tuple[pki.SignerIdentity, x509.Certificate]:
    """A PKCS#12 made elsewhere: another CA, digitalSignature only, no consult role."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Elsewhere Signing CA")])
    foreign_ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "外来签名人")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"foreign", key, cert, [foreign_ca], serialization.BestAvailableEncryption(b"elsewhere")
    )
    return pki.open_pkcs12(data, "elsewhere"), foreign_ca


def test_a_pdf_signed_by_a_foreign_ca_is_not_trusted(
    minutes_pdf: bytes, ca: pki.CertificateAuthority, tmp_path: Path
) -> None:
    identity, foreign_ca = _foreign_identity()
    signed = signing.sign_pdf(minutes_pdf, identity, field="signature", certify=True)
    report = _verify(signed, ca)
    (sig,) = report.signatures
    assert sig.intact
    assert sig.valid
    assert not sig.trusted
    assert sig.problems == ("untrusted",)
    assert sig.signer == "外来签名人"
    assert sig.role is None
    assert not report.all_trusted
    # INTERFACES.md §2: the exit code follows intact/valid/modifications; trust is reported.
    assert report.ok
    assert pdfsig(tmp_path, signed) == {"signature": VALID}
    # With the foreign root trusted, the same signature is trusted (digitalSignature suffices).
    trusting = verify.verify_pdf(signed, trust_roots=[foreign_ca])
    assert trusting.signatures[0].trusted


@pytest.mark.parametrize(
    "data", [b"", b"hello world", b"\x89PNG\r\n\x1a\n" + bytes(100), b"%PDF-1.7\ngarbage"]
)
def test_a_file_that_is_not_a_pdf(data: bytes, ca: pki.CertificateAuthority) -> None:
    with pytest.raises(verify.NotAPdf):
        _verify(data, ca)


def test_a_pdf_without_signatures_is_not_ok(
    minutes_pdf: bytes, ca: pki.CertificateAuthority
) -> None:
    report = _verify(minutes_pdf, ca)
    assert report.signatures == ()
    assert not report.ok
    assert not report.modified_after_last_signature
    assert report.as_json("minutes.pdf") == {
        "file": "minutes.pdf",
        "signatures": [],
        "modified_after_last_signature": False,
    }


def test_the_json_report_has_the_interface_keys(steps: Steps, ca: pki.CertificateAuthority) -> None:
    document = _verify(steps.countersigned, ca).as_json("archive/minutes-12.pdf")
    assert set(document) == {"file", "signatures", "modified_after_last_signature"}
    assert document["file"] == "archive/minutes-12.pdf"
    assert document["modified_after_last_signature"] is False
    for entry in document["signatures"]:
        # INTERFACES.md §2's keys, plus the documented "problems".
        assert set(entry) == {
            "signer",
            "role",
            "signed_at",
            "intact",
            "valid",
            "trusted",
            "covers_whole_document",
            "problems",
        }
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["signed_at"])
    assert [entry["role"] for entry in document["signatures"]] == [
        "recorder",
        "chair",
        "supervisor",
    ]


# ------------------------------------------------------------------ timings


@pytest.fixture
def timings() -> Iterator[dict[str, float]]:
    measured: dict[str, float] = {}
    yield measured
    print(" ".join(f"{name}={seconds:.3f}s" for name, seconds in measured.items()))


def test_signing_with_a_stamp_takes_seconds_not_more(
    minutes_pdf: bytes,
    identities: dict[str, pki.SignerIdentity],
    ca: pki.CertificateAuthority,
    font_path: Path,
    timings: dict[str, float],
) -> None:
    page, box = FIELDS["recorder"]
    started = time.perf_counter()
    signed = _sign(
        minutes_pdf, identities["recorder"], "recorder", font_path, box=(page, *box), certify=True
    )
    timings["sign_with_stamp"] = time.perf_counter() - started
    started = time.perf_counter()
    report = _verify(signed, ca)
    timings["verify_one"] = time.perf_counter() - started
    assert report.ok
    # Measured ~0.1 s on the 2-core machine (bench/pdf.py); ~1.1 s when pyHanko parsed and
    # subset the whole CJK face for every stamp.
    assert timings["sign_with_stamp"] < 10
