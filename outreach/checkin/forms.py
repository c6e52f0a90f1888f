"""Forms of the organizer's check-in page (the desk itself talks JSON)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from outreach.checkin.models import STATION_MAX_LENGTH


class DoorLinkForm(FlaskForm):
    station = StringField(
        _l("Tên cửa"),
        default="Cửa chính",
        validators=[DataRequired(), Length(max=STATION_MAX_LENGTH)],
    )


class RevokeForm(FlaskForm):
    """Only the CSRF token."""


class PaperForm(FlaskForm):
    """The paper page's form: its CSRF token; the ticked delegates come as ``ids`` checkboxes
    (read with ``request.form.getlist``, one per listed delegate)."""
