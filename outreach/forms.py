"""What every feature's forms share: the base form class that speaks Vietnamese (and English)
for WTForms' own messages, and putting a service's error onto the form field it belongs to."""

from __future__ import annotations

import wtforms
from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

#: WTForms' built-in messages, in our catalog (WTForms ships none for Vietnamese)
BUILTIN_MESSAGES = {
    "This field is required.": _l("Mục này bắt buộc."),
    "Not a valid choice.": _l("Lựa chọn không hợp lệ."),
    "Not a valid integer value.": _l("Nhập một số nguyên."),
    "Not a valid datetime value.": _l("Nhập đầy đủ ngày và giờ."),
    "Not a valid date value.": _l("Nhập ngày theo dạng ngày/tháng/năm."),
    "Field cannot be longer than %(max)d character.": _l("Tối đa %(max)d ký tự."),
    "Field cannot be longer than %(max)d characters.": _l("Tối đa %(max)d ký tự."),
}


class BuiltinMessages:
    """The translations object WTForms asks for its own messages."""

    def gettext(self, string):
        return str(BUILTIN_MESSAGES.get(string, string))

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)


class _TranslatedMeta:
    def get_translations(self, form):
        return BuiltinMessages()


class Form(FlaskForm):
    """Base of the top-level forms (CSRF from Flask-WTF)."""

    class Meta(_TranslatedMeta):
        pass


class SubForm(wtforms.Form):
    """Base of the forms nested with ``FormField`` (no CSRF of their own)."""

    class Meta(_TranslatedMeta):
        pass


def apply_error(form, error) -> None:
    """Show a service's error on the field it names (``error.field``, or every field of
    ``error.errors`` for several at once, with names like ``delegates-0-phone``); an error that
    names no field of this form becomes a flashed message."""
    errors = getattr(error, "errors", None) or {error.field or "": error.message}
    fields = {}

    def walk(items):
        for field in items:
            fields[field.name] = field
            if hasattr(field, "entries"):
                walk(field.entries)
            elif hasattr(field, "form"):
                walk(field.form)

    walk(form)
    for name, message in errors.items():
        field = fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")
