"""Ticket codes and secret tokens (outreach.checkin.tickets)."""

import base64
import hashlib
import re

import pytest

from outreach.checkin.tickets import TICKET_CODE_LENGTH
from outreach.checkin.tickets import TICKET_FORMAT_VERSION
from outreach.checkin.tickets import format_ticket_code
from outreach.checkin.tickets import hash_token
from outreach.checkin.tickets import new_ticket_code
from outreach.checkin.tickets import new_token
from outreach.checkin.tickets import normalise_scanned_code

BASE32_CODE = re.compile(r"[A-Z2-7]{26}")
SAMPLE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SAMPLE_2 = "MFRGGZDFMZTWQ2LKNNWG23TPOA"


def test_ticket_format_version_is_one():
    assert TICKET_FORMAT_VERSION == 1


def test_new_ticket_code_is_26_characters():
    assert len(new_ticket_code()) == 26 == TICKET_CODE_LENGTH


def test_new_ticket_code_uses_only_uppercase_base32_alphabet():
    for _ in range(1_000):
        assert BASE32_CODE.fullmatch(new_ticket_code())


def test_new_ticket_code_decodes_to_128_bits():
    code = new_ticket_code()
    assert len(base64.b32decode(code + "=" * 6)) == 16


def test_new_ticket_code_is_unique_over_10000_draws():
    codes = {new_ticket_code() for _ in range(10_000)}
    assert len(codes) == 10_000


def test_new_ticket_code_uses_every_alphabet_character():
    # A weak generator (wrong alphabet slice, a constant prefix) shows up as unused characters.
    seen = set("".join(new_ticket_code() for _ in range(2_000)))
    assert seen == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_normalise_scanned_code_accepts_a_clean_code():
    assert normalise_scanned_code(SAMPLE_2) == SAMPLE_2


def test_normalise_scanned_code_round_trips_new_codes():
    code = new_ticket_code()
    assert normalise_scanned_code(code) == code


@pytest.mark.parametrize(
    "raw",
    [
        "mfrggzdfmztwq2lknnwg23tpoa\r\n",
        "MFRGGZDFMZTWQ2LKNNWG23TPOA\n",
        "MFRGGZDFMZTWQ2LKNNWG23TPOA\r",
        "  MFRGGZDFMZTWQ2LKNNWG23TPOA\t",
        "mfrg gzdf mztw q2lk nnwg 23tp oa",
        "MfRgGzDfMzTwQ2LkNnWg23TpOa",
    ],
)
def test_normalise_scanned_code_strips_whitespace_and_uppercases(raw):
    assert normalise_scanned_code(raw) == SAMPLE_2


def test_normalise_scanned_code_accepts_the_printed_grouping():
    code = new_ticket_code()
    assert normalise_scanned_code(format_ticket_code(code)) == code


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   \r\n",
        SAMPLE[:-1],
        SAMPLE + "A",
        SAMPLE * 2,
        "A" * 10_240,
        "ABCDEFGHIJKLMNOPQRSTUVWXY0",
        "ABCDEFGHIJKLMNOPQRSTUVWXY1",
        "ABCDEFGHIJKLMNOPQRSTUVWXY8",
        "ABCDEFGHIJKLMNOPQRSTUVWXY=",
        "ABCDEFGHIJKLMNOPQRSTUVWX==",
        "ABCDEFGHIJKLMNOPQRSTUVWXY-",
        "ABCDEFGHIJKLMNOPQRSTUVWXYÀ",
        "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
        "ABCDEFGHIJKLMNOPQRSTUVWXY\x00",
        "https://example.test/t/ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ],
)
def test_normalise_scanned_code_rejects_non_codes(raw):
    assert normalise_scanned_code(raw) is None


def test_normalise_scanned_code_rejects_lowercase_that_uppercases_to_two_letters():
    # "ß".upper() is "SS": a non-ASCII character must never be stretched into a valid code.
    assert normalise_scanned_code("ABCDEFGHIJKLMNOPQRSTUVWXß") is None


def test_format_ticket_code_groups_by_four():
    assert format_ticket_code(SAMPLE) == "ABCD EFGH IJKL MNOP QRST UVWX YZ"


def test_new_token_is_url_safe_and_long():
    token = new_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)


def test_new_token_is_unique():
    assert len({new_token() for _ in range(1_000)}) == 1_000


def test_hash_token_is_sha256_hex():
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()


def test_hash_token_is_deterministic_and_differs_from_token():
    token = new_token()
    assert hash_token(token) == hash_token(token)
    assert hash_token(token) != token
    assert re.fullmatch(r"[0-9a-f]{64}", hash_token(token))


def test_hash_token_different_tokens_give_different_hashes():
    assert hash_token(new_token()) != hash_token(new_token())


def test_hash_token_forged_token_with_lone_surrogate_does_not_crash():
    assert re.fullmatch(r"[0-9a-f]{64}", hash_token("abc\ud800"))
