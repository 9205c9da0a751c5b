"""The key that signs the hub's presigned ``/v1/objects/…`` URLs (local object store).

A configured ``ULAK_SECRET_KEY`` is used as is. Otherwise — and also when it is the
published placeholder, which anyone could sign with — a random key is generated once
into ``<data dir>/secret-key`` (mode 0600) and read back on every later start, so
links survive restarts and every process sharing the data dir signs alike.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from pathlib import Path

from hub.config import DEFAULT_SECRET, Settings

log = logging.getLogger(__name__)

SECRET_FILE = "secret-key"


def signing_secret(settings: Settings) -> bytes:
    configured = settings.secret_key.get_secret_value() if settings.secret_key is not None else ""
    if configured and configured != DEFAULT_SECRET:
        return configured.encode()
    if configured == DEFAULT_SECRET:
        log.warning("ULAK_SECRET_KEY is the published placeholder: ignored, using the data dir's own key instead")
    return load_or_create(settings.data_dir / SECRET_FILE)


def load_or_create(path: Path) -> bytes:
    """The key in ``path``; created there first when missing. Two processes starting
    at once agree: each writes a candidate and links it into place, and the one whose
    link fails (the file exists) reads the winner's."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, candidate = tempfile.mkstemp(dir=path.parent, prefix=".secret-key-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(candidate, path)
            log.info("generated a signing key in %s", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(candidate)
    return _read(path)


def _read(path: Path) -> bytes:
    secret = path.read_text().strip()
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users: chmod 600 it (anyone who reads it can sign links)", path)
    if not secret:
        raise ValueError(f"{path} is empty: remove it to have a new key generated, or set ULAK_SECRET_KEY")
    return secret.encode()
