"""Shared helpers for the security tests."""

from __future__ import annotations

import re

REGISTRATION_FORM = {
    "cooperative-kind": "hop_tac_xa",
    "cooperative-name": "HTX Nông sản Lục Ngạn",
    "cooperative-tax_code": "2407196800",
    "cooperative-province_code": "24",
    "cooperative-ward_code": "7582",
    "cooperative-member_count": "25",
    "contact_name": "Nguyễn Văn Hùng",
    "contact_phone": "0912 000 001",
    "contact_email": "htx.lucngan@example.vn",
    "delegates-0-full_name": "Nguyễn Văn Hùng",
    "delegates-0-phone": "0912 000 001",
    "delegates-0-gender": "male",
    "delegates-0-email": "hung.nguyen@example.vn",
    "delegates-1-full_name": "Trần Thị Thu Hà",
    "delegates-1-phone": "+84 987 000 002",
    "delegates-1-gender": "female",
    "needs-st_projects-interested": "y",
    "needs-st_projects-choices": ["funding"],
    "needs-st_projects-text": "Cần máy sấy",
    "consent_participation": "y",
}


def registration_form(submission_id="sub-security-1", **overrides):
    return {"submission_id": submission_id, **REGISTRATION_FORM, **overrides}


def token_from(location: str) -> str:
    return re.search(r"/r/([^/?]+)", location).group(1)
