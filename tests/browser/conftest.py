"""The browser tier: real Chromium (Debian's /usr/bin/chromium) driven by Playwright, against
a live server on 127.0.0.1 with its own SQLite file and the demo data.

Without Chromium these tests skip with the reason shown, unless OUTREACH_REQUIRE_BROWSER=1
(CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from outreach import create_app
from outreach.database import db

CHROMIUM = os.environ.get("OUTREACH_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("OUTREACH_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}


def fits_the_screen(page) -> bool:
    """No sideways scrolling: the page is no wider than the viewport it was opened in. (A
    phone browser widens ``window.innerWidth`` to the content, so that is no yardstick.)"""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path():
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        message = f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served by a real WSGI server in a thread, with the demo data loaded."""
    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "SECRET_KEY": "browser-tests-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite3'}",
            "RATELIMIT_ENABLED": False,
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "MAIL_FOLDER": str(folder / "mail"),
        }
    )
    with app.app_context():
        db.create_all()
        from outreach import demo

        demo.load_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` keeps a PNG under test-artifacts/ for people to look at."""

    def _take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _take
