"""Briefing documents and their versions, per-conference briefing settings, procedure guides."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from outreach.accounts.models import Division
from outreach.accounts.models import User
from outreach.conferences.models import AgendaSession
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import intpk
from outreach.database import utcnow


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    #: reached through a cooperative's self-service link
    REGISTRANTS = "registrants"
    STAFF = "staff"


class DocumentState(enum.StrEnum):
    DRAFT = "draft"
    READY = "ready"


#: who sees what: each access level also sees the levels before it
LEVEL_ORDER = (Visibility.PUBLIC, Visibility.REGISTRANTS, Visibility.STAFF)


class Document(db.Model):
    """A briefing document: one title, many versions; the newest version is the current one."""

    __tablename__ = "documents"

    id: Mapped[intpk]
    #: None for a document that belongs to a procedure guide
    conference_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    #: None for a conference-level document (programme, list of speakers)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True
    )
    #: set for documents attached to a procedure guide
    guide_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedure_guides.id", ondelete="CASCADE"), index=True
    )
    #: the division that owns the document (the session's division when uploaded to a session)
    division_id: Mapped[int | None] = mapped_column(sa.ForeignKey("divisions.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    visibility: Mapped[str] = mapped_column(sa.String(20), default=Visibility.PUBLIC)
    state: Mapped[str] = mapped_column(sa.String(20), default=DocumentState.DRAFT)
    #: order within the session (or conference, or guide)
    position: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: soft delete: the row and its files stay for the audit trail, hidden everywhere
    deleted_at: Mapped[dt.datetime | None]

    conference: Mapped[Conference | None] = relationship()
    session: Mapped[AgendaSession | None] = relationship()
    guide: Mapped[ProcedureGuide | None] = relationship(back_populates="documents")
    division: Mapped[Division | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        order_by="DocumentVersion.number.desc()",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint("visibility IN ('public', 'registrants', 'staff')", name="visibility"),
        sa.CheckConstraint("state IN ('draft', 'ready')", name="state"),
        sa.CheckConstraint(
            "(conference_id IS NOT NULL) OR (guide_id IS NOT NULL)", name="has_owner"
        ),
    )

    @property
    def current(self) -> DocumentVersion | None:
        return self.versions[0] if self.versions else None

    @property
    def is_ready(self) -> bool:
        return self.state == DocumentState.READY and self.deleted_at is None


class DocumentVersion(db.Model):
    __tablename__ = "document_versions"

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, 3 ... within the document
    number: Mapped[int]
    #: the generated file name under UPLOAD_FOLDER (``<uuid4 hex>.<ext>``); never user input
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: the uploader's file name, cleaned (NFC, no control characters), Vietnamese kept
    original_name: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    #: the type our own content check found, never the browser's
    media_type: Mapped[str] = mapped_column(sa.String(120))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("document_id", "number"),
        sa.CheckConstraint("size >= 0", name="size_not_negative"),
    )

    @property
    def extension(self) -> str:
        return self.stored_name.rsplit(".", 1)[-1]


class BriefingSetting(db.Model):
    """Per-conference briefing settings; without a row the deadline is the default."""

    __tablename__ = "conference_briefing_settings"

    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), primary_key=True
    )
    #: None: the default, ``DEFAULT_DEADLINE_DAYS`` days before the conference starts
    deadline_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProcedureGuide(db.Model):
    """A guide to an administrative procedure, in the public library, per theme."""

    __tablename__ = "procedure_guides"

    id: Mapped[intpk]
    #: a code from ``outreach.conferences.models.Theme``
    theme: Mapped[str] = mapped_column(sa.String(40), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: short steps, one per line
    steps: Mapped[str] = mapped_column(sa.Text, default="")
    division_id: Mapped[int | None] = mapped_column(sa.ForeignKey("divisions.id"))
    position: Mapped[int] = mapped_column(default=0)
    is_published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    division: Mapped[Division | None] = relationship()
    documents: Mapped[list[Document]] = relationship(
        back_populates="guide", order_by="(Document.position, Document.id)"
    )

    @property
    def step_lines(self) -> list[str]:
        return [line.strip() for line in self.steps.splitlines() if line.strip()]
