"""Uploads, versions, access levels, readiness, reminders and guides through the services."""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach.audit.models import AuditEntry
from outreach.database import db
from outreach.documents import services
from outreach.documents import storage
from outreach.documents.models import Document
from outreach.documents.models import DocumentVersion
from outreach.mail.models import OutboxMessage

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def _files_in(folder) -> list[str]:
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def _upload(store, data, name, **kwargs):
    kwargs.setdefault("actor", None)
    return services.upload_documents(
        [services.Upload(name, io.BytesIO(data))], now=NOW, store=store, **kwargs
    )


def test_upload_stores_under_generated_name_with_hash(
    app, create_conference, create_session, files, store
):
    session = create_session(create_conference())
    data = files.pdf("Báo cáo")
    [document] = _upload(store, data, "Báo cáo quý 3 – Sở NN&PTNT.pdf", session=session)
    version = document.current
    assert version.original_name == "Báo cáo quý 3 – Sở NN&PTNT.pdf"
    assert document.title == "Báo cáo quý 3 – Sở NN&PTNT"
    assert storage.STORED_NAME.match(version.stored_name)
    path = Path(store.folder) / version.stored_name
    assert path.read_bytes() == data
    import hashlib

    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert version.size == len(data)
    assert document.division_id == session.division_id
    assert _files_in(store.folder) == [version.stored_name]


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\app.db.pdf",
        "/etc/passwd.pdf",
        "C:\\x.pdf",
        "CON.pdf",
        "a\x00.pdf",
        "x" * 300 + ".pdf",
        ".pdf",
        '"><svg onload=alert(1)>.pdf',
    ],
)
def test_odd_names_never_reach_the_path(app, create_conference, files, store, name):
    [document] = _upload(store, files.pdf(), name, conference=create_conference())
    version = document.current
    stored = os.path.realpath(os.path.join(store.folder, version.stored_name))
    assert stored.startswith(os.path.realpath(store.folder) + os.sep)
    assert storage.STORED_NAME.match(version.stored_name)
    assert 0 < len(version.original_name) <= 150
    assert "\x00" not in version.original_name
    assert "/" not in version.original_name
    assert version.original_name.endswith(".pdf")


def test_empty_stem_falls_back_to_tai_lieu(app, create_conference, files, store):
    [document] = _upload(store, files.pdf(), ".pdf", conference=create_conference())
    assert document.current.original_name == "tai-lieu.pdf"


def test_empty_name_is_refused(app, create_conference, files, store):
    with pytest.raises(services.FileRejected) as caught:
        _upload(store, files.pdf(), "", conference=create_conference())
    assert caught.value.code == "file.empty"


@pytest.mark.parametrize(
    ("data_name", "code"),
    [
        ("html", "file.content_mismatch"),
        ("macro", "file.macros_not_allowed"),
        ("exe", "file.type_not_allowed"),
    ],
)
def test_rejected_upload_leaves_no_row_and_no_file(
    app, create_conference, files, store, data_name, code
):
    data, name = {
        "html": (b"<html><script>alert(1)</script></html>", "x.pdf"),
        "macro": (files.ooxml("docx", macro=True), "x.docx"),
        "exe": (b"MZ\x90\x00", "x.exe"),
    }[data_name]
    with pytest.raises(services.FileRejected) as caught:
        _upload(store, data, name, conference=create_conference())
    assert caught.value.code == code
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(DocumentVersion.id))) == 0
    assert _files_in(store.folder) == []


def test_too_large_upload_leaves_no_file(app, create_conference, files, store):
    small = services.Storage(folder=store.folder, max_bytes=1000)
    with pytest.raises(services.FileTooLarge):
        _upload(small, files.pdf() + b"\0" * 2000, "big.pdf", conference=create_conference())
    assert _files_in(store.folder) == []


