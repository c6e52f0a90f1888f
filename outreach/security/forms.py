"""The audit page's filter (GET, no CSRF: it changes nothing)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms import SelectField
from wtforms.validators import Optional


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Thao tác"), validators=[Optional()], validate_choice=False)
    actor = SelectField(_l("Người thực hiện"), validators=[Optional()], validate_choice=False)
    since = DateField(_l("Từ ngày"), validators=[Optional()])
    until = DateField(_l("Đến ngày"), validators=[Optional()])
