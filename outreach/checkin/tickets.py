"""Ticket codes and secret tokens: how they are made, read back from a scanner, and stored.

QR payload format, version 1 (``TICKET_FORMAT_VERSION``)
-------------------------------------------------------
The QR code on a ticket holds the ticket code and nothing else: no URL, no prefix, no name, no
registration id. The code is 128 random bits from :mod:`secrets`, written in RFC 4648 base32
(alphabet ``A-Z2-7``), uppercase, without ``=`` padding, which is always 26 characters. The last
character carries only 3 of the 130 bits, so it is one of ``AEIMQUY4``.

Why this shape (DESIGN.md §4 invariant 5):

- The code is a bearer secret: it is never derived from an id, phone or time, so it cannot be
  guessed, and printing it leaks nothing about the person.
- Uppercase base32 fits QR's alphanumeric mode, so the symbol stays small (version 2 at error
  correction M) and scans well from a phone screen or a cheap printer.
- Printed under the QR in groups of four (:func:`format_ticket_code`), it can be typed by hand at
  the door when a scan fails; :func:`normalise_scanned_code` removes the spaces again.

A later format must stay distinguishable from version 1 by length or by a character outside
the base32 alphabet (for example a ``V2:`` prefix), so readers can tell them apart.

Self-service and door links use a different secret, :func:`new_token`, which is stored only as
its :func:`hash_token` digest.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

TICKET_FORMAT_VERSION = 1
TICKET_CODE_BYTES = 16
TICKET_CODE_LENGTH = 26
TICKET_CODE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
TOKEN_BYTES = 32

# Handheld scanners in keyboard mode append CR or LF (sometimes a tab), and a person typing a
# printed code copies the spaces between groups; none of these belong to the code.
_IGNORED_IN_SCANS = " \t\r\n\v\f"
# Anything much longer than a code is not one; stop before doing work proportional to its size.
_MAX_SCAN_LENGTH = 64


def new_ticket_code() -> str:
    """Return a fresh ticket code: 128 random bits as 26 characters of uppercase base32."""
    raw = base64.b32encode(secrets.token_bytes(TICKET_CODE_BYTES)).decode("ascii")
    return raw.rstrip("=")


def normalise_scanned_code(raw: str) -> str | None:
    """Turn what a scanner or a person entered into a ticket code, or ``None`` if it is not one.

    Whitespace anywhere (scanner CR/LF, the spaces between printed groups) is dropped and
    lowercase is raised. Anything else outside the base32 alphabet, non-ASCII input, or a
    result that is not exactly 26 characters long gives ``None``.
    """
    if len(raw) > _MAX_SCAN_LENGTH or not raw.isascii():
        return None
    code = "".join(ch for ch in raw if ch not in _IGNORED_IN_SCANS).upper()
    if len(code) != TICKET_CODE_LENGTH or not TICKET_CODE_ALPHABET.issuperset(code):
        return None
    return code


def format_ticket_code(code: str) -> str:
    """Return the code in groups of four for printing: ``ABCD EFGH ... YZ``."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def new_token() -> str:
    """Return a fresh URL-safe secret (32 random bytes) for a self-service or door link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored.

    A plain, unsalted hash is enough here: the token already has 256 random bits, so there is no
    dictionary to attack, and a deterministic digest lets the database look the token up by an
    indexed column. A leaked table then yields no working links.
    """
    # A forged link can carry lone surrogates; it must hash (and then match nothing), not crash.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
