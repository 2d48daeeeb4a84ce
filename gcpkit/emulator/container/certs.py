"""Each emulated cluster's certificate authority: a self-signed CA certificate, made once when the
cluster is created and stored with it (masterAuth.clusterCaCertificate is its base64 PEM, as GKE
answers). The private key is kept too (never rendered) so that the Kubernetes API emulation can
issue a serving certificate the official client will verify against this CA.

An EC P-256 key rather than GKE's RSA: generating one takes microseconds, not tens of milliseconds,
and clients treat both alike.
"""

from __future__ import annotations

import base64
import datetime
import uuid


def new_ca(now: float) -> tuple[str, str]:
    """(certificate PEM, private key PEM) of a fresh CA valid for 30 years from `now`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(uuid.uuid4()))])
    start = datetime.datetime.fromtimestamp(now, datetime.timezone.utc) - datetime.timedelta(hours=1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=30 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert_pem, key_pem


def b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()
