"""Briefing documents: upload policy, versions, access levels, readiness, reminders, packs,
procedure guides."""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from outreach.accounts.models import Division
from outreach.accounts.models import Role
from outreach.accounts.models import User
from outreach.audit import services as audit
from outreach.conferences import services as conference_services
from outreach.conferences.models import PUBLIC_STATUSES
from outreach.conferences.models import AgendaSession
from outreach.conferences.models import Conference
from outreach.conferences.models import ConferenceStatus
from outreach.conferences.models import Theme
from outreach.database import db
from outreach.documents import content
from outreach.documents import pack
from outreach.documents import storage
from outreach.documents.models import LEVEL_ORDER
from outreach.documents.models import BriefingSetting
from outreach.documents.models import Document
from outreach.documents.models import DocumentState
from outreach.documents.models import DocumentVersion
from outreach.documents.models import ProcedureGuide
from outreach.documents.models import Visibility
from outreach.errors import OutreachError
from outreach.mail import services as mail_services
from outreach.mail.models import OutboxMessage
from outreach.registration import vn

DEFAULT_DEADLINE_DAYS = 3
#: reminders start this many days before the deadline
REMINDER_LEAD_DAYS = 7
MAX_TITLE = 200
MAX_FILES_PER_OWNER = 30


class DocumentError(OutreachError):
    code = "document.error"


class FileRejected(DocumentError):
    code = "file.rejected"


class StorageFull(DocumentError):
    code = "file.storage_full"


class FileTooLarge(DocumentError):
    code = "file.too_large"


class InvalidTitle(DocumentError):
    code = "document.title_invalid"


class InvalidChoice(DocumentError):
    code = "document.invalid_choice"


class TooManyFiles(DocumentError):
    code = "file.quota_exceeded"


class InvalidGuide(DocumentError):
    code = "guide.invalid"


def _rejection_message(code: str) -> str:
    messages = {
        "empty": _("Tệp trống. Chọn lại tệp cần tải lên."),
        "type_not_allowed": _("Chỉ chấp nhận PDF, DOCX, PPTX, XLSX và ảnh PNG, JPEG."),
        "content_mismatch": _(
            "Nội dung tệp không khớp với đuôi tên tệp. Hãy lưu lại tệp đúng định dạng rồi thử lại."
        ),
        "macros_not_allowed": _(
            "Tệp có macro không được chấp nhận. Hãy lưu lại dưới dạng DOCX, XLSX hoặc PPTX thường."
        ),
        "too_complex": _("Tệp nén bên trong quá lớn hoặc quá nhiều phần, không thể mở an toàn."),
    }
    return messages.get(code, messages["type_not_allowed"])


# --- who may do what ------------------------------------------------------------------------


def can_upload_to_session(user: User | None, session: AgendaSession) -> bool:
    """Staff of the session's division, and whoever manages its conference."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if conference_services.can_manage_conference(user, session.conference):
        return True
    return (
        user.role == Role.DIVISION_STAFF
        and user.division_id is not None
        and user.division_id == session.division_id
    )


def can_manage_document(user: User | None, document: Document) -> bool:
    if document.deleted_at is not None or user is None:
        return False
    if document.guide_id is not None:
        return can_manage_guides(user) or (
            getattr(user, "is_authenticated", False)
            and user.division_id is not None
            and document.guide is not None
            and document.guide.division_id == user.division_id
        )
    if document.session is not None:
        return can_upload_to_session(user, document.session)
    return conference_services.can_manage_conference(user, document.conference)


def can_manage_guides(user: User | None) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.has_role(Role.ORGANIZER)
    )


def can_edit_guide(user: User | None, guide: ProcedureGuide) -> bool:
    if can_manage_guides(user):
        return True
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.division_id is not None
        and user.division_id == guide.division_id
    )


# --- uploads --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Upload:
    """One file from a form: the client's name and a readable binary stream."""

    filename: str
    stream: BinaryIO


@dataclasses.dataclass(frozen=True)
class Storage:
    folder: str
    max_bytes: int


