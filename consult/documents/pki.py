"""The community's small PKI for signed minutes (issue 5): a CA per community, a certificate and
passphrase-protected key (PKCS#12) per signer, CRLs, and a description of a certificate for the UI.

Pure library code on `cryptography`: no Flask, no database. The service stores the bytes this
module returns (CA key PEM, PKCS#12 bundles, CRLs) and passes them back in.

Key type is RSA-3072 with SHA-256 throughout (shared/design/DOCUMENTS.md "Signing": Debian 12's
pdfsig cannot verify Ed25519, and ECDSA makes pyHanko mark the file PDF 2.0, which conflicts with
PDF/A-3).

Where the role lives: a signer certificate's subject carries the machine-readable role
("chair" | "recorder" | "supervisor") in the X.520 `title` attribute (OID 2.5.4.12), and its
Chinese label (主持人 / 记录人 / 监督委员会成员) in `organizationalUnitName`. `role_of(cert)` reads
the title; a certificate issued elsewhere usually has no title and then has no role (None).
The consult user id is in the subject's `userId` attribute (OID 0.9.2342.19200300.100.1.1); the
community code is in the CA subject's `serialNumber` attribute.

No extendedKeyUsage is set on signer certificates: an absent EKU restricts nothing, pyHanko's
validator requires none, and verifiers that know only a few EKUs (emailProtection, Adobe's)
would reject a documentSigning-only certificate. keyUsage is digitalSignature + nonRepudiation
(contentCommitment): pyHanko's default validation asks for nonRepudiation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Final, Literal, TypedDict

from asn1crypto import algos as asn1_algos
from asn1crypto import core as asn1_core
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

RSA_BITS: Final = 3072
CA_VALIDITY: Final = timedelta(days=20 * 365 + 5)  # 20 years, leap days included
SIGNER_VALIDITY: Final = timedelta(days=5 * 365 + 1)  # 5 years
# PBKDF2-HMAC-SHA256 iterations for the PKCS#12 key and certificate bags, and (see _strengthen_mac)
# for its integrity MAC: OWASP's 2023 figure for PBKDF2-SHA256. Measured on the 2-core machine:
# packing ≈ 0.6 s, opening ≈ 0.8 s (including the RSA key check). Signing is rare; a stolen
# bundle is what this number defends.
PKCS12_ITERATIONS: Final = 600_000

Role = Literal["chair", "recorder", "supervisor", "staff"]
ROLES: Final[tuple[Role, ...]] = ("chair", "recorder", "supervisor", "staff")
ROLE_LABELS: Final[dict[str, str]] = {
    "chair": "主持人",
    "recorder": "记录人",
    "supervisor": "监督委员会成员",
    # Issue 6: the committee's staff sign a disclosure before a supervisor countersigns.
    "staff": "公开经办人",
}


class PkiError(Exception):
    """Base class of this module's errors."""


class WrongPassphrase(PkiError):
    """The PKCS#12 bundle is well-formed but the passphrase does not open it."""


class NotAPkcs12(PkiError):
    """The bytes are not a PKCS#12 (PFX) bundle, or it holds no key and certificate."""


class UnsupportedKey(PkiError):
    """The bundle holds a key consult cannot sign PDF/A with (only RSA, DOCUMENTS.md)."""


@dataclass(frozen=True)
class CertificateAuthority:
    """A community's CA: its self-signed certificate and private key (loaded, reusable)."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True, eq=False)
class SignerIdentity:
    """A signer's certificate, its loaded private key and the CA certificates above it.

    Loading an RSA key costs ~0.1-0.2 s (DOCUMENTS.md "Signing"): keep this object rather than
    the PKCS#12 bytes when one process signs several times. `signing.py` builds its pyHanko
    signer from it once (cached on the object).
    """

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...] = field(default_factory=tuple)

    @cached_property
    def person_name(self) -> str:
        return common_name(self.certificate.subject) or ""

    @cached_property
    def role(self) -> str | None:
        return role_of(self.certificate)


class CertificateDescription(TypedDict):
    """What the UI shows about a certificate (`describe_certificate`)."""

    subject: str
    role: str | None
    role_label: str | None
    community: str | None
    user_id: int | None
    issuer: str
    serial: str
    not_before: str
    not_after: str
    sha256_fingerprint: str


# ------------------------------------------------------------------ names


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def common_name(name: x509.Name) -> str | None:
    return _attr(name, NameOID.COMMON_NAME)


def role_of(cert: x509.Certificate) -> str | None:
    """The machine-readable role in a consult-issued certificate (`title`), or None."""
    role = _attr(cert.subject, NameOID.TITLE)
    return role if role in ROLES else None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC)


# ------------------------------------------------------------------ the CA


_PRINTABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")


def _printable(text: str) -> bool:
    """Whether X.520 PrintableString can hold `text`."""
    return bool(text) and set(text) <= _PRINTABLE


def make_community_ca(
    community_name: str, community_code: str, *, now: datetime
) -> CertificateAuthority:
    """A new self-signed CA for one community: RSA-3072, CA:true pathlen 0, 20 years."""
    if not community_name.strip() or not community_code.strip():
        raise ValueError("a community CA needs a name and a code")
    now = _utc(now)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, community_name),
            # serialNumber is a PrintableString: a community code in Chinese goes into the OU.
            *(
                [x509.NameAttribute(NameOID.SERIAL_NUMBER, community_code)]
                if _printable(community_code)
                else [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, community_code)]
            ),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{community_name} 签名证书颁发机构"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A minute of slack: a certificate issued "now" must already be valid for a signature
        # made in the same second on a machine whose clock is slightly behind.
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
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
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(certificate=cert, private_key=key)


def ca_key_pem(ca: CertificateAuthority, password: bytes) -> bytes:
    """The CA private key as PKCS#8 PEM, encrypted with `password` (best available scheme)."""
    if not password:
        raise ValueError("the CA key must be encrypted: give a non-empty password")
    return ca.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )


def load_ca(cert_pem: bytes, key_pem: bytes, password: bytes) -> CertificateAuthority:
    """The CA back from its certificate PEM and encrypted key PEM.

    Raises WrongPassphrase if the password does not decrypt the key, PkiError if the key does not
    belong to the certificate or is not RSA.
    """
    cert = x509.load_pem_x509_certificate(cert_pem)
    try:
        key = serialization.load_pem_private_key(key_pem, password=password)
    except (ValueError, TypeError) as exc:
        # cryptography raises ValueError for a wrong password and for a corrupt key alike.
        raise WrongPassphrase("the CA key does not open with this password") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UnsupportedKey("the CA key is not an RSA key")
    if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise PkiError("the CA key does not belong to the CA certificate")
    return CertificateAuthority(certificate=cert, private_key=key)


# ------------------------------------------------------------------ signers


def issue_signer_certificate(
    ca: CertificateAuthority,
    *,
    person_name: str,
    role: str,
    community_name: str,
    user_id: int,
    now: datetime,
    serial: int | None = None,
    crl_url: str | None = None,
) -> SignerIdentity:
    """A new RSA-3072 key and a 5-year signing certificate from the community CA.

    Subject: CN=person, title=role (machine-readable), OU=role in Chinese, O=community,
    userId=consult user id. keyUsage digitalSignature+nonRepudiation, no EKU (module docstring),
    AKI/SKI, and a CRL distribution point when `crl_url` is given. The validity never outlasts the
    CA's.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not person_name.strip():
        raise ValueError("a signer certificate needs the person's name")
    now = _utc(now)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, community_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ROLE_LABELS[role]),
            x509.NameAttribute(NameOID.TITLE, role),
            x509.NameAttribute(NameOID.USER_ID, str(user_id)),
            x509.NameAttribute(NameOID.COMMON_NAME, person_name),
        ]
    )
    not_after = min(now + SIGNER_VALIDITY, ca.certificate.not_valid_after_utc)
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    if crl_url is not None:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    cert = builder.sign(ca.private_key, hashes.SHA256())
    return SignerIdentity(certificate=cert, private_key=key, chain=(ca.certificate,))


# ------------------------------------------------------------------ PKCS#12


def _passphrase_bytes(passphrase: str) -> bytes:
    # NFC: the same passphrase typed through different input methods must open the same bundle.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def pack_pkcs12(identity: SignerIdentity, passphrase: str) -> bytes:
    """The identity as a PKCS#12 bundle: AES-256-CBC with PBKDF2-HMAC-SHA256 (600,000
    iterations) for the key and certificates, an HMAC-SHA256 integrity MAC, the CA certificate(s)
    included. The friendly name is the person's name."""
    if not passphrase:
        raise ValueError("a PKCS#12 bundle needs a non-empty passphrase")
    password = _passphrase_bytes(passphrase)
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(PKCS12_ITERATIONS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password)
    )
    der = pkcs12.serialize_key_and_certificates(
        identity.person_name.encode("utf-8") or None,
        identity.private_key,
        identity.certificate,
        list(identity.chain) or None,
        encryption,
    )
    return _strengthen_mac(der, unicodedata.normalize("NFC", passphrase))


def _strengthen_mac(der: bytes, passphrase: str) -> bytes:
    """Recompute the PKCS#12 MAC with PKCS12_ITERATIONS instead of cryptography's fixed 2,048.

    cryptography lets us choose the PBKDF2 rounds of the encrypted bags but always writes the
    integrity MAC with 2,048 iterations of the RFC 7292 KDF; since a wrong passphrase is rejected
    by that MAC, it is the cheapest oracle for guessing a stolen bundle's passphrase. Replacing it
    with an equally slow MAC makes every guess cost as much as opening the key.
    """
    pfx = asn1_pkcs12.Pfx.load(der)
    content = pfx["auth_safe"]["content"]
    signed_bytes = content.native if isinstance(content, asn1_core.OctetString) else None
    if not isinstance(signed_bytes, bytes):  # pragma: no cover - cryptography always writes data
        raise PkiError("unexpected PKCS#12 layout from cryptography")
    salt = secrets.token_bytes(16)
    key = _pkcs12_kdf_sha256(passphrase, salt, PKCS12_ITERATIONS)
    mac = hmac.new(key, signed_bytes, hashlib.sha256).digest()
    mac_data = asn1_pkcs12.MacData(
        {
            "mac": asn1_algos.DigestInfo(
                {
                    "digest_algorithm": asn1_algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "digest": mac,
                }
            ),
            "mac_salt": salt,
            "iterations": PKCS12_ITERATIONS,
        }
    )
    out = asn1_pkcs12.Pfx({"version": 3, "auth_safe": pfx["auth_safe"], "mac_data": mac_data})
    return out.dump()


