"""Guards, uploads through the form, download headers, packs and guides over HTTP."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from outreach.database import db
from outreach.documents.models import Document


@pytest.fixture
def setup(create_conference, create_session, create_division, division_staff, organizer):
    own = create_division(name="Phòng Quản lý Khoa học")
    other = create_division()
    conference = create_conference(host=organizer.organization)
    session = create_session(conference, division=own, title="Chính sách KH&CN")
    foreign = create_session(conference, division=other, title="Phiên của phòng khác")
    staff = division_staff(own, email="qlkh@example.vn")
    db.session.commit()
    return conference, session, foreign, staff


def _directives(response) -> list[str]:
    return [d.strip() for d in response.headers["Content-Security-Policy"].split(";")]


def _post_files(client, url, *items, **fields):
    data = {"visibility": "public", "state": "ready", **fields}
    data["files"] = [(io.BytesIO(content), name) for content, name in items]
    return client.post(url, data=data, content_type="multipart/form-data")


def test_division_staff_upload_to_own_session(client, auth, setup, files):
    _conference, session, _foreign, _staff = setup
    auth.login("qlkh@example.vn")
    response = _post_files(
        client,
        f"/staff/sessions/{session.id}/documents",
        (files.pdf("Một"), "Quy định.pdf"),
        (files.ooxml("docx"), "Mẫu đơn.docx"),
    )
    assert response.status_code == 302
    titles = set(db.session.scalars(sa.select(Document.title)))
    assert titles == {"Quy định", "Mẫu đơn"}
    page = client.get(f"/staff/sessions/{session.id}/documents").get_data(as_text=True)
    assert "Quy định.pdf" in page
    assert "Mẫu đơn.docx" in page


def test_division_cannot_reach_another_divisions_session(client, auth, setup, files):
    _conference, _session, foreign, _staff = setup
    auth.login("qlkh@example.vn")
    assert client.get(f"/staff/sessions/{foreign.id}/documents").status_code == 404
    response = _post_files(
        client, f"/staff/sessions/{foreign.id}/documents", (files.pdf(), "x.pdf")
    )
    assert response.status_code == 404
    assert client.get("/staff/sessions/999999/documents").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0


def test_division_cannot_edit_or_download_another_divisions_document(
    client, auth, setup, files, upload
):
    _conference, _session, foreign, _staff = setup
    document = upload(files.pdf(), "a.pdf", session=foreign)
    auth.login("qlkh@example.vn")
    assert client.get(f"/staff/documents/{document.id}").status_code == 404
    assert client.post(f"/staff/documents/{document.id}/delete").status_code == 404
    assert client.get(f"/staff/documents/versions/{document.current.id}").status_code == 404


def test_anonymous_is_sent_to_login(client, setup):
    _conference, session, _foreign, _staff = setup
    response = client.get(f"/staff/sessions/{session.id}/documents")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_organizer_uploads_to_any_session_of_their_conference(client, auth, setup, files):
    _conference, _session, foreign, _staff = setup
    auth.login()
    response = _post_files(
        client, f"/staff/sessions/{foreign.id}/documents", (files.pdf(), "a.pdf")
    )
    assert response.status_code == 302


def test_rejected_file_shows_vietnamese_message_on_the_field(client, auth, setup):
    _conference, session, _foreign, _staff = setup
    auth.login("qlkh@example.vn")
    response = _post_files(
        client, f"/staff/sessions/{session.id}/documents", (b"<html><script>1</script>", "x.pdf")
    )
    assert response.status_code == 400
    assert "Nội dung tệp không khớp" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0


def test_upload_answers_json_to_the_script(client, auth, setup, files):
    _conference, session, _foreign, _staff = setup
    auth.login("qlkh@example.vn")
    url = f"/staff/sessions/{session.id}/documents"
    ok = client.post(
        url,
        data={
            "visibility": "public",
            "state": "draft",
            "files": [(io.BytesIO(files.pdf()), "a.pdf")],
        },
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 200
    assert ok.get_json()["ok"] is True
    bad = client.post(
        url,
        data={
            "visibility": "public",
            "state": "draft",
            "files": [(io.BytesIO(files.ooxml("docx", macro=True)), "m.docx")],
        },
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert "macro" in bad.get_json()["message"]


def test_oversize_upload_gets_friendly_413_and_leaves_no_file(app, client, auth, setup):
    _conference, session, _foreign, _staff = setup
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    auth.login("qlkh@example.vn")
    response = _post_files(
        client, f"/staff/sessions/{session.id}/documents", (b"%PDF-" + b"0" * 300_000, "big.pdf")
    )
    assert response.status_code == 413
    assert "vượt quá giới hạn" in response.get_data(as_text=True)
    folder = app.config["UPLOAD_FOLDER"]
    assert not os.path.isdir(folder) or os.listdir(folder) == []


def test_upload_over_the_configured_size_is_413_with_message(app, client, auth, setup):
    _conference, session, _foreign, _staff = setup
    app.config["UPLOAD_MAX_BYTES"] = 1000
    auth.login("qlkh@example.vn")
    response = _post_files(
        client, f"/staff/sessions/{session.id}/documents", (b"%PDF-" + b"0" * 5000, "big.pdf")
    )
    assert response.status_code == 413
    assert "Tệp lớn hơn" in response.get_data(as_text=True)
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []


def test_public_download_headers(client, setup, files, upload):
    conference, session, _foreign, _staff = setup
    document = upload(files.pdf(), "Báo cáo quý 3 – Sở NN&PTNT.pdf", session=session)
    response = client.get(f"/conferences/{conference.slug}/documents/{document.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert (
        "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD%203%20%E2%80%93%20S%E1%BB%9F%20NN%26PTNT.pdf"
        in disposition
    )
    assert 'filename="bao-cao-quy-3-so-nnptnt.pdf"' in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _directives(response)[0] == "default-src 'none'"
    assert "sandbox" not in _directives(response)
    assert response.data.startswith(b"%PDF-")


def test_inline_view_is_sandboxed(client, setup, files, upload):
    conference, session, _foreign, _staff = setup
    document = upload(files.pdf(), "a.pdf", session=session)
    response = client.get(f"/conferences/{conference.slug}/documents/{document.id}/view")
    assert response.headers["Content-Disposition"].startswith("inline;")
    directives = _directives(response)
    assert directives[0] == "default-src 'none'"
    assert "sandbox" in directives


def test_server_type_not_the_clients(client, auth, setup, files):
    conference, session, _foreign, _staff = setup
    auth.login("qlkh@example.vn")
    client.post(
        f"/staff/sessions/{session.id}/documents",
        data={
            "visibility": "public",
            "state": "ready",
            "files": [(io.BytesIO(files.png()), "a.png", "text/html")],
        },
        content_type="multipart/form-data",
    )
    document = db.session.scalar(sa.select(Document))
    response = client.get(f"/conferences/{conference.slug}/documents/{document.id}")
    assert response.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("visibility", "state"), [("public", "draft"), ("registrants", "ready"), ("staff", "ready")]
)
def test_public_cannot_download_what_it_may_not_see(
    client, setup, files, upload, visibility, state
):
    conference, session, _foreign, _staff = setup
    document = upload(files.pdf(), "a.pdf", session=session, visibility=visibility, state=state)
    assert client.get(f"/conferences/{conference.slug}/documents/{document.id}").status_code == 404


def test_document_of_another_conference_is_404(client, setup, files, upload, create_conference):
    _conference, session, _foreign, _staff = setup
    document = upload(files.pdf(), "a.pdf", session=session)
    other = create_conference()
    db.session.commit()
    assert client.get(f"/conferences/{other.slug}/documents/{document.id}").status_code == 404


def test_upload_folder_is_not_web_reachable(client, setup, files, upload):
    _conference, session, _foreign, _staff = setup
    document = upload(files.pdf(), "a.pdf", session=session)
    name = document.current.stored_name
    for path in (f"/static/uploads/{name}", f"/uploads/{name}", f"/instance/uploads/{name}"):
        assert client.get(path).status_code == 404


def test_conference_page_lists_public_documents_escaped(client, setup, files, upload):
    conference, session, _foreign, _staff = setup
    upload(files.pdf(), '"><svg onload=alert(1)>.pdf', session=session)
    upload(files.pdf(), "Bí mật.pdf", session=session, visibility="staff")
    page = client.get(f"/conferences/{conference.slug}").get_data(as_text=True)
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in page or "&quot;&gt;&lt;svg" in page
    assert "<svg onload" not in page
    assert "Bí mật" not in page
    assert f"/conferences/{conference.slug}/documents.zip" in page


def test_registrant_documents_through_the_self_service_link(
    client, setup, files, upload, make_registration
):
    conference, session, _foreign, _staff = setup
    document = upload(files.pdf(), "Cho HTX.pdf", session=session, visibility="registrants")
    staff_only = upload(files.pdf(), "Nội bộ.pdf", session=session, visibility="staff")
    token = make_registration(conference)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Cho HTX" in page
    assert "Nội bộ" not in page
    assert client.get(f"/r/{token}/documents/{document.id}").status_code == 200
    assert client.get(f"/r/{token}/documents/{staff_only.id}").status_code == 404
    assert client.get(f"/r/wrong-token/documents/{document.id}").status_code == 404
    assert client.get(f"/conferences/{conference.slug}/documents/{document.id}").status_code == 404
    with zipfile.ZipFile(io.BytesIO(client.get(f"/r/{token}/documents.zip").data)) as archive:
        assert archive.namelist() == ["01 - Cho HTX.pdf"]


def test_public_packs(client, setup, files, upload):
    conference, session, _foreign, _staff = setup
    upload(files.pdf("Chính sách", pages=2), "Chính sách.pdf", session=session)
    upload(files.ooxml("xlsx"), "Dự toán.xlsx", session=session)
    upload(files.pdf(), "Nội bộ.pdf", session=session, visibility="staff")
    response = client.get(f"/conferences/{conference.slug}/documents.zip")
    assert response.headers["Content-Type"] == "application/zip"
    assert "filename*=UTF-8''T%C3%A0i%20li%E1%BB%87u" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == ["01 - Chính sách.pdf", "02 - Dự toán.xlsx"]
    response = client.get(f"/conferences/{conference.slug}/documents.pdf")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 4
    assert "Dự toán" in reader.pages[1].extract_text()


def test_staff_pack_and_board_for_organizers_only(client, auth, setup, files, upload):
    conference, session, _foreign, _staff = setup
    upload(files.pdf(), "Nội bộ.pdf", session=session, visibility="staff")
    auth.login("qlkh@example.vn")
    assert client.get(f"/staff/conferences/{conference.id}/briefings").status_code == 403
    page = client.get("/staff/my-briefings").get_data(as_text=True)
    assert "Chính sách KH&amp;CN" in page
    auth.logout()
    auth.login()
    board = client.get(f"/staff/conferences/{conference.id}/briefings").get_data(as_text=True)
    assert "Phiên của phòng khác" in board
    assert "Phòng Quản lý Khoa học" in board
    response = client.get(f"/staff/conferences/{conference.id}/documents-pack.zip?level=staff")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == ["01 - Nội bộ.pdf"]


def test_edit_replace_and_versions(client, auth, setup, files, upload):
    _conference, session, _foreign, _staff = setup
    document = upload(files.pdf("một"), "a.pdf", session=session)
    auth.login("qlkh@example.vn")
    response = client.post(
        f"/staff/documents/{document.id}/replace",
        data={"file": (io.BytesIO(files.pdf("hai")), "b.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    response = client.post(
        f"/staff/documents/{document.id}",
        data={"title": "Tên mới", "visibility": "public", "state": "ready"},
    )
    assert response.status_code == 302
    page = client.get(f"/staff/documents/{document.id}").get_data(as_text=True)
    assert "Tên mới" in page
    assert "a.pdf" in page
    assert "b.pdf" in page


def test_guides_public_library(client, auth, organizer, setup, files):
    conference, _session, _foreign, _staff = setup
    auth.login()
    response = client.post(
        "/staff/guides/new",
        data={
            "theme": "st_projects",
            "title": "Thủ tục đề xuất đề tài",
            "steps": "Bước một\nBước hai",
            "division": "0",
            "position": "0",
            "is_published": "y",
        },
    )
    assert response.status_code == 302
    guide_url = response.headers["Location"]
    guide_id = int(guide_url.rstrip("/").rsplit("/", 1)[-1])
    client.post(
        f"/staff/guides/{guide_id}/documents",
        data={
            "visibility": "public",
            "state": "ready",
            "files": [(io.BytesIO(files.pdf()), "Mẫu đề xuất.pdf")],
        },
        content_type="multipart/form-data",
    )
    auth.logout()
    library = client.get("/guides/").get_data(as_text=True)
    assert "Thủ tục đề xuất đề tài" in library
    page = client.get(f"/guides/{guide_id}").get_data(as_text=True)
    assert "Bước hai" in page
    assert "Mẫu đề xuất" in page
    conference_page = client.get(f"/conferences/{conference.slug}").get_data(as_text=True)
    assert f"/guides/{guide_id}" in conference_page


def test_csrf_is_required_when_enabled(app, client, auth, setup, files):
    _conference, session, _foreign, _staff = setup
    auth.login("qlkh@example.vn")
    app.config["WTF_CSRF_ENABLED"] = True
    response = _post_files(
        client, f"/staff/sessions/{session.id}/documents", (files.pdf(), "a.pdf")
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