def _clean_title(title: str, fallback: str) -> str:
    title = " ".join((title or "").split())
    if vn.has_control_characters(title):
        raise InvalidTitle(_("Tên tài liệu có ký tự không hợp lệ."), field="title")
    if len(title) > MAX_TITLE:
        raise InvalidTitle(_("Tên tài liệu dài quá %(n)d ký tự.", n=MAX_TITLE), field="title")
    return title or fallback


def _check_choice(value: str, allowed, field: str) -> str:
    if value not in {str(v) for v in allowed}:
        raise InvalidChoice(_("Lựa chọn không hợp lệ."), field=field)
    return value


def _store(upload: Upload, store: Storage) -> tuple[str, storage.TempFile, content.Detected]:
    """Write, check and move one upload into place; return (stored name, temp info, type).

    :raises FileRejected: for a name or content outside the allow-list.
    :raises FileTooLarge: past ``store.max_bytes``.
    :raises StorageFull: when the disk is full or unwritable.
    """
    extension = content.name_extension(upload.filename or "")
    if extension not in content.ALLOWED_BRIEFING_EXTENSIONS:
        raise FileRejected(
            _rejection_message("type_not_allowed"), code="file.type_not_allowed", field="files"
        )
    try:
        temp = storage.write_temp(upload.stream, store.folder, max_bytes=store.max_bytes)
    except storage.TooLarge:
        raise FileTooLarge(
            _(
                "Tệp lớn hơn %(mb)d MB. Hãy nén hoặc chia nhỏ tệp rồi tải lên lại.",
                mb=store.max_bytes // (1024 * 1024),
            ),
            field="files",
        ) from None
    except OSError as error:
        raise _storage_error(error) from None
    try:
        detected = content.detect(temp.path, upload.filename)
        name = storage.commit_temp(temp, store.folder, detected.extension)
    except content.ContentRejected as error:
        storage.discard(temp.path)
        raise FileRejected(
            _rejection_message(error.code), code=f"file.{error.code}", field="files"
        ) from None
    except OSError as error:
        storage.discard(temp.path)
        raise _storage_error(error) from None
    return name, temp, detected


def _storage_error(error: OSError) -> StorageFull:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(
            _("Máy chủ đã hết chỗ lưu tệp. Tệp chưa được lưu; vui lòng báo quản trị hệ thống.")
        )
    return StorageFull(_("Không lưu được tệp trên máy chủ. Tệp chưa được lưu; vui lòng thử lại."))


def _add_version(
    document: Document, upload: Upload, *, actor: User | None, now: dt.datetime, store: Storage
) -> DocumentVersion:
    name, temp, detected = _store(upload, store)
    try:
        number = (
            db.session.scalar(
                sa.select(sa.func.max(DocumentVersion.number)).where(
                    DocumentVersion.document_id == document.id
                )
            )
            or 0
        ) + 1
        version = DocumentVersion(
            document=document,
            number=number,
            stored_name=name,
            original_name=storage.clean_display_name(upload.filename, detected.extension),
            sha256=temp.sha256,
            size=temp.size,
            media_type=detected.media_type,
            uploaded_by_id=getattr(actor, "id", None),
            uploaded_at=now,
        )
        db.session.add(version)
        db.session.flush()
    except BaseException:
        storage.remove(store.folder, name)
        raise
    return version


def _owner_filter(**owner) -> list:
    column, value = next(iter(owner.items()))
    conditions = [getattr(Document, column) == value, Document.deleted_at.is_(None)]
    if column == "conference_id":
        conditions.append(Document.session_id.is_(None))
    return conditions


def _next_position(**owner) -> int:
    current = db.session.scalar(
        sa.select(sa.func.max(Document.position)).where(*_owner_filter(**owner))
    )
    return 0 if current is None else current + 1


def _count_live(**owner) -> int:
    return db.session.scalar(sa.select(sa.func.count(Document.id)).where(*_owner_filter(**owner)))