def _pkcs12_kdf_sha256(passphrase: str, salt: bytes, iterations: int) -> bytes:
    """RFC 7292 Appendix B.2 key derivation, ID 3 (MAC key), SHA-256, one 32-byte block.

    The password is BMPString (UTF-16BE, two NUL bytes at the end), as OpenSSL derives it from a
    UTF-8 password; a single output block needs no update of I between rounds.
    """
    v = 64  # SHA-256 block size
    password = passphrase.encode("utf-16-be") + b"\x00\x00"

    def fill(data: bytes) -> bytes:
        if not data:
            return b""
        length = v * ((len(data) + v - 1) // v)
        return (data * (length // len(data) + 1))[:length]

    block = hashlib.sha256(bytes([3]) * v + fill(salt) + fill(password)).digest()
    for _ in range(iterations - 1):
        block = hashlib.sha256(block).digest()
    return block


def _looks_like_pfx(data: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native in (
            "data",
            "signed_data",
        )
    except (ValueError, TypeError, KeyError):
        return False


def open_pkcs12(data: bytes, passphrase: str) -> SignerIdentity:
    """The identity in a PKCS#12 bundle, consult's or one issued elsewhere (any RSA key with its
    certificate; further certificates become the chain).

    Raises NotAPkcs12 for bytes that are not a PFX structure (or hold no key and certificate),
    WrongPassphrase when the passphrase does not open a well-formed bundle, UnsupportedKey for a
    non-RSA key (DOCUMENTS.md: RSA keeps pdfsig and PDF/A happy).
    """
    if not _looks_like_pfx(data):
        raise NotAPkcs12("this is not a PKCS#12 (.p12/.pfx) file")
    try:
        bundle = pkcs12.load_pkcs12(data, _passphrase_bytes(passphrase))
    except ValueError as exc:
        # A well-formed PFX that does not open: cryptography says "Invalid password or PKCS12
        # data"; the structure was checked above, so it is the passphrase.
        raise WrongPassphrase("the passphrase does not open this certificate file") from exc
    if bundle.key is None or bundle.cert is None:
        raise NotAPkcs12("the PKCS#12 file holds no private key with its certificate")
    key = bundle.key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UnsupportedKey("only RSA keys can sign consult's PDF/A documents")
    cert = bundle.cert.certificate
    if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise NotAPkcs12("the PKCS#12 file's key does not belong to its certificate")
    chain = tuple(extra.certificate for extra in bundle.additional_certs)
    return SignerIdentity(certificate=cert, private_key=key, chain=chain)


# ------------------------------------------------------------------ CRLs


def make_crl(
    ca: CertificateAuthority,
    revoked: list[tuple[int, datetime]],
    *,
    now: datetime,
    next_update_days: int = 7,
    crl_number: int | None = None,
) -> bytes:
    """A DER CRL signed by the CA listing (serial, revoked_at) pairs.

    `crl_number` must grow with each CRL the CA issues; by default it is `now` in seconds since
    the epoch, which grows as long as CRLs are not issued twice in one second.
    """
    now = _utc(now)
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now)
        .next_update(now + timedelta(days=next_update_days))
        .add_extension(
            x509.CRLNumber(crl_number if crl_number is not None else int(now.timestamp())),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    for serial, revoked_at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(_utc(revoked_at))
            .build()
        )
    crl = builder.sign(ca.private_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def crl_pem(crl_der: bytes) -> bytes:
    """A DER CRL as PEM (for publishing as text)."""
    crl = x509.load_der_x509_crl(crl_der)
    return crl.public_bytes(serialization.Encoding.PEM)


# ------------------------------------------------------------------ for the UI


def describe_certificate(cert: x509.Certificate) -> CertificateDescription:
    """Subject name, role, community, serial, validity and SHA-256 fingerprint, for display."""
    role = role_of(cert)
    user_id_text = _attr(cert.subject, NameOID.USER_ID)
    fingerprint = cert.fingerprint(hashes.SHA256()).hex().upper()
    return CertificateDescription(
        subject=common_name(cert.subject) or cert.subject.rfc4514_string(),
        role=role,
        role_label=ROLE_LABELS[role] if role is not None else None,
        community=_attr(cert.subject, NameOID.ORGANIZATION_NAME),
        user_id=int(user_id_text) if user_id_text and user_id_text.isdigit() else None,
        issuer=common_name(cert.issuer) or cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before_utc.isoformat().replace("+00:00", "Z"),
        not_after=cert.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
        sha256_fingerprint=":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)),
    )
