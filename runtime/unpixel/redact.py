"""Secrets out of everything unpixel prints or stores: one helper, :func:`redact`.

A camera URL's ``user:password@``, a ``?token=...`` (or ``password``, ``key``, ...) query
value and every string given to :func:`add_secret` (the CLI's ``--token``) become ``***``.
The command line runs every line it prints (stdout, stderr, the live loop's log) and every
string of ``summary.json`` through it, so none of them holds a secret.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "***"
"""What a secret is replaced with."""

MIN_SECRET = 4
"""Shorter strings given to :func:`add_secret` are not masked on their own: masking every
``a`` or ``12`` would garble the text, and a token that short protects nothing anyway."""

SECRET_KEYS = (
    "token",
    "access_token",
    "auth",
    "key",
    "api_key",
    "apikey",
    "password",
    "passwd",
    "pwd",
    "secret",
    "sig",
    "signature",
)
"""Query parameters whose values are masked."""

_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<info>[^\s/?#@]+)@")
_QUERY = re.compile(
    r"(?P<key>[?&;](?:" + "|".join(SECRET_KEYS) + r")=)(?P<value>[^&#\s'\"]+)", re.IGNORECASE
)
_secrets: set[str] = set()
_lock = threading.Lock()


def add_secret(value: str | None) -> None:
    """Mask ``value`` wherever :func:`redact` meets it from now on (None: nothing to add)."""
    if value and len(value) >= MIN_SECRET:
        with _lock:
            _secrets.add(value)


def forget_secrets() -> None:
    """Drop every string given to :func:`add_secret` (the CLI does it when a command ends)."""
    with _lock:
        _secrets.clear()


def _userinfo(match: re.Match[str]) -> str:
    user, sep, _password = match["info"].partition(":")
    # user:password keeps the user; a lone userinfo (https://TOKEN@host) may be the secret
    return f"{match['scheme']}{user}:{MASK}@" if sep else f"{match['scheme']}{MASK}@"


def redact(text: str) -> str:
    """``text`` with URL passwords, secret query values and added secrets masked.

    Args:
        text: any text: a source spec, a URL, an error message, a log line.

    Returns:
        The text, ``rtsp://admin:***@cam/live``, ``...?token=***``; unchanged when it holds
        no secret.

    """
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(_userinfo, text)
    return _QUERY.sub(lambda m: m["key"] + MASK, text)


def redact_all(value: Any) -> Any:
    """:func:`redact` on every string inside ``value`` (dicts, lists, tuples; keys too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_all(k): redact_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_all(v) for v in value)
    return value