def upload_documents(
    files: list[Upload],
    *,
    conference: Conference | None = None,
    session: AgendaSession | None = None,
    guide: ProcedureGuide | None = None,
    visibility: str = Visibility.PUBLIC,
    state: str = DocumentState.DRAFT,
    title: str = "",
    actor: User | None,
    now: dt.datetime,
    store: Storage,
) -> list[Document]:
    """Add one new document per file to a session, a conference, or a guide.

    All files are checked and stored before anything is kept: if one fails, the files
    already stored for this call are removed and the error is raised.

    :raises FileRejected, FileTooLarge, StorageFull, InvalidTitle, InvalidChoice, TooManyFiles:
    """
    _check_choice(visibility, Visibility, "visibility")
    _check_choice(state, DocumentState, "state")
    files = [f for f in files if f is not None and (f.filename or "").strip()]
    if not files:
        raise FileRejected(_("Chọn ít nhất một tệp để tải lên."), code="file.empty", field="files")
    if session is not None:
        conference = session.conference
        owner = {"session_id": session.id}
        division_id = session.division_id
    elif guide is not None:
        owner = {"guide_id": guide.id}
        division_id = guide.division_id
    else:
        owner = {"conference_id": conference.id}
        division_id = getattr(actor, "division_id", None)
    if _count_live(**owner) + len(files) > MAX_FILES_PER_OWNER:
        raise TooManyFiles(
            _("Mỗi phiên chỉ giữ tối đa %(n)d tài liệu.", n=MAX_FILES_PER_OWNER), field="files"
        )
    clean_title = _clean_title(title, "") if len(files) == 1 else ""
    position = _next_position(**owner)
    created: list[Document] = []
    try:
        for upload in files:
            document = Document(
                conference_id=conference.id if conference is not None else None,
                session_id=session.id if session is not None else None,
                guide_id=guide.id if guide is not None else None,
                division_id=division_id,
                title="",
                visibility=visibility,
                state=state,
                position=position,
                created_by_id=getattr(actor, "id", None),
                created_at=now,
            )
            db.session.add(document)
            db.session.flush()
            created.append(document)
            version = _add_version(document, upload, actor=actor, now=now, store=store)
            document.title = clean_title or version.original_name.rsplit(".", 1)[0][:MAX_TITLE]
            position += 1
    except BaseException:
        for document in created:
            for version in document.versions:
                storage.remove(store.folder, version.stored_name)
        raise
    db.session.flush()
    for document in created:
        audit.record(
            "document.upload",
            actor=actor,
            object_type="document",
            object_id=document.id,
            detail={"version": 1, "visibility": document.visibility, "state": document.state},
            now=now,
        )
    return created


def replace_document(
    document: Document, upload: Upload, *, actor: User | None, now: dt.datetime, store: Storage
) -> DocumentVersion:
    """Upload a new version; earlier versions stay for staff.

    :raises FileRejected, FileTooLarge, StorageFull: the current version is left as it was.
    """
    version = _add_version(document, upload, actor=actor, now=now, store=store)
    db.session.refresh(document, ["versions"])
    audit.record(
        "document.replace",
        actor=actor,
        object_type="document",
        object_id=document.id,
        detail={"version": version.number, "size": version.size},
        now=now,
    )
    return version


def update_document(
    document: Document,
    *,
    title: str,
    visibility: str,
    state: str,
    actor: User | None,
    now: dt.datetime,
) -> Document:
    """Retitle, change the access level or the state.

    :raises InvalidTitle, InvalidChoice:
    """
    new_title = _clean_title(title, "")
    if not new_title:
        raise InvalidTitle(_("Nhập tên tài liệu."), field="title")
    _check_choice(visibility, Visibility, "visibility")
    _check_choice(state, DocumentState, "state")
    if new_title != document.title:
        audit.record(
            "document.retitle",
            actor=actor,
            object_type="document",
            object_id=document.id,
            now=now,
        )
    changed = [
        name
        for name, value in (("visibility", visibility), ("state", state))
        if getattr(document, name) != value
    ]
    if changed:
        audit.record(
            "document.update",
            actor=actor,
            object_type="document",
            object_id=document.id,
            detail={
                name: value
                for name, value in (("visibility", visibility), ("state", state))
                if name in changed
            },
            now=now,
        )
    document.title = new_title
    document.visibility = visibility
    document.state = state
    db.session.flush()
    return document


