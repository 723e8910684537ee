"""Validating the signatures in a PDF (issue 5; `consult pdf verify`, INTERFACES.md §2).

pyHanko is the judge (shared/design/DOCUMENTS.md "Validation"): every embedded signature is
validated with `async_validate_pdf_signature` against the trust roots and CRLs the caller gives,
with no network access, and the document's modification level after each signature must be one
the certification allows. pdfsig alone is not enough: an unsigned update appended after the last
signature leaves it saying "Signature is Valid", while pyHanko reports modification level OTHER.

Per signature (`SignatureReport`):

- `intact`: the signed byte ranges hash to the digest in the signature;
- `valid`: intact, the signature value verifies, the certificate is not revoked per the CRLs
  given, a signature timestamp (if any) is sound and the field's seed values are respected
  (whether the certificate is trusted is `trusted`, not `valid`);
- `trusted`: valid and the certificate chains to one of the trust roots, within its validity and
  key usage (digitalSignature or nonRepudiation);
- `covers_whole_document`: the signature covers every byte of the file (only the last signature
  of a document can);
- `problems`: stable codes for what is wrong — `not_intact`, `bad_signature`, `revoked`,
  `expired`, `not_yet_valid`, `revocation_unknown` (CRLs were given but none usable covers the
  signer: missing or stale), `untrusted`, `timestamp_invalid`, `seed_value_violation`,
  `incomplete_coverage`, `modified_after_signing`, `unreadable`.

Revocation: without CRLs nothing is checked (no network access). With CRLs, every signer's
certificate must be covered by a current CRL among them (pyHanko's validation policy
CRL_REQUIRED for end-entity certificates: pyhanko-certvalidator otherwise ignores given CRLs for
certificates without a CRL distribution point). Revocation is judged at the validation time, not
at the signing time: without a trusted timestamp there is no proof the signature predates the
revocation, so revoking a certificate makes every signature it made "revoked".

`PdfReport.modified_after_last_signature` is True when, after any signature, something was added
that its certification does not permit (pyHanko's `docmdp_ok` False or a modification level
beyond FORM_FILLING, i.e. ANNOTATIONS or OTHER), or when any byte follows the last signature
that is not part of a document timestamp's revision: signatures fill their fields in their own
incremental updates, so an update after the last one is an unsigned change, even one pyHanko
rates harmless (see `_unsigned_tail`: a changed Info dictionary or XMP stream).

`PdfReport.ok` is True only if there is at least one signature, every signature is intact and
valid, and nothing forbidden was appended. A PDF without signatures is a report with no
signatures and `ok` False. Trust is reported separately (`trusted`, `PdfReport.all_trusted`), as
INTERFACES.md §2 makes the exit code depend on intact, valid and modifications only.

`PdfReport.as_json(file)` is the `consult pdf verify --json` document: `{"file", "signatures":
[{"signer", "role", "signed_at", "intact", "valid", "trusted", "covers_whole_document"}],
"modified_after_last_signature"}` — every key INTERFACES.md names, plus one extra key per
signature, "problems" (a list of the codes above).

Validation runs pyHanko's asyncio API in its own event loop: call `verify_pdf` from ordinary
(non-async) code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any, Final

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESSubIndic
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from consult import clock
from consult.documents.loops import outside_any_loop
from consult.documents.pki import common_name, role_of

# A certificate issued elsewhere may carry digitalSignature without nonRepudiation; pyHanko's
# default asks for nonRepudiation only. Either one is a signing certificate (as Adobe reads it).
KEY_USAGE: Final = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)

_REVOKED: Final[frozenset[AdESSubIndic]] = frozenset(
    {AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}
)
_EXPIRED: Final[frozenset[AdESSubIndic]] = frozenset(
    {
        AdESIndeterminate.EXPIRED,
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    }
)
_NOT_YET_VALID: Final[frozenset[AdESSubIndic]] = frozenset(
    {AdESFailure.NOT_YET_VALID, AdESIndeterminate.NOT_YET_VALID}
)
_REVOCATION_UNKNOWN: Final[frozenset[AdESSubIndic]] = frozenset(
    {AdESIndeterminate.TRY_LATER, AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE}
)


_CRL_REQUIRED: Final = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
    )
)


class NotAPdf(ValueError):
    """The bytes are not a PDF this module can read."""


@dataclass(frozen=True)
class SignatureReport:
    """One embedded signature, as judged by pyHanko (module docstring)."""

    field: str
    signer: str | None
    role: str | None
    signed_at: str | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_document: bool
    certification: bool = False
    modification_level: str | None = None
    problems: tuple[str, ...] = ()
    certificate: x509.Certificate | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "signer": self.signer,
            "role": self.role,
            "signed_at": self.signed_at,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "covers_whole_document": self.covers_whole_document,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class PdfReport:
    """Every signature of a PDF in signing order, and whether anything forbidden follows one."""

    signatures: tuple[SignatureReport, ...]
    modified_after_last_signature: bool

    @property
    def ok(self) -> bool:
        return (
            bool(self.signatures)
            and all(sig.intact and sig.valid for sig in self.signatures)
            and not self.modified_after_last_signature
        )

    @property
    def all_trusted(self) -> bool:
        return bool(self.signatures) and all(sig.trusted for sig in self.signatures)

    def as_json(self, file: str) -> dict[str, Any]:
        """The `consult pdf verify --json` document (INTERFACES.md §2, plus "problems")."""
        return {
            "file": file,
            "signatures": [sig.as_json() for sig in self.signatures],
            "modified_after_last_signature": self.modified_after_last_signature,
        }


# ------------------------------------------------------------------ helpers


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _crl_der(crl: bytes) -> bytes:
    if crl.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(crl).public_bytes(serialization.Encoding.DER)
    return crl


def _iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _read(pdf: bytes) -> PdfFileReader:
    if b"%PDF-" not in pdf[:1024]:
        raise NotAPdf("this is not a PDF file")
    try:
        reader = PdfFileReader(BytesIO(pdf))
        reader.root  # noqa: B018 - parse the catalog now: a broken file fails here, not later
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise NotAPdf(f"this PDF cannot be read: {exc}") from exc
    return reader


# ------------------------------------------------------------------ verification


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    crls: Iterable[bytes] = (),
    now: datetime | None = None,
    timestamp_roots: Sequence[x509.Certificate] = (),
) -> PdfReport:
    """Validate every signature in `pdf` (module docstring). `crls` are DER or PEM CRLs; `now`
    is the validation time (default `consult.clock.now()`). `timestamp_roots`: the roots of the
    RFC 3161 time-stamping authorities trusted for signature timestamps (a TSA does not chain to
    a community's CA); without them a timestamp is judged against `trust_roots` alone. Raises
    NotAPdf."""
    reader = _read(pdf)
    embedded: list[tuple[str, EmbeddedPdfSignature | None]] = []
    timestamps: list[EmbeddedPdfSignature] = []
    try:
        filled = list(enumerate_sig_fields(reader, filled_status=True))
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise NotAPdf(f"the PDF's form fields cannot be read: {exc}") from exc
    for name, _value, field_ref in filled:
        try:
            found = EmbeddedPdfSignature(reader, field_ref, name)
        # A damaged signature dictionary or CMS blob must become a report line, not a crash.
        except Exception:
            embedded.append((name, None))
            continue
        if found.sig_object_type != "/Sig":
            # A document timestamp (/DocTimeStamp) is signature maintenance, not a signer.
            timestamps.append(found)
            continue
        embedded.append((name, found))
    embedded.sort(key=lambda item: item[1].signed_revision if item[1] is not None else -1)

    crl_list = [_crl_der(crl) for crl in crls]
    context = ValidationContext(
        trust_roots=[_asn1(root) for root in trust_roots],
        crls=crl_list,
        allow_fetching=False,
        moment=now or clock.now(),
        # pyhanko-certvalidator's default consults CRLs only for certificates that name a CRL
        # distribution point; given CRLs, every signer's revocation status must come from them.
        revinfo_policy=_CRL_REQUIRED if crl_list else None,
    )
    ts_context = (
        ValidationContext(
            trust_roots=[_asn1(root) for root in (*timestamp_roots, *trust_roots)],
            allow_fetching=False,
        )
        if timestamp_roots
        else None
    )
    statuses = outside_any_loop(
        lambda: asyncio.run(_validate_all([sig for _name, sig in embedded], context, ts_context))
    )

    reports: list[SignatureReport] = []
    modified = False
    last = len(embedded) - 1
    for index, ((name, sig), status) in enumerate(zip(embedded, statuses, strict=True)):
        if sig is None or isinstance(status, BaseException) or status is None:
            reports.append(_unreadable(name, sig))  # not intact: the report is not ok
            continue
        is_last = index == last
        tail = is_last and _unsigned_tail(reader, sig, status, timestamps)
        report, forbidden = _judge(name, sig, status, is_last=is_last, unsigned_tail=tail)
        reports.append(report)
        modified = modified or forbidden
    return PdfReport(signatures=tuple(reports), modified_after_last_signature=modified)


def _unsigned_tail(
    reader: PdfFileReader,
    last: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    timestamps: list[EmbeddedPdfSignature],
) -> bool:
    """Whether bytes follow the last signature that are not a document timestamp's revision.

    pyHanko's difference analysis files changes to the Info dictionary, the XMP metadata stream
    and unreferenced objects under LTA_UPDATES, which it does not count as modifications; a
    document's title can then change after signing unnoticed. So anything after the last
    signature is judged here on its own: only document timestamp revisions may follow. (A DSS
    update for long-term validation would be reported too: pyHanko rewrites the XMP stream in the
    same revision, which cannot be told apart from a metadata change without a finer analysis;
    consult adds no DSS.)
    """
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return False
    after = [ts for ts in timestamps if ts.signed_revision > last.signed_revision]
    later_revisions = set(range(last.signed_revision + 1, reader.xrefs.total_revisions))
    if not after or later_revisions - {ts.signed_revision for ts in after}:
        return True
    final = max(after, key=lambda ts: ts.signed_revision)
    try:
        return final.evaluate_signature_coverage() != SignatureCoverageLevel.ENTIRE_FILE
    except (PdfError, ValueError, KeyError):
        return True


async def _validate_all(
    signatures: list[EmbeddedPdfSignature | None],
    context: ValidationContext,
    ts_context: ValidationContext | None = None,
) -> list[PdfSignatureStatus | BaseException | None]:
    results: list[PdfSignatureStatus | BaseException | None] = []
    for sig in signatures:
        if sig is None:
            results.append(None)
            continue
        try:
            results.append(
                await async_validate_pdf_signature(
                    sig,
                    signer_validation_context=context,
                    ts_validation_context=ts_context,
                    key_usage_settings=KEY_USAGE,
                )
            )
        # pyHanko raises on malformed signatures (unknown subfilter, broken CMS): report those.
        except Exception as exc:
            results.append(exc)
    return results


def _unreadable(name: str, sig: EmbeddedPdfSignature | None) -> SignatureReport:
    signer = role = None
    cert: x509.Certificate | None = None
    if sig is not None:
        try:
            cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
            signer, role = common_name(cert.subject), role_of(cert)
        except Exception:
            cert = None
    return SignatureReport(
        field=name,
        signer=signer,
        role=role,
        signed_at=None,
        intact=False,
        valid=False,
        trusted=False,
        covers_whole_document=False,
        problems=("unreadable",),
        certificate=cert,
    )


def _judge(
    name: str,
    sig: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    *,
    is_last: bool,
    unsigned_tail: bool,
) -> tuple[SignatureReport, bool]:
    problems: list[str] = []
    indic = status.trust_problem_indic
    revoked = status.revoked or indic in _REVOKED
    timestamp = status.timestamp_validity
    timestamp_ok = timestamp is None or (timestamp.intact and timestamp.valid and timestamp.trusted)

    if not status.intact:
        problems.append("not_intact")
    elif not status.valid:
        problems.append("bad_signature")
    if revoked:
        problems.append("revoked")
    elif indic in _EXPIRED:
        problems.append("expired")
    elif indic in _NOT_YET_VALID:
        problems.append("not_yet_valid")
    elif indic in _REVOCATION_UNKNOWN:
        problems.append("revocation_unknown")
    elif status.intact and status.valid and not status.trusted:
        problems.append("untrusted")
    if not timestamp_ok:
        problems.append("timestamp_invalid")
    if not status.seed_value_ok:
        problems.append("seed_value_violation")

    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        problems.append("incomplete_coverage")
    level = status.modification_level
    # After the last signature only signature maintenance may follow; after an earlier one,
    # other signatures and form filling may (they are FORM_FILLING in pyHanko's terms).
    allowed = ModificationLevel.LTA_UPDATES if is_last else ModificationLevel.FORM_FILLING
    forbidden = (
        unsigned_tail
        or status.docmdp_ok is False
        or level is None
        or level > allowed
        or coverage is None
        or coverage < SignatureCoverageLevel.ENTIRE_REVISION
    )
    if forbidden and "incomplete_coverage" not in problems:
        problems.append("modified_after_signing")

    valid = status.intact and status.valid and not revoked and timestamp_ok and status.seed_value_ok
    cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    signed_at = (
        timestamp.timestamp if timestamp is not None and timestamp_ok else status.signer_reported_dt
    )
    report = SignatureReport(
        field=name,
        signer=common_name(cert.subject),
        role=role_of(cert),
        signed_at=_iso_utc(signed_at),
        intact=status.intact,
        valid=valid,
        trusted=valid and status.trusted,
        covers_whole_document=coverage == SignatureCoverageLevel.ENTIRE_FILE,
        certification=_is_certification(sig),
        modification_level=level.name if level is not None else None,
        problems=tuple(problems),
        certificate=cert,
    )
    return report, forbidden


def _is_certification(sig: EmbeddedPdfSignature) -> bool:
    # A certification signature carries a DocMDP transform in its /Reference array.
    try:
        references = sig.sig_object["/Reference"]
    except KeyError:
        return False
    for ref in references:
        try:
            if ref.get_object()["/TransformMethod"] == "/DocMDP":
                return True
        except (KeyError, AttributeError):
            continue
    return False


__all__ = [
    "KEY_USAGE",
    "NotAPdf",
    "PdfReport",
    "SignatureReport",
    "verify_pdf",
]
