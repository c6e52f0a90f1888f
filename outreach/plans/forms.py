"""Forms for plans, items, progress, budgets and norms: shape only; rules live in services."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField
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

from outreach.forms import Form as _Form
from outreach.plans.models import BudgetCategory
from outreach.plans.models import ItemStatus
from outreach.plans.models import QuantityRule

ITEM_STATUS_LABELS = {
    ItemStatus.NOT_STARTED: _l("Chưa bắt đầu"),
    ItemStatus.IN_PROGRESS: _l("Đang thực hiện"),
    ItemStatus.DONE: _l("Đã xong"),
    ItemStatus.CANCELLED: _l("Đã hủy"),
}

CATEGORY_LABELS = {
    BudgetCategory.HALL: _l("Thuê hội trường"),
    BudgetCategory.SOUND: _l("Âm thanh, máy chiếu"),
    BudgetCategory.PRINTING: _l("In ấn tài liệu"),
    BudgetCategory.TEA_BREAK: _l("Nước uống, giải khát giữa giờ"),
    BudgetCategory.MEAL_SUPPORT: _l("Hỗ trợ tiền ăn đại biểu không hưởng lương NSNN"),
    BudgetCategory.SPEAKER_FEE: _l("Thù lao báo cáo viên"),
    BudgetCategory.BANNER: _l("Trang trí, khẩu hiệu"),
    BudgetCategory.OTHER: _l("Chi khác"),
}

RULE_LABELS = {
    QuantityRule.FIXED: _l("Số lượng cố định"),
    QuantityRule.PER_REGISTERED: _l("Theo người đăng ký"),
    QuantityRule.PER_CHECKED_IN: _l("Theo người có mặt"),
    QuantityRule.PER_PACK: _l("Theo số bộ tài liệu in"),
}


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PlanForm(_Form):
    number = StringField(
        _l("Số, ký hiệu"),
        description=_l("Ví dụ: 64/KH-KHCN."),
        validators=[DataRequired(), Length(max=50)],
    )
    title = StringField(_l("Tên kế hoạch"), validators=[DataRequired(), Length(max=300)])
    issuing_body = StringField(_l("Cơ quan ban hành"), validators=[DataRequired(), Length(max=200)])
    issued_on = DateField(_l("Ngày ban hành"), validators=[InputRequired()])
    signer = StringField(_l("Người ký"), validators=[Optional(), Length(max=200)])


class ItemForm(_Form):
    section = StringField(
        _l("Mục"),
        description=_l("Như trong văn bản: I, II.1, IV.3."),
        validators=[DataRequired(), Length(max=20)],
    )
    title = TextAreaField(_l("Nội dung công việc"), validators=[DataRequired(), Length(max=500)])
    description = TextAreaField(_l("Chi tiết"), validators=[Optional(), Length(max=5000)])
    division_id = SelectField(_l("Phòng thực hiện"), coerce=int)
    due_on = DateField(_l("Thời hạn"), validators=[Optional()])
    conference_ids = CheckboxListField(
        _l("Hội nghị liên quan"), coerce=int, validators=[Optional()]
    )


class ProgressForm(_Form):
    status = SelectField(
        _l("Trạng thái"),
        choices=[SelectChoice(s.value, label) for s, label in ITEM_STATUS_LABELS.items()],
    )
    text = TextAreaField(
        _l("Tiến độ"),
        description=_l("Đã làm gì, còn vướng gì, cần ai hỗ trợ."),
        validators=[DataRequired(), Length(max=5000)],
    )


class MonitoringForm(_Form):
    division_id = SelectField(_l("Phòng theo dõi kế hoạch"), coerce=int)


#: "25.100.000", "25,100,000": dots or commas only between groups of three digits
_GROUPED = re.compile(r"-?\d{1,3}(?:[.,]\d{3})+")


class MoneyField(IntegerField):
    """Whole đồng; accepts the way people write money: "25.100.000", "150 000", "150.000 ₫".

    A dot or comma anywhere else ("150000.5", "1,5") is a decimal part, which đồng do not
    have: refused with a message, never read as a larger number."""

    def process_formdata(self, valuelist):
        if valuelist:
            raw = valuelist[0] or ""
            for mark in (" ", "\u00a0", "₫", "đ"):
                raw = raw.replace(mark, "")
            if _GROUPED.fullmatch(raw):
                raw = raw.replace(".", "").replace(",", "")
            elif re.search(r"\d[.,]\d", raw):
                raise ValueError(_l("Số tiền tính bằng đồng, không có phần lẻ: ví dụ 150.000."))
            valuelist = [raw]
        super().process_formdata(valuelist)


def _amount(label, *, required: bool, description=None):
    return MoneyField(
        label,
        description=description,
        validators=[InputRequired()] if required else [Optional()],
        render_kw={"inputmode": "numeric"},
    )


class BudgetLineForm(_Form):
    category = SelectField(
        _l("Khoản chi"),
        choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
    )
    description = StringField(_l("Nội dung"), validators=[DataRequired(), Length(max=300)])
    unit_label = StringField(
        _l("Đơn vị tính"),
        description=_l("Ví dụ: người/ngày, buổi, bộ."),
        validators=[Optional(), Length(max=50)],
    )
    unit_cost_vnd = _amount(_l("Đơn giá (đồng)"), required=True)
    quantity_rule = SelectField(
        _l("Cách tính số lượng"),
        choices=[SelectChoice(r.value, label) for r, label in RULE_LABELS.items()],
    )
    fixed_quantity = IntegerField(
        _l("Số lượng (khoản cố định)"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    times = IntegerField(
        _l("Số lần cho mỗi người hoặc bộ"),
        description=_l("Ví dụ: 2 lần giải khát mỗi người trong một ngày."),
        default=1,
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    actual_vnd = _amount(
        _l("Thực chi (đồng)"),
        required=False,
        description=_l("Để trống để tính theo số người có mặt."),
    )


class NormForm(BudgetLineForm):
    actual_vnd = None


class PacksForm(_Form):
    printed_pack_count = IntegerField(
        _l("Số bộ tài liệu đã in"),
        description=_l("Để trống: mỗi người đăng ký một bộ."),
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
