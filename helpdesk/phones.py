"""Phone numbers in one stored form, so that the same person is the same person everywhere
(R-T4's newer-complaint link, the list search, the repeat-complainant figure).

The canonical form
------------------
- Mainland China numbers are stored the way they are dialled and read at home, without
  a country code: a mobile as its 11 digits (``"139 1234 5678"``, ``"+86 139-1234-5678"``,
  ``"0086 13912345678"`` and ``"8613912345678"`` all become ``"13912345678"``), a landline
  with its trunk ``0`` and area code (``"021-6234 5678"``, ``"(021) 62345678"`` and
  ``"+86 21 6234 5678"`` become ``"02162345678"``; Beijing ``"+86 10 …"`` becomes ``"010…"``);
  ``400``/``800`` service numbers keep their 10 digits.
- Any other country keeps ``+`` and its country code: ``"0044 20 7946 0958"`` and
  ``"+44 (20) 7946-0958"`` become ``"+442079460958"`` (``00`` is China's international prefix).
- An extension is kept, after a comma (``"021-62345678 转 123"`` / ``"ext. 123"`` / ``"x123"``
  become ``"02162345678,123"``): an extension often names the person at a switchboard, and
  ``,`` is what a phone's dialler reads as "wait, then dial the extension".
- Full-width characters (``１３９``, ``＋``, ``（）``, ``－``), spaces, dashes, dots and brackets
  are accepted and dropped. A local number typed without an area code stays as typed
  (digits only): the area code cannot be guessed.
- Text that is no phone number at all is left as typed (only trimmed), so that
  `helpdesk.validators.validate_phone` rejects it with its usual message.

Why not django-phonenumber-field
--------------------------------
Its `phonenumbers` (libphonenumber) parses Chinese mobiles and landlines well, but the field
stores E.164 (``+8613912345678``, ``+862162345678``), so every page, export and API answer
would show ``+86…`` unless each formatted it back, while staff and complainants here type and
read ``139…`` and ``021-…``. It rejects what the helpdesk accepts today and must keep
(a local number typed without its area code becomes an invalid ``+8662345678``; ``转 123``,
the usual way to write an extension here, is "not a phone number"), which would change R-C1's
validation messages. And it adds two dependencies (phonenumbers 9.0 installs ~48 MB of
metadata for every country) for one country's rules that fit in this module. The small
normaliser keeps the stored value readable, keeps area codes and extensions, and matches by
plain string equality (one index, no parsing in SQL).
"""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc.()\[\]]")
_EXTENSION = re.compile(r"\s*(?:ext(?:ension)?\.?|x|转|轉|分机|分機|,)\s*(\d{1,6})\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\+?[0-9]+$")
_MOBILE_WITH_86 = re.compile(r"^861[3-9][0-9]{9}$")
_SERVICE = re.compile(r"^[48]00[0-9]{7}$")


def _ascii(value: str) -> str:
    """Full-width and other Unicode digits, plus signs and brackets as ASCII."""
    value = unicodedata.normalize("NFKC", value or "")
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in value)


def split_phone(value: str) -> tuple[str, str]:
    """The number without separators, and its extension ("" if none):
    '021-6234 5678 转 12' -> ('02162345678', '12'). Nothing is validated here."""
    value = _ascii(value).strip()
    extension = ""
    if match := _EXTENSION.search(value):
        value, extension = value[: match.start()], match.group(1)
    return _SEPARATORS.sub("", value), extension


def _national(number: str) -> str:
    """A number in its canonical form, extension aside (see the module docstring)."""
    if number.startswith("00"):
        number = "+" + number[2:]
    if number.startswith("+86"):
        rest = number[3:]
        if not rest:
            return number
        if _SERVICE.match(rest) or rest.startswith("0") or (rest.startswith("1") and not rest.startswith("10")):
            return rest  # a mobile (validate_phone checks its 11 digits), 400/800, or "+86 (0)21 …"
        return "0" + rest  # a landline: the area code without its trunk 0 (21 -> 021, Beijing 10 -> 010)
    if _MOBILE_WITH_86.match(number):
        return number[2:]
    return number


def normalize_phone(value: str) -> str:
    """The canonical stored form of a phone number (see the module docstring):
    '+86 139 1234 5678' -> '13912345678', '021-6234 5678' -> '02162345678',
    '0044 20 7946 0958 ext 12' -> '+442079460958,12'. Idempotent; text that is no phone
    number is returned trimmed but otherwise as typed."""
    if value is None:
        return value
    number, extension = split_phone(value)
    if not _NUMBER.match(number):
        return value.strip()
    number = _national(number)
    return f"{number},{extension}" if extension else number


def phone_search_digits(text: str, *, any_text: bool = True) -> str:
    """The digits to look for in stored (canonical) phone numbers when someone searches for
    `text`: a typed number loses its separators, its extension and a China country code
    ('+86 139 1234' -> '1391234', '0044 20 79' -> '442079'); other text gives all its digits
    ('Room 12, floor 3' -> '123'), or "" when not `any_text`."""
    number, _extension = split_phone(text)
    if not _NUMBER.match(number):
        return "".join(ch for ch in _ascii(text) if ch.isdigit()) if any_text else ""
    if number.startswith("00"):
        number = "+" + number[2:]
    if number.startswith("+86"):
        number = number[3:]
    elif _MOBILE_WITH_86.match(number):
        number = number[2:]
    return number.lstrip("+")