def test_full_disk_gives_clear_error_no_row_no_file(
    app, create_conference, files, store, monkeypatch
):
    conference = create_conference()
    db.session.commit()
    real_open = Path.open

    class FullFile:
        def __init__(self, handle):
            self._handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    def fake_open(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        return FullFile(handle) if "x" in mode else handle

    monkeypatch.setattr(Path, "open", fake_open)
    with pytest.raises(services.StorageFull) as caught:
        _upload(store, files.pdf(), "a.pdf", conference=conference)
    monkeypatch.undo()
    assert caught.value.code == "file.storage_full"
    assert "hết chỗ" in caught.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert _files_in(store.folder) == []


def test_second_file_failing_removes_the_first(app, create_conference, files, store):
    conference = create_conference()
    with pytest.raises(services.FileRejected):
        services.upload_documents(
            [
                services.Upload("a.pdf", io.BytesIO(files.pdf())),
                services.Upload("b.pdf", io.BytesIO(b"<html>")),
            ],
            conference=conference,
            actor=None,
            now=NOW,
            store=store,
        )
    assert _files_in(store.folder) == []


def test_replace_makes_new_version_and_failed_replace_keeps_old(
    app, create_conference, files, store, organizer
):
    [document] = _upload(
        store, files.pdf("một"), "a.pdf", conference=create_conference(), state="ready"
    )
    first = document.current
    version = services.replace_document(
        document,
        services.Upload("b.pdf", io.BytesIO(files.pdf("hai"))),
        actor=organizer,
        now=NOW,
        store=store,
    )
    assert version.number == 2
    assert document.current.id == version.id
    assert [v.number for v in document.versions] == [2, 1]
    assert (Path(store.folder) / first.stored_name).exists()
    with pytest.raises(services.FileRejected):
        services.replace_document(
            document,
            services.Upload("c.pdf", io.BytesIO(b"<html>")),
            actor=organizer,
            now=NOW,
            store=store,
        )
    assert document.current.id == version.id
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_id == document.id)
    )
    assert "document.replace" in set(actions)


def test_retitle_reorder_delete_are_audited(
    app, create_conference, create_session, files, store, organizer
):
    session = create_session(create_conference())
    (a,) = _upload(store, files.pdf(), "a.pdf", session=session)
    (b,) = _upload(store, files.pdf(), "b.pdf", session=session)
    services.update_document(
        a, title="Tên mới", visibility="staff", state="ready", actor=organizer, now=NOW
    )
    services.move_document(b, "up", actor=organizer, now=NOW)
    assert [d.id for d in services.session_documents(session)] == [b.id, a.id]
    services.delete_document(a, actor=organizer, now=NOW)
    assert [d.id for d in services.session_documents(session)] == [b.id]
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"document.retitle", "document.reorder", "document.delete", "document.update"} <= actions


def test_bad_title_and_choices_are_refused(app, create_conference, files, store, organizer):
    [document] = _upload(store, files.pdf(), "a.pdf", conference=create_conference())
    with pytest.raises(services.InvalidTitle):
        services.update_document(
            document, title="", visibility="public", state="ready", actor=organizer, now=NOW
        )
    with pytest.raises(services.InvalidChoice):
        services.update_document(
            document, title="x", visibility="everyone", state="ready", actor=organizer, now=NOW
        )


def test_access_levels_release_only_ready_documents(app, create_conference, files, store):
    conference = create_conference()
    (public,) = _upload(
        store, files.pdf(), "p.pdf", conference=conference, visibility="public", state="ready"
    )
    (registrants,) = _upload(
        store, files.pdf(), "r.pdf", conference=conference, visibility="registrants", state="ready"
    )
    (staff,) = _upload(
        store, files.pdf(), "s.pdf", conference=conference, visibility="staff", state="ready"
    )
    (draft,) = _upload(
        store, files.pdf(), "d.pdf", conference=conference, visibility="public", state="draft"
    )

    def ids(level):
        return {d.id for d in services.released_documents(conference, level=level)}

    assert ids("public") == {public.id}
    assert ids("registrants") == {public.id, registrants.id}
    assert ids("staff") == {public.id, registrants.id, staff.id}
    assert services.find_released(conference, draft.id, level="staff") is None
    assert services.find_released(conference, registrants.id, level="public") is None


def test_upload_permissions(
    app, create_conference, create_session, create_division, create_user, organizer
):
    own = create_division()
    other = create_division()
    conference = create_conference(host=organizer.organization)
    session = create_session(conference, division=own)
    staff = create_user(role="division_staff", division=own)
    stranger = create_user(role="division_staff", division=other)
    outsider = create_user(role="organizer", email="x@example.vn")
    assert services.can_upload_to_session(staff, session)
    assert services.can_upload_to_session(organizer, session)
    assert not services.can_upload_to_session(stranger, session)
    assert not services.can_upload_to_session(outsider, session)
    assert not services.can_upload_to_session(None, session)


