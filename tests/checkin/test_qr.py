"""QR images, read back with zxing-cpp, a decoder that is not ours (outreach.checkin.qr)."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image
from PIL import ImageDraw

from outreach.checkin.qr import make_qr_png
from outreach.checkin.qr import make_qr_svg
from outreach.checkin.tickets import new_ticket_code

SVG_NS = "{http://www.w3.org/2000/svg}"
RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")


def decode_png(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    return [
        result.text
        for result in zxingcpp.read_barcodes(image)
        if result.format == zxingcpp.BarcodeFormat.QRCode
    ]


def rasterise_svg(svg: str, scale: int = 8) -> Image.Image:
    """Paint our SVG's white rect and black runs into a bitmap, as a browser would."""
    root = ET.fromstring(svg)
    _, _, width, height = (int(v) for v in root.get("viewBox").split())
    image = Image.new("L", (width * scale, height * scale), 128)
    draw = ImageDraw.Draw(image)
    rect = root.find(f"{SVG_NS}rect")
    assert rect.get("fill") == "#fff"
    draw.rectangle((0, 0, width * scale - 1, height * scale - 1), fill=255)
    path = root.find(f"{SVG_NS}path")
    assert path.get("fill") == "#000"
    d = path.get("d")
    runs = RUN.findall(d)
    assert "".join(f"M{x} {y}h{n}v1h-{m}z" for x, y, n, m in runs) == d
    for x, y, n, _ in runs:
        x, y, n = int(x), int(y), int(n)
        draw.rectangle(
            (x * scale, y * scale, (x + n) * scale - 1, (y + 1) * scale - 1),
            fill=0,
        )
    return image


def test_make_qr_png_is_a_png():
    assert make_qr_png("HELLO").startswith(b"\x89PNG\r\n\x1a\n")


def test_make_qr_png_decodes_to_the_ticket_code():
    code = new_ticket_code()
    assert decode_png(make_qr_png(code)) == [code]


@pytest.mark.parametrize("payload", ["A", "HELLO WORLD", "Xuất trình mã này tại cửa", "x" * 200])
def test_make_qr_png_decodes_other_payloads(payload):
    assert decode_png(make_qr_png(payload)) == [payload]


def test_make_qr_png_uses_error_correction_m():
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(make_qr_png(new_ticket_code()))))
    assert results[0].ec_level == "M"


def test_make_qr_png_ticket_code_fits_version_2():
    # 26 base32 characters in alphanumeric mode at level M need a 25x25 symbol (version 2).
    image = Image.open(io.BytesIO(make_qr_png(new_ticket_code(), box_size=1, border=0)))
    assert image.size == (25, 25)


def test_make_qr_png_size_follows_box_size_and_border():
    image = Image.open(io.BytesIO(make_qr_png(new_ticket_code(), box_size=10, border=4)))
    assert image.size == ((25 + 2 * 4) * 10,) * 2


def test_make_qr_png_empty_payload_raises():
    with pytest.raises(ValueError, match="empty"):
        make_qr_png("")


def test_make_qr_svg_has_no_xml_declaration_and_is_an_svg_element():
    svg = make_qr_svg(new_ticket_code())
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert ET.fromstring(svg).tag == f"{SVG_NS}svg"


def test_make_qr_svg_scales_with_css():
    root = ET.fromstring(make_qr_svg(new_ticket_code()))
    assert root.get("viewBox") == "0 0 33 33"
    assert root.get("width") is None
    assert root.get("height") is None


def test_make_qr_svg_decodes_to_the_ticket_code():
    code = new_ticket_code()
    results = zxingcpp.read_barcodes(rasterise_svg(make_qr_svg(code)))
    assert [r.text for r in results] == [code]


def test_make_qr_svg_matches_the_png_module_for_module():
    code = new_ticket_code()
    from_svg = rasterise_svg(make_qr_svg(code), scale=1).convert("1")
    from_png = Image.open(io.BytesIO(make_qr_png(code, box_size=1))).convert("1")
    assert from_svg.tobytes() == from_png.tobytes()


def test_make_qr_svg_without_label_is_hidden_from_screen_readers():
    root = ET.fromstring(make_qr_svg("HELLO"))
    assert root.get("aria-hidden") == "true"


def test_make_qr_svg_label_is_escaped():
    svg = make_qr_svg("HELLO", label='Vé "A" <b>')
    root = ET.fromstring(svg)
    assert root.get("aria-label") == 'Vé "A" <b>'
    assert root.get("role") == "img"
    assert "<b>" not in svg


def test_make_qr_svg_empty_payload_raises():
    with pytest.raises(ValueError, match="empty"):
        make_qr_svg("")
