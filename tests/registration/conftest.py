"""Registration fixtures: a valid input builder."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach.registration import services

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def make_input():
    """``make_input(delegates=[("Nguyễn Văn Hùng", "0912000001")], **overrides)``."""

    def _make(delegates=(("Nguyễn Văn Hùng", "0912000001"),), **overrides):
        cooperative = services.CooperativeInput(
            **{
                "kind": "hop_tac_xa",
                "name": "HTX Nông sản Lục Ngạn",
                "tax_code": "2407196800",
                "province_code": 24,
                "ward_code": 7582,
                "sector": "Nông nghiệp",
                "main_products": "vải thiều",
                "member_count": 25,
                **overrides.pop("cooperative", {}),
            }
        )
        people = [
            services.DelegateInput(full_name=name, phone=phone, position="Giám đốc")
            for name, phone in delegates
        ]
        values = {
            "cooperative": cooperative,
            "contact_name": "Nguyễn Văn Hùng",
            "contact_phone": "0912 000 001",
            "contact_email": "htx.lucngan@example.vn",
            "delegates": people,
            "needs": {"st_projects": {"choices": ["funding"], "text": "Sấy vải"}},
            "consent_participation": True,
            "consent_news": False,
        }
        values.update(overrides)
        return services.RegistrationInput(**values)

    return _make
