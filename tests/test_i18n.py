"""Vietnamese first, English as a remembered choice; local formats."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from outreach.i18n import format_datetime_short
from outreach.i18n import format_day
from outreach.i18n import format_money

ROOT = Path(__file__).resolve().parent.parent


def test_home_is_vietnamese_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Hội nghị sắp tới" in page


def test_switching_to_english_is_remembered(client):
    response = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Upcoming conferences" in page
    assert "Hội nghị sắp tới" not in page
    client.post("/lang", data={"lang": "vi"})
    assert "Hội nghị sắp tới" in client.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/lang", data={"lang": "xx"})
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_error_pages_in_both_languages(client):
    assert "Không tìm thấy trang" in client.get("/no-such-page").get_data(as_text=True)
    client.post("/lang", data={"lang": "en"})
    assert "Page not found" in client.get("/no-such-page").get_data(as_text=True)


def test_formats_follow_vietnamese_habits():
    at = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC)
    assert format_day(at) == "01/12/2026"
    assert format_datetime_short(at) == "07:30 01/12/2026"
    assert format_money(1_500_000) == "1.500.000 ₫"
    assert format_money(0) == "0 ₫"


def test_english_catalog_translates_every_string(tmp_path):
    """Extract the strings afresh and require an English translation for each one."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--no-location",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            # Babel skips folders starting with "_" by default: templates/_macros holds strings
            "--ignore-dirs",
            ".*",
            "-o",
            str(pot),
            str(ROOT),
        ],
        check=True,
        cwd=ROOT,
    )
    with open(pot, "rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with open(ROOT / "outreach/translations/en/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], f"{len(missing)} strings lack English: {missing[:5]}"


def test_templates_hold_no_untranslated_vietnamese_text():
    """Vietnamese words in templates must sit inside _() calls, or English users see them."""
    letters = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịỉĩọỏốồổỗộớờởỡợụủứừửữựỳỷỹỵ]", re.I)
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", path.read_text(), flags=re.S)
        for line in text.splitlines():
            if letters.search(line) and 'lang="vi"' not in line:
                offenders.append(f"{path.name}: {line.strip()[:60]}")
    assert offenders == []
