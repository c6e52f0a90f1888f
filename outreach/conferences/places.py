"""Provinces and communes after the 2025 reform, from ``vietnam-provinces`` (pure, no DB).

Addresses hold a province code and a commune-level (ward) code; there is no district level.
"""

from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Province
from vietnam_provinces import Ward

#: Bắc Ninh (the new province, NSO code 24): the demo data and the default on forms
DEFAULT_PROVINCE_CODE = 24


def find_province(code: int | None) -> Province | None:
    if code is None:
        return None
    try:
        return Province.from_code(code)
    except (ValueError, KeyError):
        return None


def find_ward(code: int | None) -> Ward | None:
    if code is None:
        return None
    try:
        return Ward.from_code(code)
    except (ValueError, KeyError):
        return None


@lru_cache(maxsize=1)
def list_provinces() -> tuple[Province, ...]:
    return tuple(sorted(Province.iter_all(), key=lambda p: p.name))


@lru_cache(maxsize=64)
def list_wards(province_code: int) -> tuple[Ward, ...]:
    return tuple(sorted(Ward.iter_by_province(province_code), key=lambda w: w.name))


def format_place(ward_code: int | None, province_code: int | None) -> str:
    """``Xã Lục Ngạn, Bắc Ninh``, or whatever part is known."""
    ward = find_ward(ward_code)
    province = find_province(province_code)
    return ", ".join(part.name for part in (ward, province) if part is not None)
