"""The RSA keys identity signs access tokens with (RS256, PyJWT over `cryptography`): made,
kept as PEM, published as a JWK, used to sign.

The keys live in identity's own store (handlers keep them); this module only does the
cryptography, so the same key reads the same in every replica.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"
# NIST SP 800-57 keeps 2048-bit RSA acceptable through 2030; 3072 would triple every signing.
KEY_BITS = 2048


def new_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass(frozen=True)
class SigningKey:
    """One key: `kid` names it in a token's header and in the JWKS. `retired` is when a newer
    key took over signing (None: it signs); it stays published until tokens it signed expire."""

    kid: str
    private_pem: str
    created: datetime
    retired: datetime | None = None

    @cached_property
    def _private(self) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._private, algorithm=ALGORITHM, headers={"kid": self.kid})

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._private.public_key()))
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}
