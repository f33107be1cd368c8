"""The server's secret key, shared by the web application and what it signs (links in messages)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from agreements.db import instance_path, make_private_folder


def server_key(folder: Path | None = None) -> str:
    """COMPACT_SECRET_KEY, else a random key kept in the instance folder (made on first run)."""
    configured = os.environ.get("COMPACT_SECRET_KEY")
    if configured:
        return configured
    folder = folder or instance_path()
    path = folder / "secret_key"
    if not path.exists():
        make_private_folder(folder)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def sign(purpose: str, value: str) -> str:
    """A short signature of `value` for one purpose (32 hex characters of HMAC-SHA256)."""
    key = f"{purpose}:{server_key()}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def verify(purpose: str, value: str, signature: str) -> bool:
    return hmac.compare_digest(sign(purpose, value), signature)
