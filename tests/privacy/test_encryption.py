"""Encrypted backup files (outreach/privacy/encryption.py): what goes in comes out, and a wrong
key, a changed, cut, moved or renamed file is refused rather than restored in part."""

from __future__ import annotations

import os

import pytest

from outreach.privacy import encryption

KEY = encryption.derive_key("một cụm mật khẩu dài", b"0123456789abcdef", n=2**10, r=8, p=1)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(encryption, "CHUNK", 1024)


@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 1025, 4096, 5000])
def test_what_is_encrypted_decrypts_to_the_same_bytes(tmp_path, size):
    content = os.urandom(size)
    (tmp_path / "plain").write_bytes(content)
    encryption.encrypt_file(
        tmp_path / "plain", tmp_path / "sealed", key=KEY, name="uploads/a", number=3
    )
    sealed = (tmp_path / "sealed").read_bytes()
    assert sealed.startswith(encryption.MAGIC)
    if size >= 16:
        assert content[:16] not in sealed
    assert (tmp_path / "sealed").stat().st_mode & 0o777 == 0o600
    encryption.decrypt_file(tmp_path / "sealed", tmp_path / "back", key=KEY, name="uploads/a")
    assert (tmp_path / "back").read_bytes() == content


def _sealed(tmp_path, size=5000):
    (tmp_path / "plain").write_bytes(os.urandom(size))
    encryption.encrypt_file(
        tmp_path / "plain", tmp_path / "sealed", key=KEY, name="uploads/a", number=3
    )
    return (tmp_path / "sealed").read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        "wrong key",
        "other name",
        "flipped bit",
        "cut at a chunk",
        "cut inside a chunk",
        "chunks swapped",
        "not ours",
    ],
)
def test_a_wrong_key_or_a_damaged_file_is_refused_and_nothing_is_left(tmp_path, damage):
    sealed = _sealed(tmp_path)
    head = len(encryption.MAGIC) + encryption.PREFIX
    block = encryption.CHUNK + encryption.TAG
    key, name = KEY, "uploads/a"
    if damage == "wrong key":
        key = encryption.derive_key("khác", b"0123456789abcdef", n=2**10, r=8, p=1)
    elif damage == "other name":
        name = "uploads/b"
    elif damage == "flipped bit":
        sealed = sealed[:100] + bytes([sealed[100] ^ 1]) + sealed[101:]
    elif damage == "cut at a chunk":
        sealed = sealed[: head + 2 * block]
    elif damage == "cut inside a chunk":
        sealed = sealed[:-10]
    elif damage == "chunks swapped":
        first, second = sealed[head : head + block], sealed[head + block : head + 2 * block]
        sealed = sealed[:head] + second + first + sealed[head + 2 * block :]
    else:
        sealed = b"PK\x03\x04" + sealed[4:]
    (tmp_path / "sealed").write_bytes(sealed)
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt_file(tmp_path / "sealed", tmp_path / "back", key=key, name=name)
    assert not (tmp_path / "back").exists()


def test_the_key_check_tells_a_wrong_key():
    check = encryption.key_check(KEY)
    assert encryption.key_matches(KEY, check)
    other = encryption.derive_key("khác", b"0123456789abcdef", n=2**10, r=8, p=1)
    assert not encryption.key_matches(other, check)
