"""Vietnamese tax codes, phones, search keys and name order (outreach.registration.vn)."""

import random
import unicodedata

import pytest

from outreach.registration.vn import InvalidPhone
from outreach.registration.vn import InvalidTaxCode
from outreach.registration.vn import InvalidText
from outreach.registration.vn import clean_text
from outreach.registration.vn import fold
from outreach.registration.vn import format_phone_local
from outreach.registration.vn import has_control_characters
from outreach.registration.vn import is_valid_tax_code
from outreach.registration.vn import name_sort_key
from outreach.registration.vn import normalise_tax_code
from outreach.registration.vn import parse_phone
from outreach.registration.vn import parse_tax_code
from outreach.registration.vn import phone_last_digits

# --------------------------------------------------------------------------- tax codes

# domain.md §1.3 (python-stdnum's examples) and §7.1 (fictional demo MSTs).
VALID_TAX_CODES = [
    ("0100233488", "0100233488"),
    ("0314409058-002", "0314409058-002"),
    ("01.00.112.437", "0100112437"),
    ("0312687878-001", "0312687878-001"),
    ("2300376864", "2300376864"),
    ("2000102580-001", "2000102580-001"),
    ("5701424091", "5701424091"),
    ("0100109106", "0100109106"),
    ("2407196800", "2407196800"),
    ("2403432165", "2403432165"),
    ("2407301607", "2407301607"),
    ("2401219096", "2401219096"),
    ("2404383104", "2404383104"),
    ("2407634282", "2407634282"),
    ("2406584575", "2406584575"),
    ("2408200376", "2408200376"),
    ("2402330435", "2402330435"),
    ("2403041242", "2403041242"),
    ("2403933299", "2403933299"),
    ("2404224023", "2404224023"),
    ("2400118024", "2400118024"),
    ("2405846700", "2405846700"),
    ("2407196800-001", "2407196800-001"),
    ("2407196800001", "2407196800-001"),
    (" 0100 233 488 ", "0100233488"),
    ("0314.409.058 - 002", "0314409058-002"),
    ("０１００２３３４８８", "0100233488"),
]

INVALID_TAX_CODES = [
    ("0100233480", "tax_code.invalid_checksum"),
    ("2407196801", "tax_code.invalid_checksum"),
    ("0100000008", "tax_code.invalid_component"),
    ("0314409058-000", "tax_code.invalid_component"),
    ("2407196800-000", "tax_code.invalid_component"),
    ("24071968", "tax_code.invalid_length"),
    ("", "tax_code.invalid_length"),
    ("01002334881", "tax_code.invalid_length"),
    ("001099012345", "tax_code.personal_number"),
    ("001 099 012 345", "tax_code.personal_number"),
    ("010023348A", "tax_code.invalid_format"),
    ("0314409058/002", "tax_code.invalid_length"),
]


@pytest.mark.parametrize(("raw", "canonical"), VALID_TAX_CODES)
def test_is_valid_tax_code_accepts_known_valid_codes(raw, canonical):
    assert is_valid_tax_code(raw)


@pytest.mark.parametrize(("raw", "canonical"), VALID_TAX_CODES)
def test_parse_tax_code_returns_canonical_form(raw, canonical):
    assert parse_tax_code(raw) == canonical


@pytest.mark.parametrize(("raw", "code"), INVALID_TAX_CODES)
def test_is_valid_tax_code_rejects_invalid_codes(raw, code):
    assert not is_valid_tax_code(raw)


@pytest.mark.parametrize(("raw", "code"), INVALID_TAX_CODES)
def test_parse_tax_code_invalid_raises_with_reason(raw, code):
    with pytest.raises(InvalidTaxCode) as excinfo:
        parse_tax_code(raw)
    assert excinfo.value.code == code
    assert "10 chữ số" in excinfo.value.message


