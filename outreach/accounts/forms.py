"""Forms for login and the admin pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import PasswordField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import Optional

from outreach.accounts.models import OrganizationKind
from outreach.accounts.models import Role
from outreach.forms import Form

ROLE_LABELS = {
    Role.ADMIN: _l("Quản trị hệ thống"),
    Role.ORGANIZER: _l("Ban tổ chức"),
    Role.DIVISION_STAFF: _l("Cán bộ phòng chuyên môn"),
    Role.DOOR_STAFF: _l("Cán bộ điểm danh"),
}

ORGANIZATION_KIND_LABELS = {
    OrganizationKind.HOST_DEPARTMENT: _l("Cơ quan chủ trì"),
    OrganizationKind.COOPERATIVE_ALLIANCE: _l("Liên minh Hợp tác xã"),
    OrganizationKind.OTHER: _l("Đơn vị khác"),
}


class LoginForm(Form):
    email = EmailField(_l("Thư điện tử"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class UserForm(Form):
    email = EmailField(
        _l("Thư điện tử"),
        validators=[
            DataRequired(),
            Email(message=_l("Nhập địa chỉ thư dạng ten@vi-du.vn.")),
            Length(max=254),
        ],
    )
    name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(
        _l("Vai trò"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    )
    organization_id = SelectField(_l("Cơ quan"), coerce=int, validators=[Optional()])
    division_id = SelectField(_l("Phòng"), coerce=int, validators=[Optional()])
    is_active = BooleanField(_l("Đang hoạt động"), default=True)
    password = PasswordField(
        _l("Mật khẩu"),
        description=_l("Ít nhất 8 ký tự. Để trống khi sửa nếu không đổi mật khẩu."),
        validators=[Optional(), Length(max=200)],
    )


class DivisionForm(Form):
    organization_id = SelectField(_l("Cơ quan"), coerce=int)
    name = StringField(_l("Tên phòng"), validators=[DataRequired(), Length(max=200)])
    code = StringField(
        _l("Mã phòng"),
        description=_l("Viết tắt, ví dụ QLKH."),
        validators=[DataRequired(), Length(max=20)],
    )
    is_active = BooleanField(_l("Đang hoạt động"), default=True)


class OrganizationForm(Form):
    name = StringField(_l("Tên cơ quan"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Tên viết tắt"), validators=[DataRequired(), Length(max=50)])
    kind = SelectField(
        _l("Loại"),
        choices=[SelectChoice(k.value, label) for k, label in ORGANIZATION_KIND_LABELS.items()],
    )
