"""HTTPS: the TLS context of a device's certificate, and its options (--tls-cert, --tls-key)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from ..core.options import option


@dataclass(frozen=True)
class TlsOptions:
    tls_cert: str | Path | None = option(
        flag="--tls-cert",
        metavar="FILE",
        help="serve HTTPS with this PEM certificate (with --tls-key)",
        fleet=True,
        read=str,
        path=True,
    )
    tls_key: str | Path | None = option(
        flag="--tls-key",
        metavar="FILE",
        help="the PEM private key of --tls-cert",
        fleet=True,
        read=str,
        path=True,
    )


def tls_context(cert_file: str | Path, key_file: str | Path) -> ssl.SSLContext:
    """A server context for TLS 1.2 and later; ValueError naming the file that cannot be used."""
    for path in (cert_file, key_file):
        if not Path(path).is_file():
            raise ValueError(f"TLS file not found or not a file: {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as error:
        raise ValueError(
            f"cannot load the TLS certificate {cert_file} with key {key_file}: {error}"
        ) from None
    return context