def test_invalid_tax_code_is_a_value_error():
    with pytest.raises(ValueError, match="chữ số"):
        parse_tax_code("0100233480")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0100233488", "0100233488"),
        ("01.00.233.488", "0100233488"),
        ("0100-233-488", "0100233488"),
        ("0314409058002", "0314409058-002"),
        ("0314409058 - 002", "0314409058-002"),
        ("0314 409 058-002", "0314409058-002"),
    ],
)
def test_normalise_tax_code_strips_separators_to_canonical_form(raw, expected):
    assert normalise_tax_code(raw) == expected


def test_normalise_tax_code_leaves_wrong_length_compacted_not_validated():
    assert normalise_tax_code("24.07.1968") == "24071968"


def test_normalise_tax_code_does_not_check_the_check_digit():
    assert normalise_tax_code("0100.233.480") == "0100233480"


MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)  # domain.md §1.3


def test_is_valid_tax_code_rejects_base_whose_check_digit_would_be_ten():
    # The check digit is 10 - total % 11, so a base with total % 11 == 0 has no valid digit.
    base = next(
        f"{n:09d}"
        for n in range(100_000_001, 100_100_000)
        if sum(w * int(d) for w, d in zip(MST_WEIGHTS, f"{n:09d}", strict=True)) % 11 == 0
    )
    assert not any(is_valid_tax_code(base + str(d)) for d in range(10))


def test_is_valid_tax_code_exactly_one_final_digit_is_right():
    assert [d for d in range(10) if is_valid_tax_code(f"010023348{d}")] == [8]


# --------------------------------------------------------------------------- phones

VALID_PHONES = [
    ("0912 345 678", "+84912345678"),
    ("0912.345.678", "+84912345678"),
    ("0912-345-678", "+84912345678"),
    ("0912345678", "+84912345678"),
    ("+84 912 345 678", "+84912345678"),
    ("+84912345678", "+84912345678"),
    ("84912345678", "+84912345678"),
    ("(0912) 345 678", "+84912345678"),
    ("  0912 345 678\t", "+84912345678"),
    ("0912 000 001", "+84912000001"),
    ("0987 654 321", "+84987654321"),
    ("0351 234 567", "+84351234567"),
    ("0871 234 567", "+84871234567"),
    ("0204 3854 123", "+842043854123"),
    ("02223822123", "+842223822123"),
    ("024 3825 1234", "+842438251234"),
    ("０９１２ ３４５ ６７８", "+84912345678"),
]

INVALID_PHONES = [
    "",
    "   ",
    "abc",
    "0912",
    "09123456789012",
    "0204385412",
    "0551 234 567",
    "0912 345 ABC",
    "0912 345 678 ext 5",
    "+1 202 555 0199",
    "1900 1234",
    "1800 1234",
    "0912\x00345678",
    "0" * 10_000,
    "+84 912 345 678; DROP TABLE",
]


@pytest.mark.parametrize(("raw", "e164"), VALID_PHONES)
def test_parse_phone_valid_returns_e164(raw, e164):
    assert parse_phone(raw) == e164


@pytest.mark.parametrize("raw", INVALID_PHONES)
def test_parse_phone_invalid_raises_invalid_phone(raw):
    with pytest.raises(InvalidPhone) as excinfo:
        parse_phone(raw)
    assert excinfo.value.code == "phone.invalid"
    assert "0912 345 678" in excinfo.value.message


def test_invalid_phone_is_a_value_error():
    with pytest.raises(ValueError, match="0912 345 678"):
        parse_phone("0912")


def test_parse_phone_same_number_typed_differently_gives_one_key():
    typed = ["0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678"]
    assert {parse_phone(raw) for raw in typed} == {"+84912345678"}


@pytest.mark.parametrize(
    ("e164", "local"),
    [
        ("+84912345678", "0912 345 678"),
        ("+842043854123", "0204 3854 123"),
        ("+842438251234", "024 3825 1234"),
    ],
)
def test_format_phone_local_uses_national_format(e164, local):
    assert format_phone_local(e164) == local


def test_format_phone_local_round_trips_with_parse_phone():
    assert parse_phone(format_phone_local("+84912000012")) == "+84912000012"