def _siblings(document: Document) -> list[Document]:
    query = sa.select(Document).where(Document.deleted_at.is_(None))
    if document.session_id is not None:
        query = query.where(Document.session_id == document.session_id)
    elif document.guide_id is not None:
        query = query.where(Document.guide_id == document.guide_id)
    else:
        query = query.where(
            Document.conference_id == document.conference_id, Document.session_id.is_(None)
        )
    return list(db.session.scalars(query.order_by(Document.position, Document.id)))


def move_document(
    document: Document, direction: str, *, actor: User | None, now: dt.datetime
) -> None:
    """Move a document one place up or down among its siblings (positions renumbered)."""
    siblings = _siblings(document)
    index = siblings.index(document)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    db.session.flush()
    audit.record(
        "document.reorder",
        actor=actor,
        object_type="document",
        object_id=document.id,
        detail={"position": target},
        now=now,
    )


def delete_document(document: Document, *, actor: User | None, now: dt.datetime) -> None:
    """Hide a document everywhere; its files stay on disk for the record."""
    document.deleted_at = now
    db.session.flush()
    audit.record(
        "document.delete", actor=actor, object_type="document", object_id=document.id, now=now
    )


# --- reading --------------------------------------------------------------------------------


def levels_for(level: str) -> tuple[str, ...]:
    """The visibilities an access level may see: public < registrants < staff."""
    index = [str(v) for v in LEVEL_ORDER].index(level)
    return tuple(str(v) for v in LEVEL_ORDER[: index + 1])


def _conference_query(conference: Conference):
    # The session comes with the row and the versions in one more query: lists show both.
    return (
        sa.select(Document)
        .outerjoin(AgendaSession, Document.session_id == AgendaSession.id)
        .options(contains_eager(Document.session), selectinload(Document.versions))
        .where(Document.conference_id == conference.id, Document.deleted_at.is_(None))
        .order_by(
            Document.session_id.is_not(None),
            AgendaSession.starts_at,
            AgendaSession.position,
            AgendaSession.id,
            Document.position,
            Document.id,
        )
    )


def released_documents(conference: Conference, *, level: str) -> list[Document]:
    """Ready documents with a file that ``level`` may see, conference-level first, then by
    agenda order."""
    query = _conference_query(conference).where(
        Document.state == DocumentState.READY, Document.visibility.in_(levels_for(level))
    )
    return [d for d in db.session.scalars(query) if d.current is not None]


def all_documents(conference: Conference) -> list[Document]:
    return list(db.session.scalars(_conference_query(conference)))


def session_documents(session: AgendaSession) -> list[Document]:
    return list(
        db.session.scalars(
            sa.select(Document)
            .options(selectinload(Document.versions))
            .where(Document.session_id == session.id, Document.deleted_at.is_(None))
            .order_by(Document.position, Document.id)
        )
    )


def agenda_sessions(conference: Conference) -> list[AgendaSession]:
    """The conference's agenda sessions in agenda order, with their divisions."""
    return list(
        db.session.scalars(
            sa.select(AgendaSession)
            .options(joinedload(AgendaSession.division))
            .where(AgendaSession.conference_id == conference.id)
            .order_by(AgendaSession.starts_at, AgendaSession.position, AgendaSession.id)
        )
    )


def find_released(conference: Conference, document_id: int, *, level: str) -> Document | None:
    """A document ``level`` may download from this conference, or None (same for not found
    and not allowed)."""
    document = db.session.get(Document, document_id)
    if (
        document is None
        or document.conference_id != conference.id
        or not conference.is_public
        or not document.is_ready
        or document.visibility not in levels_for(level)
        or document.current is None
    ):
        return None
    return document


