"""The domain error base class and the HTTP error pages."""

from __future__ import annotations

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


class OutreachError(Exception):
    """A broken business rule. ``code`` is stable (tests and API clients rely on it);
    ``message`` is for people and already translated when raised inside a request."""

    code = "error"

    def __init__(self, message: str | None = None, *, code: str | None = None, field=None):
        self.message = message or self.code
        if code is not None:
            self.code = code
        #: the form field the error belongs to, when there is one
        self.field = field
        super().__init__(self.message)


class NotFound(OutreachError):
    code = "not_found"


class PermissionDenied(OutreachError):
    code = "permission_denied"


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_page(status: int, title: str, message: str):
    if _wants_json():
        return jsonify({"error": title, "message": message}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Friendly pages, in the user's language, instead of Werkzeug's defaults."""

    @app.errorhandler(400)
    def bad_request(_e):
        return _error_page(
            400,
            _("Yêu cầu không hợp lệ"),
            _("Dữ liệu gửi lên không đúng. Vui lòng quay lại và thử lại."),
        )

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return _error_page(
            400,
            _("Trang đã hết hạn"),
            _("Trang này đã mở quá lâu hoặc thiếu mã bảo mật. Vui lòng tải lại trang rồi gửi lại."),
        )

    @app.errorhandler(403)
    def forbidden(_e):
        return _error_page(
            403, _("Không có quyền truy cập"), _("Tài khoản của bạn không được phép mở trang này.")
        )

    @app.errorhandler(404)
    def not_found(_e):
        return _error_page(
            404, _("Không tìm thấy trang"), _("Địa chỉ này không tồn tại hoặc đã bị gỡ bỏ.")
        )

    @app.errorhandler(405)
    def method_not_allowed(_e):
        return _error_page(
            405, _("Thao tác không được hỗ trợ"), _("Trang này không nhận kiểu yêu cầu đó.")
        )

    @app.errorhandler(413)
    def too_large(_e):
        return _error_page(
            413, _("Dữ liệu quá lớn"), _("Tệp hoặc biểu mẫu gửi lên vượt quá giới hạn cho phép.")
        )

    @app.errorhandler(429)
    def too_many(_e):
        return _error_page(
            429,
            _("Quá nhiều lần thử"),
            _("Bạn đã thử quá nhiều lần. Vui lòng đợi một lát rồi thử lại."),
        )

    @app.errorhandler(500)
    def server_error(_e):
        return _error_page(
            500,
            _("Đã có lỗi xảy ra"),
            _("Hệ thống gặp sự cố. Dữ liệu của bạn chưa bị mất; vui lòng thử lại sau ít phút."),
        )
