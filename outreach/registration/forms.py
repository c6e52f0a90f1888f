"""Forms for the public registration, self-service changes and the lost-link request.

They describe the shape of the input only; every rule lives in ``registration/services.py``,
which reports errors by these field names (``cooperative-tax_code``, ``delegates-0-phone``).
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import FieldList
from wtforms import FormField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms import TelField
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from outreach.forms import Form
from outreach.forms import SubForm
from outreach.registration.models import CooperativeKind
from outreach.registration.models import Gender

KIND_LABELS = {
    CooperativeKind.HOP_TAC_XA: _l("Hợp tác xã"),
    CooperativeKind.LIEN_HIEP_HOP_TAC_XA: _l("Liên hiệp hợp tác xã"),
    CooperativeKind.TO_HOP_TAC: _l("Tổ hợp tác"),
}
GENDER_LABELS = {
    Gender.UNSPECIFIED: _l("Không nêu"),
    Gender.FEMALE: _l("Nữ"),
    Gender.MALE: _l("Nam"),
}
NEED_LABELS = {
    "technology": _l("Công nghệ"),
    "partner": _l("Đối tác"),
    "funding": _l("Kinh phí hỗ trợ"),
    "procedures": _l("Hướng dẫn thủ tục"),
    "training": _l("Đào tạo, tập huấn"),
}
STATUS_LABELS = {
    "confirmed": _l("Đã xác nhận"),
    "waitlisted": _l("Danh sách chờ"),
    "cancelled": _l("Đã hủy"),
}


class CooperativeForm(SubForm):
    kind = RadioField(
        _l("Loại hình"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        default=CooperativeKind.HOP_TAC_XA.value,
        validators=[Optional()],
    )
    name = StringField(_l("Tên hợp tác xã"), validators=[Length(max=400)])
    tax_code = StringField(
        _l("Mã số HTX / mã số thuế"),
        description=_l("10 chữ số, chi nhánh 13 chữ số. Tổ hợp tác có thể bỏ trống."),
        validators=[Length(max=40)],
    )
    # The lists are only filled to show the form; the service checks that the province
    # exists and the ward lies in it (registration.services._clean_cooperative), with a
    # clearer message than WTForms' "Not a valid choice", and without walking 100 wards.
    province_code = SelectField(
        _l("Tỉnh, thành phố"), coerce=int, validators=[Optional()], validate_choice=False
    )
    ward_code = SelectField(
        _l("Xã, phường"), coerce=int, validators=[Optional()], validate_choice=False
    )
    sector = StringField(_l("Lĩnh vực hoạt động"), validators=[Length(max=400)])
    main_products = StringField(_l("Sản phẩm chính"), validators=[Length(max=600)])
    member_count = IntegerField(
        _l("Số thành viên"), validators=[Optional(), NumberRange(min=0, max=1_000_000)]
    )


class DelegateForm(SubForm):
    id = HiddenField()
    full_name = StringField(_l("Họ và tên"), validators=[Length(max=400)])
    position = StringField(_l("Chức vụ"), validators=[Length(max=200)])
    gender = SelectField(
        _l("Giới tính"),
        choices=[SelectChoice(g.value, label) for g, label in GENDER_LABELS.items()],
        validators=[Optional()],
    )
    phone = TelField(_l("Số điện thoại"), validators=[Length(max=60)])
    email = EmailField(_l("Thư điện tử (không bắt buộc)"), validators=[Length(max=300)])


class RegistrationForm(Form):
    submission_id = HiddenField()
    cooperative = FormField(CooperativeForm)
    contact_name = StringField(_l("Người liên hệ"), validators=[Length(max=400)])
    contact_phone = TelField(_l("Điện thoại liên hệ"), validators=[Length(max=60)])
    contact_email = EmailField(
        _l("Thư điện tử liên hệ"),
        description=_l("Để nhận vé, thư mời và đường dẫn thay đổi đăng ký."),
        validators=[Length(max=300)],
    )
    delegates = FieldList(FormField(DelegateForm), min_entries=1)
    consent_participation = BooleanField(
        _l("Tôi đã đọc thông báo trên và đồng ý cho xử lý dữ liệu cá nhân để tham dự hội nghị.")
    )
    consent_news = BooleanField(
        _l("Tôi đồng ý nhận tin về các hội nghị và chương trình hỗ trợ sau này (không bắt buộc).")
    )


class DelegatesForm(Form):
    delegates = FieldList(FormField(DelegateForm), min_entries=1)


class LostLinkForm(Form):
    contact = StringField(
        _l("Số điện thoại hoặc thư điện tử liên hệ"),
        description=_l("Số điện thoại hoặc thư điện tử đã khai khi đăng ký."),
        validators=[Length(max=254)],
    )


class ConfirmForm(Form):
    """A bare form: just the CSRF token, for one-button actions."""
