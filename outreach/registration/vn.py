"""Vietnamese facts as pure functions: tax codes, phone numbers, search keys and name order.

No database and no Flask here: forms and services call these, and views map the errors (each a
``ValueError`` with a stable ``code``) to messages. Sources for every rule: ``shared/domain.md``
§1.2-1.3 (tax codes), §2 (phones) and §4 (text).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberFormat
from phonenumbers import PhoneNumberType
from stdnum import exceptions as stdnum_exceptions
from stdnum.vn import mst

# --------------------------------------------------------------------------- tax codes


class InvalidTaxCode(ValueError):
    """A mã số HTX / MST that is not a valid 10- or 13-digit tax code.

    ``code`` is one of ``tax_code.invalid_length``, ``tax_code.personal_number``,
    ``tax_code.invalid_format``, ``tax_code.invalid_component`` and
    ``tax_code.invalid_checksum``.
    """

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


TAX_CODE_HINT = "Mã số HTX/MST gồm 10 chữ số, hoặc 13 chữ số với chi nhánh (ví dụ 0100233488-001)."

# Separators people type inside a tax code; stdnum strips the same set plus surrounding blanks.
_TAX_CODE_SEPARATORS = re.compile(r"[\s.\-]+")


def _compact_tax_code(raw: str) -> str:
    # NFKC turns full-width digits (some Vietnamese input methods produce them) into ASCII ones.
    return _TAX_CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))


def normalise_tax_code(raw: str) -> str:
    """Return the canonical display form ``XXXXXXXXXX`` or ``XXXXXXXXXX-XXX``.

    Spaces, dots and dashes are removed wherever they are. This only reshapes: it does not check
    the digits, so call :func:`is_valid_tax_code` or :func:`parse_tax_code` too. Input that is
    not 13 characters long comes back compacted.
    """
    number = _compact_tax_code(raw)
    if len(number) == 13:
        return mst.format(number)
    return number


def parse_tax_code(raw: str) -> str:
    """Validate a tax code and return it in canonical form.

    :raises InvalidTaxCode: when the length, the digits, the sequence, the branch suffix or the
        check digit is wrong. A 12-digit number is a person's CCCD, not a cooperative's code.
    """
    number = _compact_tax_code(raw)
    if len(number) == 12 and number.isascii() and number.isdigit():
        raise InvalidTaxCode(
            "tax_code.personal_number",
            "Số 12 chữ số là mã số thuế cá nhân (CCCD), không phải mã số HTX. " + TAX_CODE_HINT,
        )
    try:
        mst.validate(number)
    except stdnum_exceptions.InvalidLength:
        raise InvalidTaxCode("tax_code.invalid_length", TAX_CODE_HINT) from None
    except stdnum_exceptions.InvalidFormat:
        raise InvalidTaxCode("tax_code.invalid_format", TAX_CODE_HINT) from None
    except stdnum_exceptions.InvalidComponent:
        raise InvalidTaxCode(
            "tax_code.invalid_component",
            "Mã số có phần số thứ tự (hoặc số chi nhánh) bằng 0. " + TAX_CODE_HINT,
        ) from None
    except stdnum_exceptions.InvalidChecksum:
        raise InvalidTaxCode(
            "tax_code.invalid_checksum",
            "Chữ số kiểm tra không đúng: vui lòng kiểm tra lại mã số. " + TAX_CODE_HINT,
        ) from None
    # stdnum's isdigits() accepts only ASCII digits, so what passes is plain 0-9.
    return mst.format(number)


def is_valid_tax_code(raw: str) -> bool:
    """Tell whether ``raw`` is a valid 10-digit (or 13-digit branch) tax code.

    Follows python-stdnum: a check digit that would have to be 10 makes the base invalid (other
    public validators accept 0 there; domain.md §1.3 recommends stdnum's stricter rule).
    """
    try:
        parse_tax_code(raw)
    except InvalidTaxCode:
        return False
    return True


# --------------------------------------------------------------------------- phones


class InvalidPhone(ValueError):
    """A phone number that is not a valid Vietnamese mobile or landline number."""

    code = "phone.invalid"

    def __init__(self, message: str | None = None):
        self.message = message or PHONE_HINT
        super().__init__(self.message)


PHONE_HINT = (
    "Số điện thoại không hợp lệ. Nhập số di động 10 chữ số (ví dụ 0912 345 678) "
    "hoặc số cố định có mã vùng (ví dụ 0204 3854 123)."
)

# phonenumbers turns letters into digits (vanity numbers: "0912 345 ABC" parses as valid), and
# nobody in Vietnam writes a phone that way, so only digits and separators get through.
_PHONE_SHAPE = re.compile(r"\+?[0-9 .\-()]+")
# Longer input is not a phone; checking early keeps a 10 KB field from reaching the parser.
_PHONE_MAX_INPUT = 40
# A contact must be reachable by a call or SMS: premium-rate, toll-free and shared-cost
# service numbers (1800, 1900) are valid numbers but not a person's phone.
_PERSONAL_PHONE_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


@functools.lru_cache(maxsize=4096)  # a pure function; a form often gives one number twice
def parse_phone(raw: str) -> str:
    """Parse a Vietnamese phone number and return it in E.164 (``+84912345678``).

    Accepts ``0912 345 678``, ``0912.345.678``, ``+84 912 345 678``, ``84912345678`` and
    landlines such as ``0204 3854 123``.

    :raises InvalidPhone: when the input is not a valid Vietnamese mobile or landline number.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or len(text) > _PHONE_MAX_INPUT or not _PHONE_SHAPE.fullmatch(text):
        raise InvalidPhone
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        raise InvalidPhone from None
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "VN"
        or phonenumbers.number_type(number) not in _PERSONAL_PHONE_TYPES
    ):
        raise InvalidPhone
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone_local(e164: str) -> str:
    """Format a stored E.164 number the way Vietnamese write it: ``0912 345 678``.

    :raises InvalidPhone: when ``e164`` cannot be parsed.
    """
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        raise InvalidPhone from None
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def phone_last_digits(e164: str, n: int = 4) -> str:
    """Return the last ``n`` digits of a phone number, for masked display and desk look-ups.

    :raises ValueError: when ``n`` is not positive.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    digits = "".join(ch for ch in e164 if ch.isascii() and ch.isdigit())
    return digits[-n:]


# --------------------------------------------------------------------------- text


class InvalidText(ValueError):
    """Free text that cannot be stored as typed.

    ``code`` is ``invalid_chars`` or ``too_long``; callers prefix the field
    (``name.invalid_chars``), as the error keys in the security reference do.
    """

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


# Cc: C0/C1 controls (NUL, CR, LF, TAB, ESC); Cf: invisible format characters, among them the
# zero-width space U+200B and the bidi overrides U+202A-U+202E that can disguise a name;
# Cs: lone surrogates that cannot be encoded; Zl/Zp: line and paragraph separators.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def has_control_characters(value: str) -> bool:
    """Tell whether ``value`` holds a control, format (zero-width, bidi) or line-separator
    character. Tabs and newlines count: single-line fields have no use for them."""
    return any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in value)


def clean_text(value: str, max_length: int) -> str:
    """Return ``value`` in NFC with outer whitespace trimmed and inner runs collapsed to one space.

    An empty result is returned as ``""``: whether a field is required is the form's business.

    :raises InvalidText: ``invalid_chars`` when the value holds any control character (see
        :func:`has_control_characters`), ``too_long`` when the cleaned value is longer than
        ``max_length`` characters. Nothing is truncated silently.
    """
    # NFC first: macOS and some keyboards send "Nguyễn" decomposed, and the same name must be
    # stored (and counted against max_length) one way.
    text = unicodedata.normalize("NFC", value)
    if has_control_characters(text):
        raise InvalidText("invalid_chars", "Nội dung chứa ký tự điều khiển không hợp lệ.")
    text = " ".join(text.split())
    if len(text) > max_length:
        raise InvalidText("too_long", f"Nội dung dài quá {max_length} ký tự.")
    return text


def fold(text: str) -> str:
    """Return the search key of ``text``: lowercase, no diacritics, single spaces.

    ``"Nguyễn Văn Đức"`` gives ``"nguyen van duc"``, and an NFD-typed name gives the same key as
    its NFC form, so a search that folds both sides ignores accents and tone marks.
    """
    # NFKD also splits compatibility forms (full-width letters, ligatures) into plain letters.
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # đ (U+0111) is a letter of its own, not d plus a mark, so decomposition leaves it alone.
    folded = stripped.casefold().replace("đ", "d")
    return " ".join(folded.split())


# The Vietnamese alphabet, with the loan letters f, j, w, z where the Latin order puts them
# (as ICU's vi collation does). Each letter's position is its primary weight.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET, start=1)}
# Tones are a secondary key, in the traditional order: ngang (none), huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Digits sort before letters and anything else after them, by code point; a space sorts first
# so that "Văn" comes before "Văn Anh".
_SPACE_RANK = 0
_DIGIT_BASE = 1_000
_OTHER_BASE = 10_000


def _collation_weights(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    primary: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFC", " ".join(text.split()).lower()):
        base, *marks = unicodedata.normalize("NFD", ch)
        tone = next((_TONE_RANK[m] for m in marks if m in _TONE_RANK), 0)
        # What is left after removing the tone is the letter itself: ă, â, ê, ô, ơ, ư keep their
        # breve, circumflex or horn, because those make different letters, not accents.
        letter = unicodedata.normalize(
            "NFC", base + "".join(m for m in marks if m not in _TONE_RANK)
        )
        if letter == " ":
            rank = _SPACE_RANK
        elif letter in _LETTER_RANK:
            rank = _LETTER_RANK[letter]
        elif letter.isascii() and letter.isdigit():
            rank = _DIGIT_BASE + int(letter)
        else:
            rank = _OTHER_BASE + ord(letter)
        primary.append(rank)
        tones.append(tone)
    return tuple(primary), tuple(tones)


def text_sort_key(text: str) -> tuple:
    """Return a key that sorts names of things (cooperatives, places) in Vietnamese alphabetical
    order from the first word on, with the same letter and tone order as ``name_sort_key``."""
    primary, tones = _collation_weights(text)
    return (primary, tones, unicodedata.normalize("NFC", " ".join(text.split())))


def name_sort_key(full_name: str) -> tuple:
    """Return a key that sorts full names the way Vietnamese attendance lists do.

    Names are ordered by the given name (tên, the last word), then by the family and middle
    names (họ and tên đệm). Letters follow the Vietnamese alphabet (a < ă < â, d < đ), tones are
    compared only when the letters are equal (ngang < huyền < hỏi < ngã < sắc < nặng), and the
    exact NFC text breaks the last tie (capitalisation) so the order is total.
    This matches ICU's ``vi_VN`` collator on domain.md §4.2's test names without needing PyICU.
    """
    words = unicodedata.normalize("NFC", full_name).split()
    given = words[-1] if words else ""
    rest = " ".join(words[:-1])
    given_primary, given_tones = _collation_weights(given)
    rest_primary, rest_tones = _collation_weights(rest)
    exact = " ".join(words)
    return (given_primary, rest_primary, given_tones, rest_tones, exact)