def test_readiness_board_and_my_briefings(
    app, create_conference, create_session, create_division, create_user, files, store
):
    division = create_division()
    early = create_conference(
        starts_at=dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC),
    )
    late = create_conference()
    create_session(early, division=division, title="Phiên sớm")
    ready_session = create_session(late, division=division, title="Phiên đã xong")
    pending = create_session(
        late,
        division=division,
        title="Phiên chưa có",
        starts_at=late.starts_at + dt.timedelta(hours=1),
    )
    _upload(store, files.pdf(), "a.pdf", session=ready_session, state="ready")
    _upload(store, files.pdf(), "b.pdf", session=pending, state="draft")
    assert services.briefing_deadline(late) == late.starts_at - dt.timedelta(days=3)
    board = services.readiness_board(early, now=NOW)
    assert board.rows[0].is_late
    assert board.late_count == 1
    board = services.readiness_board(late, now=NOW)
    assert [(r.session.title, r.is_ready, r.is_late) for r in board.rows] == [
        ("Phiên đã xong", True, False),
        ("Phiên chưa có", False, False),
    ]
    staff = create_user(role="division_staff", division=division)
    titles = [i.row.session.title for i in services.my_briefings(staff, now=NOW)]
    assert titles == ["Phiên sớm", "Phiên chưa có", "Phiên đã xong"]


def test_deadline_override_must_be_before_start(app, create_conference, organizer):
    conference = create_conference()
    with pytest.raises(services.DocumentError):
        services.set_briefing_deadline(conference, conference.starts_at, actor=organizer, now=NOW)
    new = conference.starts_at - dt.timedelta(days=5)
    services.set_briefing_deadline(conference, new, actor=organizer, now=NOW)
    assert services.briefing_deadline(conference) == new


def test_reminders_one_per_division_per_conference_per_day(
    app, create_conference, create_session, create_division, create_user, files, store
):
    division = create_division()
    done_division = create_division()
    conference = create_conference()
    create_session(conference, division=division, title="Thiếu tài liệu 1")
    create_session(conference, division=division, title="Thiếu tài liệu 2")
    done = create_session(conference, division=done_division)
    _upload(store, files.pdf(), "a.pdf", session=done, state="ready")
    create_user(role="division_staff", division=division, email="a@example.vn")
    create_user(role="division_staff", division=division, email="b@example.vn")
    create_user(role="division_staff", division=done_division, email="c@example.vn")
    too_early = conference.starts_at - dt.timedelta(days=30)
    assert services.queue_briefing_reminders(too_early) == 0
    assert services.queue_briefing_reminders(NOW) == 1
    assert services.queue_briefing_reminders(NOW + dt.timedelta(hours=2)) == 0
    messages = list(db.session.scalars(sa.select(OutboxMessage)))
    assert len(messages) == 1
    assert messages[0].to_address == "a@example.vn, b@example.vn"
    assert "Thiếu tài liệu 1" in messages[0].body_text
    assert "Thiếu tài liệu 2" in messages[0].body_text
    assert services.queue_briefing_reminders(NOW + dt.timedelta(days=1)) == 1


def test_remind_briefings_command(
    app, runner, create_conference, create_session, create_division, create_user
):
    division = create_division()
    conference = create_conference(
        starts_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
        ends_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2, hours=3),
    )
    create_session(conference, division=division)
    create_user(role="division_staff", division=division, email="nhac@example.vn")
    result = runner.invoke(args=["remind-briefings"])
    assert "queued 1" in result.output
    assert db.session.scalar(sa.select(OutboxMessage.to_address)) == "nhac@example.vn"


def test_guides_listed_by_theme_and_published_only(app, organizer, create_division):
    division = create_division()
    guide = services.save_guide(
        services.GuideInput(
            theme="st_projects",
            title="Thủ tục đề xuất đề tài",
            steps="Bước 1\n\nBước 2",
            division=division,
            is_published=True,
        ),
        actor=organizer,
        now=NOW,
    )
    services.save_guide(
        services.GuideInput(theme="branding", title="Nháp", steps="", division=None),
        actor=organizer,
        now=NOW,
    )
    assert guide.step_lines == ["Bước 1", "Bước 2"]
    assert [g.title for g in services.list_guides(themes=["st_projects", "branding"])] == [
        "Thủ tục đề xuất đề tài"
    ]
    with pytest.raises(services.InvalidGuide):
        services.save_guide(
            services.GuideInput(theme="nope", title="x", steps="", division=None),
            actor=organizer,
            now=NOW,
        )


def test_demo_documents_load_once_with_files_and_guides(app):
    from outreach import demo
    from outreach.documents.models import ProcedureGuide

    demo.load_demo()
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count(Document.id)))
    demo.load_demo()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == count > 3
    themes = set(db.session.scalars(sa.select(ProcedureGuide.theme)))
    assert themes == {"st_projects", "branding", "innovation"}
    folder = Path(app.config["UPLOAD_FOLDER"])
    for version in db.session.scalars(sa.select(DocumentVersion)):
        assert (folder / version.stored_name).read_bytes()[:5] == b"%PDF-"
