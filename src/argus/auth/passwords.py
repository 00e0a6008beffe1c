"""Admin password hashing with bcrypt (the seed's ``ADMIN_PASSWORD_HASH`` format).

:func:`check_login` costs one bcrypt run whatever the user name: an unknown user (or no hash at
all) is checked against a dummy hash of the same cost, so the answer time does not tell whether
a user name exists. bcrypt is slow on purpose: callers on the event loop run it in a thread.
"""

from __future__ import annotations

import functools
import hmac

import bcrypt

# bcrypt only reads the first 72 bytes; longer passwords are refused rather than truncated.
MAX_PASSWORD_BYTES = 72


def hash_password(password: str) -> str:
    raw = password.encode()
    if not raw or len(raw) > MAX_PASSWORD_BYTES:
        raise ValueError(f"a password must be 1 to {MAX_PASSWORD_BYTES} bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt()).decode()


def verify_password(password: str, hashed: str) -> bool:
    """True when ``password`` matches; False for any malformed hash or over-long password."""
    raw = password.encode()
    if len(raw) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode())
    except ValueError:
        return False


@functools.cache
def _dummy_hash(cost: int) -> bytes:
    return bcrypt.hashpw(b"argus-no-such-user", bcrypt.gensalt(rounds=cost))


def _cost(hashed: str | None) -> int:
    """The work factor of a ``$2b$12$...`` hash; 12 (bcrypt's default) when unreadable."""
    parts = (hashed or "").split("$")
    return (
        int(parts[2]) if len(parts) > 3 and parts[2].isdigit() and 4 <= int(parts[2]) <= 31 else 12
    )


def check_login(username: str, password: str, *, expected_user: str, hashed: str | None) -> bool:
    """Whether ``username``/``password`` is the admin, in one bcrypt run's time either way."""
    user_ok = hmac.compare_digest(username.encode(), expected_user.encode())
    if user_ok and hashed is not None:
        return verify_password(password, hashed)
    raw = password.encode()[:MAX_PASSWORD_BYTES] or b"-"
    bcrypt.checkpw(raw, _dummy_hash(_cost(hashed)))
    return False
