"""Signed photo URLs: a short-lived link an `<img>` can load without an Authorization header.

The service that may show a report (verification) signs the links of its photos; the one that
serves them (intake) checks the signature. Both hold `SIPOKAT_MEDIA_URL_SECRET`. The signature is
HMAC-SHA256 over `"{sha256}:{exp}"` (hex), `exp` a Unix time: a link is the photo's address, its
end of life and the proof that someone allowed to see the photo was handed it.
"""

from __future__ import annotations

import hashlib
import hmac
import math

SIGNATURE_PATTERN = r"^[0-9a-f]{64}$"
# Links end on a whole step, so one photo's link stays the same for a while: a list fetched
# again a minute later hands the phone the same URLs, which its cache already holds.
STEP_SECONDS = 900


class MediaSigner:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def sign(self, sha256: str, exp: int) -> str:
        message = f"{sha256}:{exp}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def verify(self, sha256: str, exp: int, sig: str, now: float) -> bool:
        """The signature is this secret's for (sha256, exp) and exp has not passed."""
        if exp <= now:
            return False
        return hmac.compare_digest(self.sign(sha256, exp), sig)

    def expiry(self, now: float, seconds: int) -> int:
        """At least `seconds` from now, rounded up to a whole step."""
        return math.ceil((now + seconds) / STEP_SECONDS) * STEP_SECONDS

    def url(self, sha256: str, now: float, seconds: int) -> str:
        exp = self.expiry(now, seconds)
        return f"/v1/attachments/{sha256}?exp={exp}&sig={self.sign(sha256, exp)}"