def test_format_phone_local_garbage_raises_invalid_phone():
    with pytest.raises(InvalidPhone):
        format_phone_local("not a phone")


def test_phone_last_digits_defaults_to_four():
    assert phone_last_digits("+84912345678") == "5678"


def test_phone_last_digits_takes_n():
    assert phone_last_digits("+84912345678", n=3) == "678"


def test_phone_last_digits_rejects_non_positive_n():
    with pytest.raises(ValueError, match="positive"):
        phone_last_digits("+84912345678", n=0)


# --------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("Đỗ Thị Hương", "do thi huong"),
        ("ĐẶNG VĂN ĐẠT", "dang van dat"),
        ("  Trần   Thị\tThu  Hà ", "tran thi thu ha"),
        ("Hợp tác xã Nông sản Lục Ngạn", "hop tac xa nong san luc ngan"),
        ("Ưng Ơn Ăn Ân Ê Ô", "ung on an an e o"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold_removes_case_diacritics_and_extra_spaces(text, key):
    assert fold(text) == key


def test_fold_nfd_and_nfc_input_give_the_same_key():
    name = "Nguyễn Thị Hòa"
    assert fold(unicodedata.normalize("NFD", name)) == fold(name) == "nguyen thi hoa"


def test_fold_old_and_new_tone_placement_give_the_same_key():
    assert fold("Hoà") == fold("Hòa")


def test_fold_search_for_unaccented_query_finds_accented_name():
    assert fold("nguyen van hung") in fold("Ông Nguyễn Văn Hùng, Giám đốc HTX")


# --------------------------------------------------------------------------- name order

# domain.md §4.2: the order ICU's vi_VN collator gives for these names.
ICU_ORDER = [
    *("Ả", "An", "Ánh", "Ấm", "Ân", "Ba", "Bà", "Bả", "Bã", "Bá", "Bạ", "Bảo"),
    *("Bình", "Cường", "Dũng", "Đào"),
]


def test_name_sort_key_matches_icu_order_for_single_words():
    shuffled = ICU_ORDER[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=name_sort_key) == ICU_ORDER


def test_name_sort_key_sorts_by_given_name_first():
    names = ["Nguyễn Văn Hùng", "Trần Thị Thu Hà", "Vũ Thị Lan", "Lê Minh Đức"]
    assert sorted(names, key=name_sort_key) == [
        "Lê Minh Đức",
        "Trần Thị Thu Hà",
        "Nguyễn Văn Hùng",
        "Vũ Thị Lan",
    ]


def test_name_sort_key_same_given_name_sorts_by_family_and_middle_names():
    names = ["Trần Văn Hùng", "Nguyễn Văn Hùng", "Lê Hùng"]
    assert sorted(names, key=name_sort_key) == ["Lê Hùng", "Nguyễn Văn Hùng", "Trần Văn Hùng"]


def test_name_sort_key_puts_d_before_dd():
    names = ["Lê Minh Đức", "Hoàng Văn Dũng", "Vũ Đình Doanh"]
    assert sorted(names, key=name_sort_key) == ["Vũ Đình Doanh", "Hoàng Văn Dũng", "Lê Minh Đức"]


def test_name_sort_key_puts_dd_among_letters_not_after_z():
    # Code-point order would put Đ (U+0110) after Z; Vietnamese puts it right after d.
    assert sorted(["Đào", "Zin", "Em"], key=name_sort_key) == ["Đào", "Em", "Zin"]


def test_name_sort_key_letters_outrank_tones():
    # "Hà" and "Hạ" differ by tone only; "Hai" differs by a letter, which decides first.
    assert sorted(["Hai", "Hạ", "Hà", "Ha"], key=name_sort_key) == ["Ha", "Hà", "Hạ", "Hai"]


def test_name_sort_key_nfd_input_sorts_like_nfc():
    nfc = "Nguyễn Thị Thu Hằng"
    assert name_sort_key(unicodedata.normalize("NFD", nfc)) == name_sort_key(nfc)


def test_name_sort_key_ignores_extra_whitespace():
    assert name_sort_key("  Nguyễn   Văn  Hùng ") == name_sort_key("Nguyễn Văn Hùng")


def test_name_sort_key_case_decides_only_ties():
    names = ["nguyễn văn an", "Nguyễn Văn Bình", "NGUYỄN VĂN AN"]
    ordered = sorted(names, key=name_sort_key)
    assert ordered[2] == "Nguyễn Văn Bình"
    assert set(ordered[:2]) == {"nguyễn văn an", "NGUYỄN VĂN AN"}


def test_name_sort_key_empty_name_sorts_first():
    assert sorted(["An", ""], key=name_sort_key) == ["", "An"]


def test_name_sort_key_single_word_before_longer_with_same_given_name():
    assert sorted(["Văn An", "An"], key=name_sort_key) == ["An", "Văn An"]


# --------------------------------------------------------------------------- clean_text


def test_clean_text_trims_and_collapses_whitespace():
    assert clean_text("  Nguyễn   Văn  Hùng  ", 200) == "Nguyễn Văn Hùng"


def test_clean_text_returns_nfc():
    nfd = unicodedata.normalize("NFD", "Nguyễn")
    assert clean_text(nfd, 200) == unicodedata.normalize("NFC", "Nguyễn")


def test_clean_text_counts_length_after_nfc():
    # NFD "ễ" is three code points; stored NFC it is one, and the limit is about what we store.
    assert clean_text(unicodedata.normalize("NFD", "ễ" * 10), 10) == "ễ" * 10


def test_clean_text_keeps_markup_as_text():
    assert clean_text("<script>alert(1)</script>", 200) == "<script>alert(1)</script>"


def test_clean_text_empty_returns_empty_string():
    assert clean_text("   ", 200) == ""


def test_clean_text_at_max_length_is_accepted():
    assert clean_text("a" * 200, 200) == "a" * 200


def test_clean_text_over_max_length_raises_too_long():
    with pytest.raises(InvalidText) as excinfo:
        clean_text("a" * 5000, 200)
    assert excinfo.value.code == "too_long"


@pytest.mark.parametrize(
    "value",
    [
        "abc\x00",
        "Nguyễn\nVăn",
        "Nguyễn\r\nVăn",
        "tab\there",
        "esc\x1b[31m",
        "c1\x85control",
        "zero\u200bwidth",
        "bidi\u202eoverride",
        "bom\ufeff",
        "line\u2028separator",
        "para\u2029separator",
    ],
)
def test_clean_text_control_characters_raise_invalid_chars(value):
    with pytest.raises(InvalidText) as excinfo:
        clean_text(value, 200)
    assert excinfo.value.code == "invalid_chars"


@pytest.mark.parametrize(
    "value", ["abc\x00", "\u202e", "a\u200bb", "x\ty", "x\ny", "\x7f", "\ud800"]
)
def test_has_control_characters_finds_controls(value):
    assert has_control_characters(value)


@pytest.mark.parametrize(
    "value", ["", "Nguyễn Văn Đức", "HTX Gốm Phù Lãng – Bắc Ninh", "a\u00a0b", "<b>&amp;</b>"]
)
def test_has_control_characters_plain_text_has_none(value):
    assert not has_control_characters(value)


def test_text_sort_key_orders_cooperative_names_from_their_first_word():
    from outreach.registration.vn import text_sort_key

    names = [
        "Tổ hợp tác Ánh Dương",
        "HTX Nông sản Lục Ngạn",
        "HTX Chè Tân Cương",
        "HTX Đông Phú",
        "HTX Dược liệu Lao",
    ]
    # by the last word (how people's names sort) this would be Cương, Dương, Lao, Ngạn, Phú
    assert sorted(names, key=text_sort_key) == [
        "HTX Chè Tân Cương",
        "HTX Dược liệu Lao",
        "HTX Đông Phú",
        "HTX Nông sản Lục Ngạn",
        "Tổ hợp tác Ánh Dương",
    ]
