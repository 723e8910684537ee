"""Signature timestamps (RFC 3161, issue 5's optional timestamp service): a timestamp from an
authority whose root consult is told to trust (CONSULT_TIMESTAMP_ROOTS) keeps the signature
valid and dates it; the same timestamp without that root is reported `timestamp_invalid`.
A local authority (pyHanko's DummyTimeStamper) stands in for the network service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import weasyprint
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

from consult.documents import pki
from consult.documents.signing import sign_pdf
from consult.documents.verify import verify_pdf

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _time_stamping_authority() -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    """A root and a TSA certificate it issued (EKU timeStamping, critical, as RFC 3161 asks)."""
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA Root"))
        .issuer_name(_name("Test TSA Root"))
        .public_key(root_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA"))
        .issuer_name(root.subject)
        .public_key(tsa_key.public_key())
        .serial_number(2)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, tsa, tsa_key


def test_a_trusted_timestamp_keeps_the_signature_valid() -> None:
    root, tsa, tsa_key = _time_stamping_authority()
    ca = pki.make_community_ca("和平里社区", "heping", now=NOW)
    signer = pki.issue_signer_certificate(
        ca, person_name="李记录", role="recorder", community_name="和平里社区", user_id=1, now=NOW
    )
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        fixed_dt=NOW,
    )
    plain = bytes(weasyprint.HTML(string="<p>会议记录</p>").write_pdf())
    signed = sign_pdf(
        plain, signer, field="sig-recorder", certify=True, signed_at=NOW, timestamper=stamper
    )
    trusted = verify_pdf(signed, trust_roots=[ca.certificate], timestamp_roots=[root], now=NOW)
    assert trusted.ok
    assert trusted.all_trusted
    assert trusted.signatures[0].signed_at is not None
    assert trusted.signatures[0].signed_at.startswith("2026-12-01T08:00")
    unknown = verify_pdf(signed, trust_roots=[ca.certificate], now=NOW)
    assert not unknown.ok
    assert "timestamp_invalid" in unknown.signatures[0].problems
