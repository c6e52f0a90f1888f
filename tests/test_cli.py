"""Command-line commands through the CLI runner."""

import sqlalchemy as sa

from outreach.accounts.models import Division
from outreach.accounts.models import Organization
from outreach.accounts.models import User
from outreach.database import db


def test_create_user_command(runner, create_division):
    create_division(code="QLKH")
    db.session.commit()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "d@example.vn",
            "--name",
            "Đức",
            "--role",
            "division_staff",
            "--division",
            "qlkh",
            "--password",
            "a-good-password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "d@example.vn"))
    assert user.division.code == "QLKH"


def test_create_user_command_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["create-user", "--email", "p@example.vn", "--name", "P", "--role", "organizer"],
        input="a-good-password\na-good-password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User).where(User.email == "p@example.vn")) is not None


def test_create_user_command_reports_errors_plainly(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "p@example.vn",
            "--name",
            "P",
            "--role",
            "organizer",
            "--password",
            "short",
        ]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "8" in result.output


def test_demo_loads_once_and_prints_logins(runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.outreach.vn" in first.output
    counts = [
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Organization, Division, User)
    ]
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert counts == [
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Organization, Division, User)
    ]
    assert counts[2] == 8
    assert "nothing loaded" in runner.invoke(args=["demo", "--if-empty"]).output


def test_demo_users_can_log_in_and_the_banner_shows(runner, client):
    runner.invoke(args=["demo"])
    response = client.post(
        "/login", data={"email": "tochuc@demo.outreach.vn", "password": "demo-tochuc-2026"}
    )
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Dữ liệu mẫu" in page
    assert "Sở Khoa học và Công nghệ tỉnh Bắc Ninh" in page
