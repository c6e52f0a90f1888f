"""Forms for uploads, document settings, the briefing deadline and procedure guides."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField
from wtforms import DateTimeLocalField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from outreach.conferences.models import Theme
from outreach.documents.models import DocumentState
from outreach.documents.models import Visibility
from outreach.forms import Form as _Form

VISIBILITY_LABELS = {
    Visibility.PUBLIC.value: _l("Công khai"),
    Visibility.REGISTRANTS.value: _l("HTX đã đăng ký"),
    Visibility.STAFF.value: _l("Chỉ cán bộ"),
}
STATE_LABELS = {
    DocumentState.DRAFT.value: _l("Bản nháp"),
    DocumentState.READY.value: _l("Sẵn sàng"),
}
THEME_LABELS = {
    Theme.ST_PROJECTS.value: _l("Thủ tục đề xuất, tham gia đề tài, dự án KH&CN"),
    Theme.BRANDING.value: _l("Xây dựng thương hiệu, nhãn hiệu, chỉ dẫn địa lý, OCOP"),
    Theme.INNOVATION.value: _l("Chương trình đổi mới công nghệ quốc gia"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class UploadForm(_Form):
    files = MultipleFileField(
        _l("Tệp tài liệu"),
        description=_l("PDF, DOCX, PPTX, XLSX, PNG hoặc JPEG; chọn được nhiều tệp một lúc."),
    )
    title = StringField(
        _l("Tên tài liệu (không bắt buộc)"),
        validators=[Optional(), Length(max=200)],
        description=_l("Để trống thì dùng tên tệp. Chỉ dùng khi tải lên một tệp."),
    )
    visibility = SelectField(
        _l("Ai được xem"), choices=_choices(VISIBILITY_LABELS), default="public"
    )
    state = SelectField(_l("Trạng thái"), choices=_choices(STATE_LABELS), default="draft")


class DocumentForm(_Form):
    title = StringField(_l("Tên tài liệu"), validators=[DataRequired(), Length(max=200)])
    visibility = SelectField(_l("Ai được xem"), choices=_choices(VISIBILITY_LABELS))
    state = SelectField(_l("Trạng thái"), choices=_choices(STATE_LABELS))


class ReplaceForm(_Form):
    file = FileField(_l("Tệp phiên bản mới"))


class DeadlineForm(_Form):
    deadline = DateTimeLocalField(
        _l("Hạn nộp tài liệu"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Để trống thì hạn là 3 ngày trước khi hội nghị bắt đầu."),
    )


class GuideForm(_Form):
    theme = SelectField(_l("Chủ đề"), choices=_choices(THEME_LABELS))
    title = StringField(_l("Tên hướng dẫn"), validators=[DataRequired(), Length(max=200)])
    steps = TextAreaField(
        _l("Các bước"),
        validators=[Length(max=5000)],
        description=_l("Mỗi bước một dòng, ngắn gọn."),
    )
    division = SelectField(_l("Phòng phụ trách"), coerce=int)
    position = IntegerField(
        _l("Thứ tự"), default=0, validators=[Optional(), NumberRange(min=0, max=999)]
    )
    is_published = BooleanField(_l("Công bố trong thư viện"))
