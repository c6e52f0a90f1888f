"""Forms of the data-subject request pages (shape only; the rules are in services)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import DateField
from wtforms import HiddenField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from outreach.forms import Form

KIND_LABELS = {
    "access": _l("Xem, nhận bản sao dữ liệu"),
    "erasure": _l("Xóa, ẩn danh dữ liệu"),
    "withdraw": _l("Rút lại đồng ý nhận tin"),
}


class FindForm(Form):
    contact = StringField(
        _l("Số điện thoại hoặc thư điện tử"),
        validators=[
            DataRequired(_l("Nhập số điện thoại hoặc địa chỉ thư của người cần tìm.")),
            Length(max=254),
        ],
        description=_l("Ví dụ: 0912 345 678 hoặc htx.lucngan@gmail.com"),
    )


class PersonActionForm(Form):
    """Export or withdraw for the person found (the contact travels in a POST body, never in a
    URL, so it is not kept in logs or browser history)."""

    contact = HiddenField(validators=[DataRequired(), Length(max=254)])
    request_id = HiddenField()


class EraseForm(PersonActionForm):
    confirm = BooleanField(
        _l("Tôi xác nhận xóa vĩnh viễn họ tên, số điện thoại, thư điện tử của người này"),
        validators=[DataRequired(_l("Hãy đánh dấu xác nhận trước khi xóa."))],
    )


class RequestForm(Form):
    kind = SelectField(
        _l("Loại yêu cầu"),
        choices=[SelectChoice(code, label) for code, label in KIND_LABELS.items()],
    )
    contact = StringField(
        _l("Số điện thoại hoặc thư điện tử của người yêu cầu"),
        validators=[
            DataRequired(_l("Nhập số điện thoại hoặc địa chỉ thư của người yêu cầu.")),
            Length(max=254),
        ],
    )
    received_on = DateField(
        _l("Ngày nhận yêu cầu"), validators=[DataRequired(_l("Nhập ngày nhận yêu cầu."))]
    )
