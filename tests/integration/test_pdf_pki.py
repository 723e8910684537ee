"""The community PKI for signed minutes (consult/documents/pki.py): CA, signer certificates,
PKCS#12 bundles, CRLs. No app, no database."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtensionOID, NameOID

from consult.documents import pki

pytestmark = pytest.mark.integration

NOW = datetime(2026, 10, 12, 6, 0, tzinfo=UTC)
COMMUNITY = "幸福里社区居民委员会"
PASSPHRASE = "长城 长江 黄河 泰山"


@pytest.fixture(scope="module")
def ca() -> pki.CertificateAuthority:
    return pki.make_community_ca(COMMUNITY, "XFL-001", now=NOW)


@pytest.fixture(scope="module")
def recorder(ca: pki.CertificateAuthority) -> pki.SignerIdentity:
    return pki.issue_signer_certificate(
        ca,
        person_name="李𠮷",
        role="recorder",
        community_name=COMMUNITY,
        user_id=42,
        now=NOW,
        serial=4242,
        crl_url="https://consult.example/communities/XFL-001/crl",
    )


@pytest.fixture(scope="module")
def bundle(recorder: pki.SignerIdentity) -> bytes:
    return pki.pack_pkcs12(recorder, PASSPHRASE)


def _ku(cert: x509.Certificate) -> x509.KeyUsage:
    return cert.extensions.get_extension_for_class(x509.KeyUsage).value


def test_the_community_ca_is_a_constrained_rsa_3072_root(ca: pki.CertificateAuthority) -> None:
    cert = ca.certificate
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 3072
    assert cert.subject == cert.issuer
    cert.verify_directly_issued_by(cert)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca is True
    assert constraints.value.path_length == 0
    usage = _ku(cert)
    assert usage.key_cert_sign
    assert usage.crl_sign
    assert not usage.digital_signature
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == COMMUNITY
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "XFL-001"
    assert pki.common_name(cert.subject) == f"{COMMUNITY} 签名证书颁发机构"
    years = (cert.not_valid_after_utc - NOW).days / 365.25
    assert 19.9 < years < 20.1


def test_the_ca_key_is_stored_encrypted_and_loads_back(ca: pki.CertificateAuthority) -> None:
    pem = pki.ca_key_pem(ca, b"field-key-derived-password")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = pki.load_ca(ca.certificate_pem(), pem, b"field-key-derived-password")
    assert loaded.certificate == ca.certificate
    assert loaded.private_key.private_numbers() == ca.private_key.private_numbers()
    with pytest.raises(pki.WrongPassphrase):
        pki.load_ca(ca.certificate_pem(), pem, b"another password")
    with pytest.raises(ValueError, match="non-empty"):
        pki.ca_key_pem(ca, b"")


def test_a_ca_key_that_belongs_to_another_ca_is_refused(ca: pki.CertificateAuthority) -> None:
    other = pki.make_community_ca("别的社区", "OTHER", now=NOW)
    with pytest.raises(pki.PkiError, match="does not belong"):
        pki.load_ca(ca.certificate_pem(), pki.ca_key_pem(other, b"pw"), b"pw")


def test_a_signer_certificate_carries_name_role_community_and_user(
    ca: pki.CertificateAuthority, recorder: pki.SignerIdentity
) -> None:
    cert = recorder.certificate
    cert.verify_directly_issued_by(ca.certificate)
    assert recorder.private_key.key_size == 3072
    assert cert.serial_number == 4242
    assert pki.common_name(cert.subject) == "李𠮷"
    # The role lives in the X.520 title attribute, machine-readable; OU has the Chinese label.
    assert cert.subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "recorder"
    unit = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
    assert unit == "记录人"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == COMMUNITY
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == "42"
    assert pki.role_of(cert) == "recorder"
    assert recorder.role == "recorder"
    assert recorder.person_name == "李𠮷"

    usage = _ku(cert)
    assert usage.digital_signature
    assert usage.content_commitment
    assert not usage.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ca_ski.digest
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(recorder.private_key.public_key())
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name == [
        x509.UniformResourceIdentifier("https://consult.example/communities/XFL-001/crl")
    ]
    years = (cert.not_valid_after_utc - NOW).days / 365.25
    assert 4.9 < years < 5.1
    assert recorder.chain == (ca.certificate,)


def test_a_signer_certificate_needs_a_known_role_and_an_aware_time(
    ca: pki.CertificateAuthority,
) -> None:
    with pytest.raises(ValueError, match="role"):
        pki.issue_signer_certificate(
            ca, person_name="张三", role="treasurer", community_name=COMMUNITY, user_id=1, now=NOW
        )
    with pytest.raises(ValueError, match="timezone"):
        pki.issue_signer_certificate(
            ca,
            person_name="张三",
            role="chair",
            community_name=COMMUNITY,
            user_id=1,
            now=NOW.replace(tzinfo=None),
        )


def test_pkcs12_round_trip_with_a_chinese_passphrase(
    recorder: pki.SignerIdentity, bundle: bytes
) -> None:
    opened = pki.open_pkcs12(bundle, PASSPHRASE)
    assert opened.certificate == recorder.certificate
    assert opened.private_key.private_numbers() == recorder.private_key.private_numbers()
    assert opened.chain == recorder.chain
    assert opened.role == "recorder"


def test_pkcs12_is_strongly_encrypted_with_a_slow_mac(bundle: bytes) -> None:
    pfx = asn1_pkcs12.Pfx.load(bundle)
    mac = pfx["mac_data"]
    # cryptography alone would write the MAC with 2,048 iterations: a cheap passphrase oracle.
    assert mac["iterations"].native == pki.PKCS12_ITERATIONS >= 600_000
    assert mac["mac"]["digest_algorithm"]["algorithm"].native == "sha256"
    # The key bag: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC at the same iteration count.
    safe_contents = pfx.authenticated_safe
    schemes = []
    for content_info in safe_contents:
        if content_info["content_type"].native == "data":
            for bag in asn1_pkcs12.SafeContents.load(content_info["content"].native):
                if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                    schemes.append(bag["bag_value"]["encryption_algorithm"])
    assert schemes, "no shrouded key bag found"
    params = schemes[0]["parameters"]
    assert schemes[0]["algorithm"].native == "pbes2"
    assert params["encryption_scheme"]["algorithm"].native == "aes256_cbc"
    kdf = params["key_derivation_func"]["parameters"]
    assert kdf["iteration_count"].native == pki.PKCS12_ITERATIONS
    assert kdf["prf"]["algorithm"].native == "sha256"


def test_a_wrong_passphrase_is_refused(bundle: bytes) -> None:
    with pytest.raises(pki.WrongPassphrase):
        pki.open_pkcs12(bundle, "长城 长江 黄河 华山")
    with pytest.raises(pki.WrongPassphrase):
        pki.open_pkcs12(bundle, "")


def test_the_passphrase_is_compared_in_nfc(ca: pki.CertificateAuthority) -> None:
    identity = pki.issue_signer_certificate(
        ca, person_name="José", role="chair", community_name=COMMUNITY, user_id=7, now=NOW
    )
    composed = "Café-密码"
    data = pki.pack_pkcs12(identity, composed)
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert pki.open_pkcs12(data, decomposed).certificate == identity.certificate


@pytest.mark.parametrize(
    "data", [b"", b"not a certificate file", b"-----BEGIN CERTIFICATE-----\n", bytes(300)]
)
def test_garbage_is_not_a_pkcs12(data: bytes) -> None:
    with pytest.raises(pki.NotAPkcs12):
        pki.open_pkcs12(data, PASSPHRASE)


def test_a_pkcs12_issued_elsewhere_loads() -> None:
    """A bundle from another CA, made the way other tools make them (default encryption, no
    title, digitalSignature only): it loads, with no consult role."""
    foreign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Foreign Test CA")])
    foreign_ca = (
        x509.CertificateBuilder()
        .subject_name(foreign_name)
        .issuer_name(foreign_name)
        .public_key(foreign_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(foreign_key, hashes.SHA256())
    )
    user_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    user_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "王外人")]))
        .issuer_name(foreign_name)
        .public_key(user_key.public_key())
        .serial_number(99)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .sign(foreign_key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"wang",
        user_key,
        user_cert,
        [foreign_ca],
        serialization.BestAvailableEncryption(b"foreign-pass"),
    )
    identity = pki.open_pkcs12(data, "foreign-pass")
    assert identity.certificate == user_cert
    assert identity.chain == (foreign_ca,)
    assert identity.role is None
    assert identity.person_name == "王外人"
    with pytest.raises(pki.WrongPassphrase):
        pki.open_pkcs12(data, "wrong")


def test_a_non_rsa_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EC")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"ec", key, cert, None, serialization.BestAvailableEncryption(b"pw")
    )
    with pytest.raises(pki.UnsupportedKey):
        pki.open_pkcs12(data, "pw")


def test_a_crl_lists_the_revoked_serials(
    ca: pki.CertificateAuthority, recorder: pki.SignerIdentity
) -> None:
    revoked_at = NOW - timedelta(hours=2)
    der = pki.make_crl(ca, [(recorder.certificate.serial_number, revoked_at)], now=NOW)
    crl = x509.load_der_x509_crl(der)
    assert crl.is_signature_valid(ca.private_key.public_key())
    assert crl.issuer == ca.certificate.subject
    assert crl.last_update_utc == NOW
    assert crl.next_update_utc == NOW + timedelta(days=7)
    entry = crl.get_revoked_certificate_by_serial_number(recorder.certificate.serial_number)
    assert entry is not None
    assert entry.revocation_date_utc == revoked_at
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > 0
    pem = pki.crl_pem(der)
    assert pem.startswith(b"-----BEGIN X509 CRL-----")
    assert x509.load_pem_x509_crl(pem) == crl
    empty = x509.load_der_x509_crl(pki.make_crl(ca, [], now=NOW, next_update_days=1))
    assert len(empty) == 0
    assert empty.next_update_utc == NOW + timedelta(days=1)


def test_describe_certificate_for_the_ui(
    ca: pki.CertificateAuthority, recorder: pki.SignerIdentity
) -> None:
    described = pki.describe_certificate(recorder.certificate)
    fingerprint = recorder.certificate.fingerprint(hashes.SHA256()).hex().upper()
    assert described == {
        "subject": "李𠮷",
        "role": "recorder",
        "role_label": "记录人",
        "community": COMMUNITY,
        "user_id": 42,
        "issuer": f"{COMMUNITY} 签名证书颁发机构",
        "serial": "1092",
        "not_before": (NOW - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
        "not_after": recorder.certificate.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
        "sha256_fingerprint": ":".join(
            fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)
        ),
    }
    ca_described = pki.describe_certificate(ca.certificate)
    assert ca_described["role"] is None
    assert ca_described["user_id"] is None
