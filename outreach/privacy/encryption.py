"""Encrypting backup files with a passphrase (``OUTREACH_BACKUP_KEY``), in a streamed format.

A key is derived from the passphrase with scrypt and a random salt kept in the backup's
manifest. Each file is encrypted with AES-256-GCM in chunks of 1 MiB, so a 200 MB upload never
sits in memory whole:

    MAGIC (16 bytes) | nonce prefix (7 bytes) | chunk 0 | chunk 1 | ... | last chunk

Each chunk is its ciphertext and 16-byte tag. Its 12-byte nonce is the file's number in the
backup (7 bytes: unique under the backup's key, which no other backup shares, since each has its
own salt), the chunk's number (4 bytes) and a last-chunk flag (1 byte), and the file's name in
the backup is authenticated with every chunk. So a chunk cannot be changed, moved, dropped or
taken from another file, and a file cut short after any chunk fails to decrypt rather than
restoring part of itself. The manifest is authenticated too (HMAC-SHA256 with a second key from
the same passphrase), so its names, checksums and settings cannot be changed either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"OUTREACH-BKP-01\n"
CHUNK = 1024 * 1024
TAG = 16
PREFIX = 7
#: scrypt's cost: about 0.5 s and 128 MB once per backup or restore (OWASP's minimum)
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
SCHEME = "aes-256-gcm-chunked/scrypt/hmac-sha256"


class DecryptionError(Exception):
    """The file is not one of ours, was changed or cut short, or the key is wrong."""


def new_salt() -> bytes:
    return os.urandom(16)


def derive_key(passphrase: str, salt: bytes, *, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=512 * 1024 * 1024, dklen=32
    )


def scrypt_settings_allowed(settings) -> bool:
    """Whether a manifest's scrypt settings are ones a restore should run: a manifest is read
    before it is authenticated, so it must not make the restore spend gigabytes."""
    if not isinstance(settings, dict) or set(settings) != {"n", "r", "p"}:
        return False
    n, r, p = settings["n"], settings["r"], settings["p"]
    return (
        all(type(value) is int for value in (n, r, p))
        and 2**14 <= n <= 2**20
        and n & (n - 1) == 0
        and 1 <= r <= 16
        and 1 <= p <= 4
    )


def split_key(master: bytes) -> tuple[bytes, bytes]:
    """(the files' key, the manifest's key) from the key scrypt derived."""

    def expand(purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)

    return expand(b"outreach backup files"), expand(b"outreach backup manifest")


def manifest_mac(key: bytes, manifest: dict) -> str:
    """HMAC-SHA256 of the manifest without its ``mac`` entry, over canonical JSON."""
    body = {name: value for name, value in manifest.items() if name != "mac"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _new_file(path: Path, mode: int = 0o600):
    """Create ``path`` (never an existing file or a link); by default readable and writable by
    its owner only (``mode`` is subject to the umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.fdopen(os.open(path, flags, mode), "wb")


def encrypt_file(source: Path, target: Path, *, key: bytes, name: str, number: int) -> None:
    """Write ``source`` encrypted to ``target``; ``name`` is the file's name in the backup and
    ``number`` its place among the backup's files (no two files of a backup share one)."""
    with open(source, "rb") as plain:
        encrypt_stream(plain, target, key=key, name=name, number=number)


def encrypt_stream(plain, target: Path, *, key: bytes, name: str, number: int) -> None:
    """Like ``encrypt_file``, reading from an open binary stream (e.g. pg_dump's output)."""
    cipher = AESGCM(key)
    prefix = number.to_bytes(PREFIX, "big")
    associated = name.encode("utf-8")
    with _new_file(target) as sealed:
        sealed.write(MAGIC + prefix)
        index = 0
        chunk = _read_full(plain, CHUNK)
        while True:
            following = _read_full(plain, CHUNK)
            last = not following
            sealed.write(cipher.encrypt(_nonce(prefix, index, last), chunk, associated))
            if last:
                break
            chunk, index = following, index + 1
            if index >= 2**32:
                raise ValueError("file too large to encrypt")


def decrypt_file(source: Path, target: Path, *, key: bytes, name: str, mode: int = 0o600) -> None:
    """Write ``source`` decrypted to ``target``, a new file (``mode``: as for os.open).

    :raises DecryptionError: for a wrong key, or a file changed, cut short or not ours; the
        partly written ``target`` is removed.
    """
    cipher = AESGCM(key)
    associated = name.encode("utf-8")
    with open(source, "rb") as sealed:
        plain = _new_file(target, mode)
        try:
            with plain:
                head = sealed.read(len(MAGIC) + PREFIX)
                if len(head) != len(MAGIC) + PREFIX or not head.startswith(MAGIC):
                    raise DecryptionError(f"{name} is not an encrypted backup file")
                prefix = head[len(MAGIC) :]
                index = 0
                block = _read_full(sealed, CHUNK + TAG)
                while True:
                    following = _read_full(sealed, CHUNK + TAG)
                    last = not following
                    try:
                        plain.write(cipher.decrypt(_nonce(prefix, index, last), block, associated))
                    except InvalidTag:
                        raise DecryptionError(
                            f"{name} cannot be decrypted: wrong key, or the file was changed"
                        ) from None
                    if last:
                        return
                    block, index = following, index + 1
        except BaseException:
            target.unlink(missing_ok=True)  # ours: _new_file made it
            raise


def _read_full(stream, size: int) -> bytes:
    """``size`` bytes, fewer only at the end: a pipe may return less on one read."""
    data = stream.read(size)
    while data and len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            break
        data += more
    return data


def key_check(key: bytes) -> str:
    """A value the manifest keeps so that a restore can tell a wrong key from a damaged file."""
    nonce = os.urandom(12)
    return (nonce + AESGCM(key).encrypt(nonce, MAGIC, b"key-check")).hex()


def key_matches(key: bytes, check: str) -> bool:
    raw = bytes.fromhex(check)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], b"key-check") == MAGIC
    except InvalidTag:
        return False
