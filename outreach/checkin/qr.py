"""QR code images of a ticket payload: PNG for downloads and PDFs, inline SVG for pages.

The payload is whatever the caller passes; for tickets it is the bare ticket code described (and
versioned) in :mod:`outreach.checkin.tickets`. Being uppercase base32, it is encoded in QR's
alphanumeric mode, which ``qrcode`` picks by itself for such text.
"""

from __future__ import annotations

import html
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M

# M restores up to ~15% of damaged modules: enough for a creased printout or a scratched phone
# screen, while a 26-character code still fits in a 25x25 (version 2) symbol.
ERROR_CORRECTION = ERROR_CORRECT_M
# Four modules of quiet zone is what the QR standard asks for; scanners struggle with less.
QUIET_ZONE = 4


def _build(payload: str, *, box_size: int = 1, border: int = QUIET_ZONE) -> qrcode.QRCode:
    if not payload:
        raise ValueError("a QR payload must not be empty")
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=border)
    code.add_data(payload)
    code.make(fit=True)
    return code


def make_qr_png(payload: str, *, box_size: int = 8, border: int = QUIET_ZONE) -> bytes:
    """Return a black-on-white PNG of ``payload``, ``box_size`` pixels per module.

    :raises ValueError: when ``payload`` is empty.
    """
    image = _build(payload, box_size=box_size, border=border).make_image()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_qr_svg(payload: str, *, label: str | None = None) -> str:
    """Return an ``<svg>`` element of ``payload`` to paste into HTML (no XML declaration).

    It has a ``viewBox`` and no fixed size, so CSS decides how large it is drawn; one unit is
    one module, and the quiet zone is painted white so the code also scans in dark mode.
    ``label`` becomes the image's accessible name (escaped); without it the image is hidden
    from screen readers, which then read the printed code beside it instead.

    :raises ValueError: when ``payload`` is empty.
    """
    matrix = _build(payload, border=QUIET_ZONE).get_matrix()
    size = len(matrix)
    # One path of horizontal runs instead of a <rect> per module keeps the markup small
    # (a ticket page may show several codes), and crispEdges stops anti-aliased seams.
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    if label is None:
        accessibility = 'aria-hidden="true"'
    else:
        accessibility = f'role="img" aria-label="{html.escape(label, quote=True)}"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" {accessibility}>'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/>'
        f"</svg>"
    )
