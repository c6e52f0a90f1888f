"""Paper for the door (issue 7): the sign-in sheet, badges and attendance from the signed sheet.

The PDFs are read back with pypdf (text) and zxing-cpp (the badges' QR codes), neither ours.
"""

from __future__ import annotations

import io
import re

import pypdf
import pytest
import sqlalchemy as sa
import zxingcpp

from outreach.audit.models import AuditEntry
from outreach.checkin import paper
from outreach.checkin import services
from outreach.checkin.models import CheckIn
from outreach.database import db
from outreach.registration.models import Delegate

from .conftest import DOORS_OPEN


def pdf_pages(document: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(document)).pages]


def qr_codes(document: bytes) -> list[str]:
    found = []
    for page in pypdf.PdfReader(io.BytesIO(document)).pages:
        for image in page.images:
            found.extend(result.text for result in zxingcpp.read_barcodes(image.image))
    return found


def _lines_with(text: str, *names: str) -> list[str]:
    """The names in the order they appear in ``text``."""
    return sorted(names, key=text.index)


@pytest.fixture
def conference(create_conference, organizer):
    return create_conference(host_id=organizer.organization_id)


@pytest.fixture
def crowd(conference, register):
    """Two cooperatives; in name order (given name first) An < Bình < Cường < Dũng."""
    first = register(
        conference, ("Nguyễn Thị Bình", "Lê Văn Dũng"), cooperative="Tổ hợp tác Ong mật Yên Tử"
    )
    second = register(
        conference, ("Trần Văn An", "Phạm Quốc Cường"), cooperative="HTX Gốm Phù Lãng"
    )
    return [*first.delegates, *second.delegates]


# --- the PDF builders ------------------------------------------------------------------------


HEADER = paper.SheetHeader(
    title="Hội nghị kết nối hợp tác xã với khoa học và công nghệ",
    when_text="08:00 10/12/2026 – 11:30",
    venue_text="Hội trường UBND xã Lục Ngạn, Bắc Ninh",
    hosts_text="Đơn vị chủ trì: Sở Khoa học và Công nghệ",
)


def test_sheet_repeats_its_header_on_every_page_and_numbers_pages():
    rows = [
        paper.SheetRow(f"Nguyễn Thị Bình {i}", "Tổ trưởng", "HTX Gốm Phù Lãng") for i in range(40)
    ]
    pages = pdf_pages(paper.render_sign_in_sheet(HEADER, [paper.SheetGroup("", rows)]))
    assert len(pages) == 3
    for number, text in enumerate(pages, start=1):
        assert "STT Họ và tên Chức vụ Hợp tác xã Ký nhận" in text
        assert f"Trang {number}/3" in text
    assert "Hội nghị kết nối hợp tác xã với khoa học và công nghệ" in pages[0]
    assert "Đơn vị chủ trì: Sở Khoa học và Công nghệ" in pages[0]
    assert "Nguyễn Thị Bình 39" in pages[2]


def test_blank_sheet_has_the_asked_number_of_numbered_rows():
    text = "\n".join(pdf_pages(paper.render_blank_sheet(HEADER, 25)))
    numbers = [int(n) for n in re.findall(r"^(\d+)\s*$", text, flags=re.MULTILINE)]
    assert numbers == list(range(1, 26))
    assert "(BỔ SUNG)" in text
    with pytest.raises(ValueError, match="at least one row"):
        paper.render_blank_sheet(HEADER, 0)


def test_a_long_name_is_cut_not_run_into_the_next_cell():
    long_name = "Nguyễn Thị Minh Phương " * 8
    text = pdf_pages(
        paper.render_sign_in_sheet(
            HEADER, [paper.SheetGroup("", [paper.SheetRow(long_name, "", "HTX")])]
        )
    )[0]
    assert "…" in text
    assert text.count("Phương") < 8


# --- the sign-in sheet through the app ---------------------------------------------------------


def test_sheet_by_name_sorts_by_given_name_with_vietnamese_glyphs(client, auth, conference, crowd):
    auth.login()
    response = client.get(f"/staff/conferences/{conference.id}/sign-in-sheet.pdf?order=name")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = "\n".join(pdf_pages(response.data))
    names = ("Nguyễn Thị Bình", "Lê Văn Dũng", "Trần Văn An", "Phạm Quốc Cường")
    assert _lines_with(text, *names) == [
        "Trần Văn An",
        "Nguyễn Thị Bình",
        "Phạm Quốc Cường",
        "Lê Văn Dũng",
    ]
    assert "Tổ hợp tác Ong mật Yên Tử" in text
    assert conference.title in text
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "checkin.sign_in_sheet")
    )
    assert (entry.row_count, entry.object_id, entry.detail) == (4, conference.id, {"order": "name"})


