"""Real small files for the content checks, built in the tests, and document fixtures."""

from __future__ import annotations

import io
import zipfile

import pytest
from fpdf import FPDF

from outreach.checkin.pdf import find_font

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{main}"/></Types>'
)
MAIN = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}


def make_pdf(*lines: str, pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.add_font("body", "", str(find_font()))
    pdf.set_font("body", size=14)
    for page in range(pages):
        pdf.add_page()
        for line in lines or ("Tài liệu",):
            pdf.cell(
                0, 10, f"{line} {page + 1}" if pages > 1 else line, new_x="LMARGIN", new_y="NEXT"
            )
    return bytes(pdf.output())


def make_ooxml(kind: str, *, macro: bool = False, extra: dict | None = None) -> bytes:
    part, main = MAIN[kind]
    if macro:
        main = main.replace("document.main+xml", "document.macroEnabled.main+xml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(part=part, main=main))
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(part, "<document>Báo cáo</document>")
        if macro:
            archive.writestr("word/vbaProject.bin", b"\x00" * 64)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def make_jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def files():
    class Files:
        pdf = staticmethod(make_pdf)
        ooxml = staticmethod(make_ooxml)
        png = staticmethod(make_png)
        jpeg = staticmethod(make_jpeg)

    return Files


@pytest.fixture
def store(app):
    from outreach.documents import services

    return services.Storage(
        folder=app.config["UPLOAD_FOLDER"], max_bytes=app.config["UPLOAD_MAX_BYTES"]
    )


@pytest.fixture
def division_staff(create_user, create_division):
    def _create(division=None, **kwargs):
        division = division or create_division()
        kwargs.setdefault("email", f"staff-{division.code.lower()}@example.vn")
        return create_user(role="division_staff", division=division, **kwargs)

    return _create


@pytest.fixture
def upload(app, store):
    """``upload(data, name, **owner)``: documents made through the service, committed."""
    from outreach.database import db
    from outreach.database import utcnow
    from outreach.documents import services

    def _upload(data: bytes, name: str, *, actor=None, **kwargs):
        kwargs.setdefault("state", "ready")
        documents = services.upload_documents(
            [services.Upload(name, io.BytesIO(data))],
            actor=actor,
            now=utcnow(),
            store=store,
            **kwargs,
        )
        db.session.commit()
        return documents[0]

    return _upload


@pytest.fixture
def make_registration(app, make_input):
    """``make_registration(conference)``: a confirmed registration; returns its token."""
    import datetime as dt
    import secrets

    from outreach.database import db
    from outreach.registration import services

    def _make(conference):
        result = services.register_cooperative(
            conference,
            make_input(),
            submission_id=secrets.token_hex(8),
            now=dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC),
        )
        db.session.commit()
        return result.token

    return _make