def find_guide_document(guide: ProcedureGuide, document_id: int) -> Document | None:
    document = db.session.get(Document, document_id)
    if (
        document is None
        or document.guide_id != guide.id
        or not guide.is_published
        or not document.is_ready
        or document.visibility != Visibility.PUBLIC
        or document.current is None
    ):
        return None
    return document


# --- readiness ------------------------------------------------------------------------------


def briefing_deadline(conference: Conference) -> dt.datetime:
    return briefing_deadlines([conference])[conference.id]


def briefing_deadlines(conferences: Iterable[Conference]) -> dict[int, dt.datetime]:
    """The briefing deadline of each conference (by id), in one query whatever their number."""
    conferences = list(conferences)
    if not conferences:
        return {}
    settings = {
        setting.conference_id: setting
        for setting in db.session.scalars(
            sa.select(BriefingSetting).where(
                BriefingSetting.conference_id.in_({c.id for c in conferences})
            )
        )
    }
    deadlines = {}
    for conference in conferences:
        setting = settings.get(conference.id)
        if setting is not None and setting.deadline_at is not None:
            deadlines[conference.id] = setting.deadline_at
        else:
            deadlines[conference.id] = conference.starts_at - dt.timedelta(
                days=DEFAULT_DEADLINE_DAYS
            )
    return deadlines


def set_briefing_deadline(
    conference: Conference, deadline_at: dt.datetime | None, *, actor: User | None, now: dt.datetime
) -> None:
    """Set (or clear, with None) the briefing deadline.

    :raises DocumentError: a deadline after the conference starts.
    """
    if deadline_at is not None and deadline_at >= conference.starts_at:
        raise DocumentError(
            _("Hạn nộp tài liệu phải trước giờ bắt đầu hội nghị."),
            code="briefing.deadline_after_start",
            field="deadline",
        )
    setting = db.session.get(BriefingSetting, conference.id)
    if setting is None:
        setting = BriefingSetting(conference_id=conference.id)
        db.session.add(setting)
    setting.deadline_at = deadline_at
    setting.updated_at = now
    db.session.flush()
    audit.record(
        "briefing.deadline", actor=actor, object_type="conference", object_id=conference.id, now=now
    )


@dataclasses.dataclass(frozen=True)
class BoardRow:
    session: AgendaSession
    ready_count: int
    draft_count: int
    is_late: bool

    @property
    def is_ready(self) -> bool:
        return self.ready_count > 0


@dataclasses.dataclass(frozen=True)
class Board:
    conference: Conference
    deadline_at: dt.datetime
    rows: list[BoardRow]

    @property
    def ready_count(self) -> int:
        return sum(1 for row in self.rows if row.is_ready)

    @property
    def late_count(self) -> int:
        return sum(1 for row in self.rows if row.is_late)


def _counts(session_ids: list[int]) -> dict[tuple[int, str], int]:
    if not session_ids:
        return {}
    rows = db.session.execute(
        sa.select(Document.session_id, Document.state, sa.func.count(Document.id))
        .where(Document.session_id.in_(session_ids), Document.deleted_at.is_(None))
        .group_by(Document.session_id, Document.state)
    )
    return {(session_id, state): count for session_id, state, count in rows}


def _row(session: AgendaSession, counts, *, deadline: dt.datetime, now: dt.datetime) -> BoardRow:
    ready = counts.get((session.id, DocumentState.READY.value), 0)
    return BoardRow(
        session=session,
        ready_count=ready,
        draft_count=counts.get((session.id, DocumentState.DRAFT.value), 0),
        is_late=ready == 0 and now >= deadline,
    )


def readiness_board(conference: Conference, *, now: dt.datetime) -> Board:
    """Each session with its division, whether its briefing is ready, and what is late."""
    return readiness_boards([conference], now=now)[conference.id]