def test_sheet_by_cooperative_groups_people_under_their_cooperative(
    client, auth, conference, crowd
):
    auth.login()
    response = client.get(f"/staff/conferences/{conference.id}/sign-in-sheet.pdf?order=cooperative")
    text = "\n".join(pdf_pages(response.data))
    # HTX Gốm … sorts before Tổ hợp tác …; inside each group, by given name
    order = _lines_with(
        text,
        "HTX Gốm Phù Lãng\n",
        "Trần Văn An",
        "Phạm Quốc Cường",
        "Nguyễn Thị Bình",
        "Lê Văn Dũng",
    )
    assert order[0] == "HTX Gốm Phù Lãng\n"
    assert order[1:] == ["Trần Văn An", "Phạm Quốc Cường", "Nguyễn Thị Bình", "Lê Văn Dũng"]
    assert text.index("Tổ hợp tác Ong mật Yên Tử\n") < text.index("Nguyễn Thị Bình")


def test_sheet_leaves_out_revoked_and_waitlisted_people(client, auth, conference, crowd):
    crowd[1].revoked_at = DOORS_OPEN
    crowd[2].registration.status = "waitlisted"
    db.session.commit()
    auth.login()
    text = "\n".join(
        pdf_pages(client.get(f"/staff/conferences/{conference.id}/sign-in-sheet.pdf").data)
    )
    assert "Nguyễn Thị Bình" in text
    assert "Lê Văn Dũng" not in text
    assert "Trần Văn An" not in text


def test_blank_sheet_route_takes_a_row_count_and_is_open_to_door_staff(
    client, auth, conference, create_user
):
    create_user(email="door@example.vn", role="door_staff", organization=conference.host)
    auth.login("door@example.vn")
    response = client.get(f"/staff/conferences/{conference.id}/sign-in-sheet-blank.pdf?rows=7")
    assert response.status_code == 200
    text = "\n".join(pdf_pages(response.data))
    assert re.findall(r"^(\d+)\s*$", text, flags=re.MULTILINE) == [str(n) for n in range(1, 8)]
    # junk falls back to the default; the named list stays with organizers
    assert (
        client.get(f"/staff/conferences/{conference.id}/sign-in-sheet-blank.pdf?rows=x").status_code
        == 200
    )
    assert client.get(f"/staff/conferences/{conference.id}/sign-in-sheet.pdf").status_code == 403
    assert client.get(f"/staff/conferences/{conference.id}/badges.pdf").status_code == 403
    assert client.get(f"/staff/conferences/{conference.id}/checkin/paper").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/staff/conferences/{id}/sign-in-sheet.pdf",
        "/staff/conferences/{id}/sign-in-sheet-blank.pdf",
        "/staff/conferences/{id}/checkin/paper",
        "/staff/conferences/{id}/badges.pdf",
        "/staff/conferences/{id}/badges/{delegate}.pdf",
    ],
)
def test_access(
    path, client, auth, conference, crowd, create_user, create_organization, create_division, admin
):
    url = path.format(id=conference.id, delegate=crowd[0].id)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    create_user(email="phong@example.vn", role="division_staff", division=create_division())
    auth.login("phong@example.vn")
    assert client.get(url).status_code in (403, 404)
    auth.logout()
    create_user(email="other@example.vn", role="organizer", organization=create_organization())
    auth.login("other@example.vn")
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login("admin@example.vn")
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login()
    assert client.get(url).status_code == 200


# --- badges ----------------------------------------------------------------------------------


def test_badges_of_everyone_carry_each_ticket_code_in_their_qr(client, auth, conference, crowd):
    auth.login()
    response = client.get(f"/staff/conferences/{conference.id}/badges.pdf")
    assert response.status_code == 200
    by_name = sorted(crowd, key=lambda d: services.vn.name_sort_key(d.full_name))
    assert qr_codes(response.data) == [d.ticket_code for d in by_name]
    text = " ".join(" ".join(pdf_pages(response.data)).split())  # a long name wraps
    for person in crowd:
        assert person.full_name in text
    assert "Tổ trưởng" in text
    assert "HTX Gốm Phù Lãng" in text
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "checkin.badges"))
    assert entry.row_count == 4


def test_nine_badges_take_two_pages(create_conference):
    badges = [
        paper.BadgeInfo(f"CODE{i:02d}ABCDEFGHJKMNPQRSTVW", f"Người {i}", "", "HTX", "Hội nghị")
        for i in range(9)
    ]
    document = paper.render_badges(badges)
    assert len(pypdf.PdfReader(io.BytesIO(document)).pages) == 2
    assert qr_codes(document) == [b.code for b in badges]


def test_badges_of_a_selection_by_query_or_ticked_boxes(client, auth, conference, crowd):
    auth.login()
    picked = f"{crowd[0].id},{crowd[3].id},999999,abc"
    response = client.get(f"/staff/conferences/{conference.id}/badges.pdf?ids={picked}")
    assert sorted(qr_codes(response.data)) == sorted([crowd[0].ticket_code, crowd[3].ticket_code])
    response = client.post(
        f"/staff/conferences/{conference.id}/badges.pdf", data={"ids": [str(crowd[2].id)]}
    )
    assert qr_codes(response.data) == [crowd[2].ticket_code]
    # nobody of this conference picked: 404, not an empty PDF
    assert (
        client.get(f"/staff/conferences/{conference.id}/badges.pdf?ids=999999").status_code == 404
    )


