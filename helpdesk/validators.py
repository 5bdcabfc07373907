"""Contact validators shared by customers and complaints (R-C1: phone, e-mail, QQ/WeChat)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from helpdesk.phones import normalize_phone, split_phone

__all__ = ["normalize_phone", "validate_phone", "validate_qq", "validate_wechat"]

_PHONE = re.compile(r"^\+?[0-9]{5,20}$")
_QQ = re.compile(r"^[1-9]\d{4,11}$")
_WECHAT = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$|^1[3-9]\d{9}$")


def validate_phone(value: str) -> None:
    """A phone number as typed or in its stored form (`helpdesk.phones.normalize_phone`);
    an extension ('转 12', 'ext. 12', ',12') is allowed and not checked."""
    digits, _extension = split_phone(normalize_phone(value))
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
            _("A WeChat ID has 6 to 20 letters, digits, '-' or '_' and starts with a letter (or is a mobile number)."),
            code="invalid_wechat",
        )