def _sessions_with_counts(
    conferences: list[Conference],
) -> tuple[dict[int, list[AgendaSession]], dict[tuple[int, str], int]]:
    """The agenda sessions of these conferences (by conference id, in agenda order, with
    their divisions) and the count of documents per (session id, state), in one query."""
    if not conferences:
        return {}, {}
    ready = sa.func.sum(sa.case((Document.state == DocumentState.READY.value, 1), else_=0))
    draft = sa.func.sum(sa.case((Document.state == DocumentState.DRAFT.value, 1), else_=0))
    ids = {c.id for c in conferences}
    counted = (
        sa.select(Document.session_id, ready.label("ready"), draft.label("draft"))
        .where(
            Document.session_id.in_(
                sa.select(AgendaSession.id).where(AgendaSession.conference_id.in_(ids))
            ),
            Document.deleted_at.is_(None),
        )
        .group_by(Document.session_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(AgendaSession, counted.c.ready, counted.c.draft)
        .outerjoin(counted, counted.c.session_id == AgendaSession.id)
        .options(joinedload(AgendaSession.division))
        .where(AgendaSession.conference_id.in_(ids))
        .order_by(AgendaSession.starts_at, AgendaSession.position, AgendaSession.id)
    )
    sessions: dict[int, list[AgendaSession]] = {c.id: [] for c in conferences}
    counts = {}
    for session, ready_count, draft_count in rows:
        sessions[session.conference_id].append(session)
        if ready_count:
            counts[(session.id, DocumentState.READY.value)] = ready_count
        if draft_count:
            counts[(session.id, DocumentState.DRAFT.value)] = draft_count
    return sessions, counts


def readiness_boards(conferences: Iterable[Conference], *, now: dt.datetime) -> dict[int, Board]:
    """``readiness_board`` of each conference (by id), in two queries whatever their number."""
    conferences = list(conferences)
    sessions, counts = _sessions_with_counts(conferences)
    for conference in conferences:
        # Fill the collection when not loaded yet; a loaded one (maybe just changed) stays.
        if "sessions" in sa.inspect(conference).unloaded:
            set_committed_value(conference, "sessions", sessions[conference.id])
    deadlines = briefing_deadlines(conferences)
    return {
        c.id: Board(
            conference=c,
            deadline_at=deadlines[c.id],
            rows=[_row(s, counts, deadline=deadlines[c.id], now=now) for s in c.sessions],
        )
        for c in conferences
    }


@dataclasses.dataclass(frozen=True)
class MyBriefing:
    row: BoardRow
    deadline_at: dt.datetime


def my_briefings(user: User, *, now: dt.datetime) -> list[MyBriefing]:
    """The sessions of the user's division in conferences still to come; late ones first,
    then the not-ready ones by deadline, then the ready ones."""
    if user.division_id is None:
        return []
    sessions = list(
        db.session.scalars(
            sa.select(AgendaSession)
            .join(AgendaSession.conference)
            .where(
                AgendaSession.division_id == user.division_id,
                Conference.ends_at >= now,
                Conference.status != ConferenceStatus.CANCELLED,
            )
            .order_by(AgendaSession.starts_at, AgendaSession.position)
        )
    )
    counts = _counts([s.id for s in sessions])
    deadlines = briefing_deadlines({s.conference for s in sessions})
    items = []
    for session in sessions:
        deadline = deadlines[session.conference_id]
        items.append(MyBriefing(_row(session, counts, deadline=deadline, now=now), deadline))
    return sorted(
        items, key=lambda i: (not i.row.is_late, i.row.is_ready, i.deadline_at, i.row.session.id)
    )


def queue_briefing_reminders(now: dt.datetime, *, site_url: str = "") -> int:
    """Queue one reminder per division per conference per day for sessions with no ready
    document, from ``REMINDER_LEAD_DAYS`` before the deadline until the conference starts.
    Return the number of messages queued (already-queued ones are not counted)."""
    conferences = db.session.scalars(
        sa.select(Conference).where(
            Conference.status.in_([ConferenceStatus.PUBLISHED, ConferenceStatus.CLOSED]),
            Conference.starts_at > now,
        )
    )
    queued = 0
    for conference in conferences:
        deadline = briefing_deadline(conference)
        if now < deadline - dt.timedelta(days=REMINDER_LEAD_DAYS):
            continue
        board = readiness_board(conference, now=now)
        missing: dict[int, list[AgendaSession]] = {}
        for row in board.rows:
            if not row.is_ready:
                missing.setdefault(row.session.division_id, []).append(row.session)
        zone = ZoneInfo(conference.timezone)
        day = now.astimezone(zone).date().isoformat()
        for division_id, sessions in missing.items():
            addresses = _division_addresses(division_id)
            if not addresses:
                continue
            key = f"briefing-reminder:{conference.id}:{division_id}:{day}"
            lines = [
                _("Phòng của bạn chưa có tài liệu sẵn sàng cho các phiên sau:"),
                "",
                *(f"- {s.title}" for s in sessions),
                "",
                _("Hội nghị: %(title)s", title=conference.title),
                _(
                    "Hạn nộp: %(when)s",
                    when=deadline.astimezone(zone).strftime("%H:%M %d/%m/%Y"),
                ),
            ]
            if site_url:
                lines += ["", site_url.rstrip("/") + "/staff/my-briefings"]
            if db.session.scalar(
                sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
            ):
                continue
            mail_services.queue_message(
                to=", ".join(addresses),
                subject=_("Nhắc nộp tài liệu: %(title)s", title=conference.title),
                text="\n".join(lines),
                dedupe_key=key,
                now=now,
            )
            queued += 1
    return queued


def _division_addresses(division_id: int) -> list[str]:
    """Active staff e-mails of a division that fit in one ``To`` header (254 characters)."""
    emails = db.session.scalars(
        sa.select(User.email)
        .where(User.division_id == division_id, User.is_active)
        .order_by(User.id)
    )
    chosen: list[str] = []
    for email in emails:
        if len(", ".join([*chosen, email])) > 254:
            break
        chosen.append(email)
    return chosen


# --- packs ----------------------------------------------------------------------------------


def pack_entries(documents: list[Document], *, folder: str, general_section: str):
    """The pack's entries in order, with unique member names."""
    versions = [d.current for d in documents]
    names = pack.member_names(
        (index, v.original_name, v.extension) for index, v in enumerate(versions, start=1)
    )
    return [
        pack.PackEntry(
            section=d.session.title if d.session is not None else general_section,
            title=d.title,
            display_name=name,
            path=storage.path_for(folder, v.stored_name),
            extension=v.extension,
        )
        for d, v, name in zip(documents, versions, names, strict=True)
    ]


# --- procedure guides -----------------------------------------------------------------------


@dataclasses.dataclass
class GuideInput:
    theme: str
    title: str
    steps: str
    division: Division | None
    position: int = 0
    is_published: bool = False


def save_guide(
    data: GuideInput, *, guide: ProcedureGuide | None = None, actor: User | None, now: dt.datetime
) -> ProcedureGuide:
    """Create or update a procedure guide.

    :raises InvalidGuide: unknown theme, empty or too long title, too long steps.
    """
    if data.theme not in {t.value for t in Theme}:
        raise InvalidGuide(_("Chủ đề không hợp lệ."), field="theme")
    title = " ".join((data.title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise InvalidGuide(_("Nhập tên hướng dẫn (tối đa 200 ký tự)."), field="title")
    steps = (data.steps or "").strip()
    if len(steps) > 5000:
        raise InvalidGuide(_("Các bước dài quá 5000 ký tự."), field="steps")
    if guide is None:
        guide = ProcedureGuide(created_at=now)
        db.session.add(guide)
    guide.theme = data.theme
    guide.title = title
    guide.steps = steps
    guide.division_id = data.division.id if data.division is not None else None
    guide.position = data.position
    guide.is_published = data.is_published
    guide.updated_at = now
    db.session.flush()
    audit.record(
        "guide.save", actor=actor, object_type="procedure_guide", object_id=guide.id, now=now
    )
    return guide


def list_guides(*, published_only: bool = True, themes: list[str] | None = None):
    query = sa.select(ProcedureGuide).order_by(
        ProcedureGuide.theme, ProcedureGuide.position, ProcedureGuide.id
    )
    if published_only:
        query = query.where(ProcedureGuide.is_published)
    if themes is not None:
        query = query.where(ProcedureGuide.theme.in_(themes))
    return list(db.session.scalars(query))


def public_guide_documents(guide: ProcedureGuide) -> list[Document]:
    return [
        d
        for d in guide.documents
        if d.is_ready and d.visibility == Visibility.PUBLIC and d.current is not None
    ]


def find_public_conference(conference_id: int) -> Conference | None:
    conference = db.session.get(Conference, conference_id)
    if conference is None or conference.status not in PUBLIC_STATUSES:
        return None
    return conference


def file_path(version: DocumentVersion, folder: str) -> Path:
    return storage.path_for(folder, version.stored_name)


# --- demo data ------------------------------------------------------------------------------

#: (theme, title, steps, division code)
DEMO_GUIDES = [
    (
        Theme.ST_PROJECTS.value,
        "Thủ tục đề xuất, tham gia đề tài, dự án KH&CN",
        "Xác định vấn đề cần giải quyết của hợp tác xã\n"
        "Lập phiếu đề xuất đặt hàng nhiệm vụ KH&CN theo mẫu\n"
        "Nộp phiếu cho Sở KH&CN (trực tiếp hoặc qua dịch vụ công trực tuyến)\n"
        "Theo dõi kết quả xét chọn và hoàn thiện hồ sơ thuyết minh",
        "QLKH",
    ),
    (
        Theme.BRANDING.value,
        "Thủ tục đăng ký nhãn hiệu tập thể cho sản phẩm của HTX",
        "Tra cứu nhãn hiệu đã đăng ký\nChuẩn bị mẫu nhãn và quy chế sử dụng\n"
        "Nộp đơn tại Cục Sở hữu trí tuệ\nTheo dõi thẩm định và nhận văn bằng",
        "QLCN",
    ),
    (
        Theme.INNOVATION.value,
        "Hồ sơ tham gia Chương trình đổi mới công nghệ quốc gia",
        "Đánh giá nhu cầu đổi mới công nghệ\nLập dự án đổi mới công nghệ\n"
        "Nộp hồ sơ qua Sở KH&CN\nBảo vệ trước hội đồng tư vấn",
        "QLCNG",
    ),
]


def load_demo_documents(*, folder: str, now: dt.datetime) -> None:
    """Small generated PDFs (ready, public) for the demo conferences' sessions and one
    published procedure guide per theme. Idempotent: skips what already exists."""
    store = Storage(folder=folder, max_bytes=10 * 1024 * 1024)
    conferences = db.session.scalars(sa.select(Conference).order_by(Conference.id))
    for conference in conferences:
        if not conference.host.is_demo:
            continue
        for session in conference.sessions:
            has_any = db.session.scalar(
                sa.select(sa.func.count(Document.id)).where(Document.session_id == session.id)
            )
            if has_any:
                continue
            data = pack.simple_pdf(
                session.title,
                [
                    conference.title,
                    f"{session.division.name} – {session.speaker}".strip(" –"),
                    "Tài liệu mẫu phục vụ trình diễn: nội dung là hư cấu.",
                ],
            )
            name = f"{session.title[:140]}.pdf"
            upload_documents(
                [Upload(name, _bytes(data))],
                session=session,
                state=DocumentState.READY,
                actor=None,
                now=now,
                store=store,
            )
    for theme, title, steps, code in DEMO_GUIDES:
        if db.session.scalar(sa.select(ProcedureGuide.id).where(ProcedureGuide.title == title)):
            continue
        division = db.session.scalar(sa.select(Division).where(Division.code == code))
        guide = save_guide(
            GuideInput(theme=theme, title=title, steps=steps, division=division, is_published=True),
            actor=None,
            now=now,
        )
        data = pack.simple_pdf(title, guide.step_lines)
        upload_documents(
            [Upload(f"Hướng dẫn – {title[:60]}.pdf", _bytes(data))],
            guide=guide,
            state=DocumentState.READY,
            actor=None,
            now=now,
            store=store,
        )


def _bytes(data: bytes):
    import io

    return io.BytesIO(data)
