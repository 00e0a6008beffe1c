"""Admin tokens: HS256 JWTs with ``sub`` = admin user, an id (``jti``) and an expiry.

The signing key is the configured ``auth.jwt_secret``, else a random key created once and kept in
``<data_dir>/jwt-secret`` (mode 0600), so tokens survive restarts without configuration. Logout
revokes a token's ``jti`` in this process until the token would have expired anyway.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt

from argus.config import Settings

ALGORITHM = "HS256"


def signing_key(settings: Settings) -> str:
    if settings.auth.jwt_secret is not None:
        return settings.auth.jwt_secret.get_secret_value()
    path = settings.data_dir / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        tmp.replace(path)
    return Path(path).read_text().strip()


@dataclass(frozen=True)
class AdminToken:
    subject: str
    token_id: str
    expires_at: float


class TokenIssuer:
    """Issues and checks admin tokens; remembers logged-out token ids until they expire."""

    def __init__(self, settings: Settings) -> None:
        self._key = signing_key(settings)
        self._ttl = settings.auth.jwt_expire_s
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, subject: str) -> tuple[str, int]:
        """A signed token for ``subject`` and its lifetime in seconds."""
        now = int(time.time())
        claims = {"sub": subject, "jti": uuid.uuid4().hex, "iat": now, "exp": now + self._ttl}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), self._ttl

    def check(self, token: str) -> AdminToken | None:
        """The token's claims when it is well signed, unexpired and not logged out."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
            )
        except jwt.PyJWTError:
            return None
        token_id = str(claims.get("jti", ""))
        with self._lock:
            if token_id in self._revoked:
                return None
        return AdminToken(str(claims["sub"]), token_id, float(claims["exp"]))

    def revoke(self, token: AdminToken) -> None:
        now = time.time()
        with self._lock:
            self._revoked = {k: v for k, v in self._revoked.items() if v > now}
            self._revoked[token.token_id] = token.expires_at
