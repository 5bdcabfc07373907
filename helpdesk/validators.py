"""Contact validators shared by customers and complaints (R-C1: phone, e-mail, QQ/WeChat)."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
_PHONE = re.compile(r"^\+?\d{5,20}$")
_EXTENSION = re.compile(r"(?:ext\.?|x|转|轉)\s*\d{1,6}$", re.IGNORECASE)
_QQ = re.compile(r"^[1-9]\d{4,11}$")
_WECHAT = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$|^1[3-9]\d{9}$")


def normalize_phone(value: str) -> str:
    """Strip spaces, dashes and brackets: '021-6234 5678' -> '02162345678'."""
    value = (value or "").strip()
    value = _EXTENSION.sub("", value).strip()
    return _PHONE_SEPARATORS.sub("", value)


def validate_phone(value: str) -> None:
    digits = normalize_phone(value)
    if not _PHONE.match(digits) or len(digits.lstrip("+")) < 7:
        raise ValidationError(
            _("Enter a valid phone number, for example 13800138000 or 021-62345678."),
            code="invalid_phone",
        )
    if digits.startswith("1") and len(digits) != 11:
        raise ValidationError(
            _("A mobile number starting with 1 has 11 digits, for example 13800138000."),
            code="invalid_phone",
        )


def validate_qq(value: str) -> None:
    if not _QQ.match((value or "").strip()):
        raise ValidationError(_("A QQ number has 5 to 12 digits and does not start with 0."), code="invalid_qq")


def validate_wechat(value: str) -> None:
    if not _WECHAT.match((value or "").strip()):
        raise ValidationError(
            _("A WeChat ID has 6 to 20 letters, digits, '-' or '_' and starts with a letter "
              "(or is a mobile number)."),
            code="invalid_wechat",
        )
