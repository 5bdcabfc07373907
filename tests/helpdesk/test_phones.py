"""The phone normaliser (helpdesk.phones): one stored form per number, so that the same
person written two ways is the same person; invalid input keeps the usual messages."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from helpdesk.phones import normalize_phone, phone_search_digits, split_phone
from helpdesk.validators import validate_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        # mainland mobiles: 11 digits, without the country code
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("139.1234.5678", "13912345678"),
        (" 139 1234 5678 ", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("+86-139-1234-5678", "13912345678"),
        ("(+86) 13912345678", "13912345678"),
        ("0086 13912345678", "13912345678"),
        ("8613912345678", "13912345678"),
        # landlines keep the trunk 0 and their area code (3 or 4 digits)
        ("021-6234 5678", "02162345678"),
        ("(021) 62345678", "02162345678"),
        ("010-62345678", "01062345678"),
        ("0755-8765 4321", "075587654321"),
        ("+86 21 6234 5678", "02162345678"),
        ("+86 10 6234 5678", "01062345678"),  # Beijing's 10 is an area code, no mobile
        ("+86 755 8765 4321", "075587654321"),
        ("+86 (0)21 6234 5678", "02162345678"),
        ("0086-21-62345678", "02162345678"),
        ("62345678", "62345678"),  # no area code typed: none guessed
        # service numbers
        ("400-820-8820", "4008208820"),
        ("+86 400 820 8820", "4008208820"),
        # full-width input
        ("１３９ １２３４ ５６７８", "13912345678"),
        ("＋８６－１３９１２３４５６７８", "13912345678"),
        ("（０２１）６２３４－５６７８", "02162345678"),
        # other countries keep + and the country code (00 is China's international prefix)
        ("+44 20 7946 0958", "+442079460958"),
        ("+44 (20) 7946-0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+852 2123 4567", "+85221234567"),
        ("+1 415-555-2671", "+14155552671"),
        # extensions are kept, after a comma
        ("021-6234 5678 转 123", "02162345678,123"),
        ("021-62345678转123", "02162345678,123"),
        ("021-62345678 ext. 12", "02162345678,12"),
        ("021-62345678 EXT 12", "02162345678,12"),
        ("021-62345678 x12", "02162345678,12"),
        ("021-62345678 分机 8", "02162345678,8"),
        ("+86 21 6234 5678，123", "02162345678,123"),
        ("+44 20 7946 0958 ext 7", "+442079460958,7"),
        # blank stays blank; what is no phone number is left as typed (trimmed)
        ("", ""),
        ("  ", ""),
        ("12ab", "12ab"),
        (" abc ", "abc"),
        ("+86", "+86"),
        ("13912345678 / 13800138000", "13912345678 / 13800138000"),
    ],
)
def test_normalize_phone(typed, stored):
    assert normalize_phone(typed) == stored
    assert normalize_phone(stored) == stored  # idempotent: normalising again changes nothing


def test_normalize_phone_of_none_is_none():
    assert normalize_phone(None) is None


def test_one_person_written_many_ways_is_one_number():
    ways = [
        "13912345678",
        "139 1234 5678",
        "139-1234-5678",
        "+86 139 1234 5678",
        "0086 139 1234 5678",
        "8613912345678",
        "１３９１２３４５６７８",
    ]
    assert {normalize_phone(w) for w in ways} == {"13912345678"}
    landline = ["021-6234 5678", "02162345678", "(021) 6234-5678", "+86 21 6234 5678", "0086 21 62345678"]
    assert {normalize_phone(w) for w in landline} == {"02162345678"}


def test_split_phone():
    assert split_phone("021-6234 5678 转 12") == ("02162345678", "12")
    assert split_phone("139 1234 5678") == ("13912345678", "")


@pytest.mark.parametrize(
    "value",
    [
        "13912345678",
        "139 1234 5678",
        "+86 139 1234 5678",
        "8613912345678",
        "021-6234 5678",
        "02162345678",
        "+86 21 6234 5678",
        "0755-8765 4321",
        "+442079460958",
        "0044 20 7946 0958",
        "021-62345678 转 123",
        "02162345678,123",
        "１３９１２３４５６７８",
        "4008208820",
    ],
)
def test_valid_numbers_typed_or_stored_pass_validation(value):
    validate_phone(value)
    validate_phone(normalize_phone(value))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12ab", "Enter a valid phone number, for example 13800138000 or 021-62345678."),
        ("abc", "Enter a valid phone number"),
        ("12345", "Enter a valid phone number"),
        ("+86", "Enter a valid phone number"),
        ("13912345678 / 13800138000", "Enter a valid phone number"),
        ("1391234567", "A mobile number starting with 1 has 11 digits, for example 13800138000."),
        ("+86 1391234567", "A mobile number starting with 1 has 11 digits"),
        ("139123456789", "A mobile number starting with 1 has 11 digits"),
    ],
)
def test_invalid_numbers_are_rejected_with_the_usual_messages(value, message):
    with translation.override("en"), pytest.raises(ValidationError, match=message.replace("+", r"\+")) as exc:
        validate_phone(value)
    assert exc.value.code == "invalid_phone"


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("139 1234 5678", "13912345678"),
        ("+86 139 1234", "1391234"),
        ("0086-139-1234-5678", "13912345678"),
        ("8613912345678", "13912345678"),
        ("+86 21 6234", "216234"),  # found inside 02162345678
        ("021-6234 5678 转 12", "02162345678"),
        ("0044 20 7946", "44207946"),  # found inside +442079460958
        ("１３９１２３４", "1391234"),
        ("Lift 9, floor 12", "912"),  # other text: all its digits, as before
    ],
)
def test_phone_search_digits(text, digits):
    assert phone_search_digits(text) == digits


def test_phone_search_digits_only_of_numbers_when_asked():
    assert phone_search_digits("Harbour Plant 2024", any_text=False) == ""
    assert phone_search_digits("+86 139 1234", any_text=False) == "1391234"
