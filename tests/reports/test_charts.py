"""The SVG charts: valid XML, accessible, and carrying the table's numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from outreach.reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [el.text for el in root.iter(f"{SVG}text")]


def test_bar_chart_parses_and_names_itself():
    svg = charts.bar_chart("Theo xã", [("Xã An Lạc", 3), ("Xã Đông Phú", 1200)], chart_id="c1")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Theo xã"
    assert "Xã Đông Phú: 1.200" in root.find(f"{SVG}desc").text
    texts = _texts(svg)
    assert "Xã An Lạc" in texts
    assert "3" in texts
    assert "1.200" in texts
    assert len(root.findall(f"{SVG}rect")) == 2


def test_chart_escapes_markup_in_labels():
    svg = charts.bar_chart('<b>"A&B"</b>', [("<script>alert(1)</script>", 2)])
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == '<b>"A&B"</b>'
    assert "<script>" not in svg
    assert root.find(f"{SVG}script") is None


def test_line_chart_labels_each_point():
    points = [("01/11", 2), ("02/11", 0), ("03/11", 5)]
    svg = charts.line_chart("Theo ngày", points)
    texts = _texts(svg)
    for label, value in points:
        assert label in texts
        assert str(value) in texts
    assert ET.fromstring(svg).find(f"{SVG}polyline") is not None


def test_empty_chart_says_so():
    svg = charts.bar_chart("Trống", [], empty_text="Chưa có số liệu")
    assert "Chưa có số liệu" in _texts(svg)
    svg = charts.line_chart("Trống", [], empty_text="Chưa có số liệu")
    assert "Chưa có số liệu" in _texts(svg)
