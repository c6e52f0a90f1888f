"""The follow-up form of the needs inbox: shape only; rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import TextAreaField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from outreach.forms import Form
from outreach.reports.models import FollowUpStatus
from outreach.reports.services import FOLLOW_UP_LABELS
from outreach.reports.services import NOTE_MAX_LENGTH


class FollowUpForm(Form):
    status = SelectField(
        _l("Tình trạng"),
        choices=[SelectChoice(s.value, FOLLOW_UP_LABELS[s]) for s in FollowUpStatus],
        validators=[InputRequired(_l("Hãy chọn tình trạng."))],
    )
    note = TextAreaField(
        _l("Ghi chú"),
        validators=[
            Length(max=NOTE_MAX_LENGTH, message=_l("Ghi chú dài quá %(max)d ký tự.")),
        ],
    )
    #: the inbox address to come back to, filters included
    next = HiddenField()
