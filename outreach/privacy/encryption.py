"""Encrypting backup files with a passphrase (``OUTREACH_BACKUP_KEY``), in a streamed format.

A key is derived from the passphrase with scrypt and a random salt kept in the backup's
manifest. Each file is encrypted with AES-256-GCM in chunks of 1 MiB, so a 200 MB upload never
sits in memory whole:

    MAGIC (16 bytes) | nonce prefix (7 bytes) | chunk 0 | chunk 1 | ... | last chunk

Each chunk is its ciphertext and 16-byte tag. Its 12-byte nonce is the file's random prefix, the
chunk's number (4 bytes, big-endian) and a last-chunk flag (1 byte), and the file's name in the
backup is authenticated with every chunk. So a chunk cannot be changed, moved, dropped or taken
from another file, and a file cut short after any chunk fails to decrypt rather than restoring
part of itself.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"OUTREACH-BKP-01\n"
CHUNK = 1024 * 1024
TAG = 16
PREFIX = 7
#: scrypt's cost: about 0.1 s and 32 MB once per backup or restore
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
SCHEME = "aes-256-gcm-chunked/scrypt"


class DecryptionError(Exception):
    """The file is not one of ours, was changed or cut short, or the key is wrong."""


def new_salt() -> bytes:
    return os.urandom(16)


def derive_key(passphrase: str, salt: bytes, *, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024, dklen=32
    )


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _private_file(path: Path):
    """Open ``path`` for writing, readable and writable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")


def encrypt_file(source: Path, target: Path, *, key: bytes, name: str) -> None:
    """Write ``source`` encrypted to ``target``; ``name`` is the file's name in the backup."""
    cipher = AESGCM(key)
    prefix = os.urandom(PREFIX)
    associated = name.encode("utf-8")
    with open(source, "rb") as plain, _private_file(target) as sealed:
        sealed.write(MAGIC + prefix)
        index = 0
        chunk = plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            last = not following
            sealed.write(cipher.encrypt(_nonce(prefix, index, last), chunk, associated))
            if last:
                break
            chunk, index = following, index + 1
            if index >= 2**32:
                raise ValueError("file too large to encrypt")


def decrypt_file(source: Path, target: Path, *, key: bytes, name: str) -> None:
    """Write ``source`` decrypted to ``target``.

    :raises DecryptionError: for a wrong key, or a file changed, cut short or not ours; the
        partly written ``target`` is removed.
    """
    cipher = AESGCM(key)
    associated = name.encode("utf-8")
    try:
        with open(source, "rb") as sealed, _private_file(target) as plain:
            head = sealed.read(len(MAGIC) + PREFIX)
            if len(head) != len(MAGIC) + PREFIX or not head.startswith(MAGIC):
                raise DecryptionError(f"{name} is not an encrypted backup file")
            prefix = head[len(MAGIC) :]
            index = 0
            block = sealed.read(CHUNK + TAG)
            while True:
                following = sealed.read(CHUNK + TAG)
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
        target.unlink(missing_ok=True)
        raise


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
