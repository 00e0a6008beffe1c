"""The admin password and its first run: a one-time set-up token when no password exists yet.

The password is ``ARGUS_AUTH__ADMIN_PASSWORD_HASH`` (bcrypt, the seed's format) when set, else a
hash kept in ``<data_dir>/admin-password-hash`` by a first run. With neither, :class:`AdminPassword`
makes a random one-time set-up token at start-up; the server's log prints it as a link to
``/admin#setup=<token>`` and the admin page offers a "set the password" form that takes it. The
token lives only in this process's memory (a restart prints a new one), is compared in constant
time, and is spent by the first successful set-up; after that it is refused. Several server
processes on one data dir each print a token; the first set-up creates the file (exclusively)
and the others read it. A hash from the environment always wins over the file, so ``argus admin
set-password`` keeps working as before.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from argus.auth.passwords import hash_password
from argus.config import Settings
from argus.errors import AlreadySet, Forbidden

HASH_FILE = "admin-password-hash"


class AdminPassword:
    """Where the admin password hash comes from, and the first-run token while there is none."""

    def __init__(self, settings: Settings) -> None:
        configured = settings.auth.admin_password_hash
        self.path: Path = settings.data_dir / HASH_FILE
        self._hash: str | None = configured.get_secret_value() if configured else None
        self._refresh()
        self.setup_token: str | None = None if self._hash else secrets.token_urlsafe(18)

    def _refresh(self) -> None:
        """Pick up a password another server process (same data dir) set meanwhile."""
        if self._hash is None and self.path.is_file():
            self._hash = self.path.read_text().strip() or None
            if self._hash is not None:
                self.setup_token = None

    @property
    def hash(self) -> str | None:
        """The bcrypt hash logins are checked against; None until a password exists."""
        self._refresh()
        return self._hash

    @property
    def setup_needed(self) -> bool:
        return self.hash is None

    def check_token(self, token: str) -> None:
        """Raise unless ``token`` is the live set-up token (AlreadySet, Forbidden)."""
        if self.hash is not None or self.setup_token is None:
            raise AlreadySet("The admin password is already set: sign in with it.")
        if not secrets.compare_digest(token.encode(), self.setup_token.encode()):
            raise Forbidden(
                "Wrong set-up token: use the one the server printed in its log at start-up."
            )

    def set(self, token: str, password: str) -> None:
        """Hash ``password`` and keep it (file mode 0600), spending the token. Blocking (bcrypt):
        call it in a thread. ``ValueError`` for a password bcrypt refuses (empty, > 72 bytes)."""
        self.check_token(token)
        hashed = hash_password(password)
        self.check_token(token)  # nobody else finished a set-up meanwhile
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: of several server processes sharing the data dir, one set-up wins
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            self._refresh()
            raise AlreadySet("The admin password is already set: sign in with it.") from None
        with os.fdopen(fd, "w") as f:
            f.write(hashed + "\n")
        self._hash = hashed
        self.setup_token = None

    def setup_message(self, settings: Settings) -> str | None:
        """The start-up log line while a set-up is needed (None when not)."""
        if self.setup_token is None:
            return None
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        return (
            "No admin password is set. To set one, open "
            f"http://{host}:{settings.port}/admin#setup={self.setup_token} "
            f"(set-up token {self.setup_token}, valid until the server stops), "
            "or run `argus admin set-password`."
        )
