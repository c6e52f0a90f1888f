"""Forms for conferences and agenda sessions: shape only; the rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import DateTimeLocalField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import widgets
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from outreach.conferences.models import DEFAULT_TIMEZONE
from outreach.conferences.models import ChangeKind
from outreach.conferences.models import ConferenceStatus
from outreach.conferences.models import Theme
from outreach.forms import Form as _Form

THEME_LABELS = {
    Theme.ST_PROJECTS: _l("Nghiên cứu, ứng dụng KH&CN và tham gia đề tài, dự án"),
    Theme.BRANDING: _l("Xây dựng và phát triển thương hiệu sản phẩm"),
    Theme.INNOVATION: _l("Chương trình đổi mới công nghệ quốc gia"),
}

STATUS_LABELS = {
    ConferenceStatus.DRAFT: _l("Nháp"),
    ConferenceStatus.PUBLISHED: _l("Đang mở"),
    ConferenceStatus.CLOSED: _l("Đã đóng đăng ký"),
    ConferenceStatus.FINISHED: _l("Đã kết thúc"),
    ConferenceStatus.CANCELLED: _l("Đã hủy"),
}

CHANGE_LABELS = {
    ChangeKind.TIME: _l("Đổi thời gian"),
    ChangeKind.VENUE: _l("Đổi địa điểm"),
    ChangeKind.STATUS: _l("Đổi trạng thái"),
    ChangeKind.CANCELLED: _l("Hủy hội nghị"),
}

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _local_datetime(label, *, required: bool = True, description=None):
    return DateTimeLocalField(
        label,
        format=DATETIME_FORMAT,
        description=description,
        validators=[InputRequired()] if required else [Optional()],
    )


class ConferenceForm(_Form):
    title = StringField(_l("Tên hội nghị"), validators=[DataRequired(), Length(max=300)])
    slug = StringField(
        _l("Đường dẫn"),
        description=_l(
            "Phần cuối của địa chỉ trang công khai, ví dụ hoi-nghi-thuong-hieu. "
            "Để trống để tạo tự động từ tên. Đổi tên sau này thì địa chỉ cũ vẫn dùng được."
        ),
        validators=[Optional(), Length(max=80)],
    )
    summary = TextAreaField(_l("Giới thiệu"), validators=[Optional(), Length(max=5000)])
    themes = CheckboxListField(
        _l("Chủ đề"),
        choices=[SelectChoice(theme.value, label) for theme, label in THEME_LABELS.items()],
        validators=[Optional()],
    )
    other_theme = StringField(_l("Chủ đề khác"), validators=[Optional(), Length(max=200)])
    host_id = SelectField(_l("Cơ quan chủ trì"), coerce=int)
    cohost_ids = CheckboxListField(_l("Đơn vị phối hợp"), coerce=int, validators=[Optional()])
    venue_name = StringField(
        _l("Địa điểm"),
        description=_l("Ví dụ: Hội trường UBND xã Lục Ngạn."),
        validators=[DataRequired(), Length(max=200)],
    )
    venue_address = StringField(_l("Số nhà, đường, thôn"), validators=[Optional(), Length(max=300)])
    province_code = SelectField(_l("Tỉnh, thành phố"), coerce=int)
    ward_code = SelectField(
        _l("Xã, phường, đặc khu"),
        coerce=int,
        description=_l("Đổi tỉnh thì lưu một lần để hiện danh sách xã, phường của tỉnh mới."),
        # The list depends on the province chosen; the service checks the pair.
        validate_choice=False,
    )
    starts_at = _local_datetime(_l("Bắt đầu"))
    ends_at = _local_datetime(_l("Kết thúc"))
    timezone = StringField(
        _l("Múi giờ"),
        default=DEFAULT_TIMEZONE,
        description=_l("Giờ nhập ở trên tính theo múi giờ này."),
        validators=[DataRequired(), Length(max=64)],
    )
    capacity = IntegerField(_l("Số chỗ"), validators=[InputRequired()])
    delegates_per_cooperative = IntegerField(
        _l("Số đại biểu tối đa mỗi hợp tác xã"), default=3, validators=[InputRequired()]
    )
    has_waitlist = BooleanField(_l("Nhận danh sách chờ khi hết chỗ"), default=True)
    registration_opens_at = _local_datetime(
        _l("Mở đăng ký từ"),
        required=False,
        description=_l("Để trống: mở ngay khi công bố."),
    )
    registration_closes_at = _local_datetime(
        _l("Hạn đăng ký"),
        required=False,
        description=_l("Để trống: nhận đăng ký đến giờ khai mạc."),
    )


class SessionForm(_Form):
    title = StringField(_l("Tên phiên"), validators=[DataRequired(), Length(max=300)])
    starts_at = _local_datetime(_l("Bắt đầu"))
    ends_at = _local_datetime(_l("Kết thúc"))
    division_id = SelectField(_l("Phòng phụ trách"), coerce=int)
    speaker = StringField(_l("Người trình bày"), validators=[Optional(), Length(max=200)])
    room = StringField(_l("Phòng họp"), validators=[Optional(), Length(max=100)])
    description = TextAreaField(_l("Nội dung"), validators=[Optional(), Length(max=5000)])


class CancelForm(_Form):
    reason = TextAreaField(
        _l("Lý do hủy"),
        description=_l("Lý do được hiển thị trên trang hội nghị và gửi tới người đã đăng ký."),
        validators=[DataRequired(), Length(max=1000)],
    )