def test_single_badge_for_staff_and_door_links_of_the_conference_only(
    client, auth, conference, crowd, door_link, create_conference, register
):
    _, token = door_link(conference)
    response = client.get(f"/door/{token}/badges/{crowd[0].id}.pdf")
    assert response.status_code == 200
    assert qr_codes(response.data) == [crowd[0].ticket_code]
    text = pdf_pages(response.data)[0]
    assert "Nguyễn Thị Bình" in text
    assert "+84" not in text
    assert "@" not in text
    other = register(create_conference(slug="khac"), ("Đỗ Thị Hoa",))
    assert client.get(f"/door/{token}/badges/{other.delegates[0].id}.pdf").status_code == 404
    assert client.get(f"/door/not-a-token/badges/{crowd[0].id}.pdf").status_code == 401
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "checkin.badge"))
    assert (entry.actor_kind, entry.object_id) == ("door_link", crowd[0].id)
    link = services.find_door_link(token)
    services.revoke_door_link(link, by=None, now=DOORS_OPEN)
    db.session.commit()
    assert client.get(f"/door/{token}/badges/{crowd[0].id}.pdf").status_code == 401
    auth.login()
    assert (
        client.get(f"/staff/conferences/{conference.id}/badges/{crowd[1].id}.pdf").status_code
        == 200
    )
    # a delegate of another conference under this conference's id
    path = f"/staff/conferences/{conference.id}/badges/{other.delegates[0].id}.pdf"
    assert client.get(path).status_code == 404


# --- attendance from the signed sheet -------------------------------------------------------------


def test_paper_page_shows_who_is_in_already_with_time_and_door(
    client, auth, conference, crowd, door_link
):
    link, _ = door_link(conference, "Cửa phụ")
    services.scan(
        conference,
        services.ScanRequest(nonce="scan-0001", code=crowd[0].ticket_code),
        door=services.Door(station="Cửa phụ", door_link_id=link.id),
        now=DOORS_OPEN,
    )
    db.session.commit()
    auth.login()
    html = client.get(f"/staff/conferences/{conference.id}/checkin/paper?order=name").get_data(
        as_text=True
    )
    assert "1</strong> / 4" in html
    row = html[html.index("Nguyễn Thị Bình") : html.index("Nguyễn Thị Bình") + 600]
    assert "Đã vào" in row
    assert "07:30 10/12/2026" in row
    assert "Cửa phụ" in row
    # name order on the page too
    assert html.index("Trần Văn An") < html.index("Nguyễn Thị Bình") < html.index("Lê Văn Dũng")
    organizer_page = client.get(f"/staff/conferences/{conference.id}/checkin").get_data(
        as_text=True
    )
    assert f"/staff/conferences/{conference.id}/checkin/paper" in organizer_page


def test_ticking_records_paper_checkins_and_never_admits_twice(
    client, auth, conference, crowd, create_conference, register
):
    first_time = DOORS_OPEN
    services.scan(
        conference,
        services.ScanRequest(nonce="scan-0002", code=crowd[0].ticket_code),
        door=services.Door(station="Cửa chính"),
        now=first_time,
    )
    db.session.commit()
    other = register(create_conference(slug="khac"), ("Đỗ Thị Hoa",)).delegates[0]
    auth.login()
    ids = [str(crowd[0].id), str(crowd[1].id), str(crowd[2].id), str(other.id), "x"]
    response = client.post(
        f"/staff/conferences/{conference.id}/checkin/paper?order=name",
        data={"ids": ids},
        follow_redirects=True,
    )
    assert "Đã ghi nhận có mặt 2 người; 1 người đã điểm danh từ trước." in response.get_data(
        as_text=True
    )
    rows = db.session.scalars(sa.select(CheckIn).where(CheckIn.method == "paper")).all()
    assert sorted(r.delegate_id for r in rows) == sorted([crowd[1].id, crowd[2].id])
    assert {(r.result, r.station, r.user_id is not None) for r in rows} == {
        ("ok", "Danh sách giấy", True)
    }
    assert len({r.nonce for r in rows}) == 2
    db.session.expire_all()
    assert db.session.get(Delegate, crowd[0].id).checked_in_at == first_time
    assert db.session.get(Delegate, other.id).checked_in_at is None
    # ticking the same people again changes nothing
    client.post(f"/staff/conferences/{conference.id}/checkin/paper", data={"ids": ids})
    assert (
        db.session.scalar(sa.select(sa.func.count(CheckIn.id)).where(CheckIn.method == "paper"))
        == 2
    )
    assert services.stats(conference)["checked_in"] == 3


def test_ticking_nobody_says_so(client, auth, conference, crowd):
    auth.login()
    response = client.post(
        f"/staff/conferences/{conference.id}/checkin/paper", follow_redirects=True
    )
    assert "Chưa chọn ai." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 0
