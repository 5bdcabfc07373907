"""Deadlines of the procedure (R-C5, R-T2, R-T4) in calendar time and, with the optional
working calendar switched on, in working time (complaints.calendar)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from complaints import calendar, deadlines
from complaints.calendar import CalendarHoliday, Weekday, WorkingHours, add_working_time
from complaints.choices import Channel
from complaints.models import Category, Complaint
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def at(year, month, day, hour=0, minute=0, tz=SHANGHAI) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


# 2025-06-06 is a Friday; 2025-06-09 the Monday after.
FRIDAY_17 = at(2025, 6, 6, 17)
SATURDAY, MONDAY, TUESDAY = at(2025, 6, 7).date(), at(2025, 6, 9).date(), at(2025, 6, 10).date()


@pytest.fixture
def calendar_off(settings):
    settings.HELPDESK_WORKING_CALENDAR = False
    settings.HELPDESK_REPLY_WINDOW_HOURS = 24
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {}
    settings.HELPDESK_PROGRESS_REPORT_HOURS = 24
    settings.HELPDESK_AUTO_CLOSE_DAYS = 7


@pytest.fixture
def working_week(settings):
    """The calendar on, with Monday to Friday 09:00–12:00 and 13:30–18:00."""
    settings.HELPDESK_WORKING_CALENDAR = True
    settings.HELPDESK_REPLY_WINDOW_HOURS = 24
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {}
    settings.TIME_ZONE = "Asia/Shanghai"
    WorkingHours.create_default_week()


# ------------------------------------------------------------- calendar off
def test_reply_deadline_is_24_hours_after_receipt(calendar_off):
    assert deadlines.reply_deadline(FRIDAY_17, None) == FRIDAY_17 + timedelta(hours=24)


def test_a_tier_may_have_a_shorter_reply_window(calendar_off, settings):
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {"A": 4.0}

    assert deadlines.reply_deadline(FRIDAY_17, "A") == FRIDAY_17 + timedelta(hours=4)
    assert deadlines.reply_deadline(FRIDAY_17, "B") == FRIDAY_17 + timedelta(hours=24)
    assert deadlines.reply_deadline(FRIDAY_17, None) == FRIDAY_17 + timedelta(hours=24)


def test_a_tier_window_above_24_hours_is_capped_at_24(calendar_off, settings):
    settings.HELPDESK_REPLY_WINDOW_HOURS = 48
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {"A": 36.0}

    assert deadlines.reply_window_for("A") == timedelta(hours=24)
    assert deadlines.reply_deadline(FRIDAY_17, "A") == FRIDAY_17 + timedelta(hours=24)
    assert deadlines.reply_deadline(FRIDAY_17, None) == FRIDAY_17 + timedelta(hours=24)


def test_progress_and_auto_close_deadlines_follow_their_settings(calendar_off, settings):
    settings.HELPDESK_PROGRESS_REPORT_HOURS = 12
    settings.HELPDESK_AUTO_CLOSE_DAYS = 3

    assert deadlines.progress_deadline(FRIDAY_17) == FRIDAY_17 + timedelta(hours=12)
    assert deadlines.auto_close_deadline(FRIDAY_17) == FRIDAY_17 + timedelta(days=3)


def test_calendar_off_ignores_working_hours(calendar_off):
    WorkingHours.create_default_week()

    assert deadlines.progress_deadline(FRIDAY_17) == FRIDAY_17 + timedelta(hours=24)


# -------------------------------------------------------------- calendar on
def test_friday_evening_hours_continue_on_monday(working_week):
    # 17:00–18:00 on Friday, then Monday from 09:00
    assert add_working_time(FRIDAY_17, timedelta(hours=3)) == at(2025, 6, 9, 11)
    # 1 h on Friday + the whole Monday morning: ends at 12:00, not at 13:30
    assert add_working_time(FRIDAY_17, timedelta(hours=4)) == at(2025, 6, 9, 12)


def test_the_lunch_break_is_skipped(working_week):
    assert add_working_time(at(2025, 6, 9, 11), timedelta(hours=2)) == at(2025, 6, 9, 14, 30)
    assert add_working_time(at(2025, 6, 9, 12), timedelta(hours=1)) == at(2025, 6, 9, 14, 30)
    assert add_working_time(at(2025, 6, 9, 12, 45), timedelta(minutes=30)) == at(2025, 6, 9, 14)


def test_a_holiday_on_monday_pushes_to_tuesday(working_week):
    CalendarHoliday.objects.create(date=MONDAY, name="Dragon Boat Festival")

    assert add_working_time(FRIDAY_17, timedelta(hours=3)) == at(2025, 6, 10, 11)


def test_a_start_on_saturday_begins_counting_on_monday_morning(working_week):
    assert add_working_time(at(2025, 6, 7, 10), timedelta(hours=1)) == at(2025, 6, 9, 10)
    assert add_working_time(at(2025, 6, 6, 20), timedelta(hours=1)) == at(2025, 6, 9, 10)
    assert add_working_time(at(2025, 6, 9, 7), timedelta(hours=1)) == at(2025, 6, 9, 10)


def test_zero_delta_is_start_inside_working_hours_else_the_next_working_start(working_week):
    inside = at(2025, 6, 9, 10, 15)

    assert add_working_time(inside, timedelta(0)) == inside
    assert add_working_time(at(2025, 6, 7, 10), timedelta(0)) == at(2025, 6, 9, 9)
    assert add_working_time(at(2025, 6, 9, 12, 30), timedelta(0)) == at(2025, 6, 9, 13, 30)


def test_a_make_up_working_saturday_counts_with_mondays_hours(working_week):
    CalendarHoliday.objects.create(date=SATURDAY, name="Make-up working day", is_working_day=True)

    assert add_working_time(FRIDAY_17, timedelta(hours=3)) == at(2025, 6, 7, 11)
    assert add_working_time(FRIDAY_17, timedelta(hours=5)) == at(2025, 6, 7, 14, 30)


def test_a_make_up_working_day_may_work_like_another_weekday(working_week):
    WorkingHours.objects.create(weekday=Weekday.SATURDAY, start=time(10), end=time(11))
    sunday = at(2025, 6, 8).date()
    CalendarHoliday.objects.create(
        date=sunday, name="Make-up working day", is_working_day=True, works_like_weekday=Weekday.SATURDAY
    )
    CalendarHoliday.objects.create(date=SATURDAY, name="Day off")

    # Saturday is off, Sunday is worked 10:00–11:00 only
    assert add_working_time(FRIDAY_17, timedelta(hours=1, minutes=30)) == at(2025, 6, 8, 10, 30)
    assert add_working_time(FRIDAY_17, timedelta(hours=2, minutes=30)) == at(2025, 6, 9, 9, 30)


def test_an_empty_calendar_falls_back_to_calendar_time(settings):
    settings.HELPDESK_WORKING_CALENDAR = True
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {}

    assert add_working_time(FRIDAY_17, timedelta(hours=4)) == FRIDAY_17 + timedelta(hours=4)
    assert deadlines.reply_deadline(FRIDAY_17, None) == FRIDAY_17 + timedelta(hours=24)
    assert deadlines.progress_deadline(FRIDAY_17) == FRIDAY_17 + timedelta(hours=24)


def test_the_reply_deadline_stays_capped_at_24_calendar_hours(working_week, settings):
    # given a complaint received on Friday evening, outside working hours
    received = at(2025, 6, 6, 19)
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {"A": 4.0}

    # then 24 (or 4) working hours would end next week, but R-C5 caps it on Saturday evening
    assert add_working_time(received, timedelta(hours=4)) == at(2025, 6, 9, 14, 30)
    assert deadlines.reply_deadline(received, None) == at(2025, 6, 7, 19)
    assert deadlines.reply_deadline(received, "A") == at(2025, 6, 7, 19)


def test_the_reply_deadline_in_working_time_when_it_is_earlier(working_week, settings):
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {"A": 4.0}
    received = at(2025, 6, 9, 9)

    assert deadlines.reply_deadline(received, "A") == at(2025, 6, 9, 14, 30)


def test_progress_deadline_counts_working_time_and_auto_close_calendar_time(working_week, settings):
    settings.HELPDESK_PROGRESS_REPORT_HOURS = 8
    settings.HELPDESK_AUTO_CLOSE_DAYS = 7

    # 1 h on Friday, 3 h on Monday morning, 4 h from 13:30 on Monday afternoon
    assert deadlines.progress_deadline(FRIDAY_17) == at(2025, 6, 9, 17, 30)
    assert deadlines.auto_close_deadline(FRIDAY_17) == FRIDAY_17 + timedelta(days=7)


def test_overlapping_periods_are_not_counted_twice(working_week):
    WorkingHours.objects.create(weekday=Weekday.MONDAY, start=time(11), end=time(12, 30))

    # Monday 09:00–12:30 and 13:30–18:00
    assert add_working_time(at(2025, 6, 9, 9), timedelta(hours=4)) == at(2025, 6, 9, 14)


def test_the_result_is_aware_in_the_start_time_zone(working_week):
    start = FRIDAY_17.astimezone(UTC)

    result = add_working_time(start, timedelta(hours=3))

    assert result.tzinfo is UTC
    assert result == at(2025, 6, 9, 11)


def test_a_naive_start_or_a_negative_delta_is_refused(working_week):
    with pytest.raises(ValueError):
        add_working_time(datetime(2025, 6, 6, 17), timedelta(hours=1))  # noqa: DTZ001 (naive on purpose)
    with pytest.raises(ValueError):
        add_working_time(FRIDAY_17, timedelta(hours=-1))


def test_a_calendar_without_working_time_in_reach_raises_instead_of_looping(settings, monkeypatch):
    settings.HELPDESK_WORKING_CALENDAR = True
    monkeypatch.setattr(calendar, "MAX_DAYS", 14)
    WorkingHours.objects.create(weekday=Weekday.MONDAY, start=time(9), end=time(10))
    CalendarHoliday.objects.create(date=MONDAY, name="Day off")
    CalendarHoliday.objects.create(date=MONDAY + timedelta(days=7), name="Day off")

    with pytest.raises(ImproperlyConfigured, match="no working time left"):
        add_working_time(FRIDAY_17, timedelta(hours=1))


def test_a_long_span_loads_further_holidays_and_stays_correct(working_week, monkeypatch):
    # given holidays beyond the first window of holidays that is loaded
    monkeypatch.setattr(calendar, "_window_days", lambda delta, week: 7)
    CalendarHoliday.objects.create(date=at(2025, 6, 16).date(), name="Day off")  # the Monday after next

    # 10 working days from Monday 09:00, one of them a holiday: ends on the 11th working day
    assert add_working_time(at(2025, 6, 9, 9), timedelta(hours=75)) == at(2025, 6, 23, 18)


# ----------------------------------------------------------- across DST
def test_working_time_across_the_spring_dst_change_in_berlin(working_week, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    friday = at(2025, 3, 28, 17, tz=BERLIN)  # CET; clocks go forward on Sunday 30 March

    result = add_working_time(friday, timedelta(hours=3))

    assert result == at(2025, 3, 31, 11, tz=BERLIN)
    assert result == datetime(2025, 3, 31, 9, tzinfo=UTC)  # CEST, UTC+2
    local = timezone.localtime(result)
    assert (local.hour, local.minute) == (11, 0)


def test_working_time_across_the_autumn_dst_change_in_berlin(working_week, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    friday = at(2025, 10, 24, 17, tz=BERLIN)  # CEST; clocks go back on Sunday 26 October

    result = add_working_time(friday, timedelta(hours=3))

    assert result == datetime(2025, 10, 27, 10, tzinfo=UTC)  # CET, UTC+1
    local = timezone.localtime(result)
    assert (local.date().isoformat(), local.hour, local.minute) == ("2025-10-27", 11, 0)


def test_working_hours_are_read_in_the_configured_time_zone(working_week, settings):
    # the same instant starts inside working hours in Shanghai, but before them in Berlin
    start = at(2025, 6, 9, 9, tz=BERLIN)  # 15:00 in Shanghai

    assert add_working_time(start, timedelta(0)) == at(2025, 6, 9, 15)
    settings.TIME_ZONE = "Europe/Berlin"
    assert add_working_time(start, timedelta(0)) == start


# ------------------------------------------------------------ query count
def test_a_ten_day_span_takes_at_most_two_queries(working_week, django_assert_max_num_queries):
    CalendarHoliday.objects.create(date=TUESDAY, name="Day off")
    start = at(2025, 6, 9, 9)

    with django_assert_max_num_queries(2):
        result = add_working_time(start, timedelta(hours=7.5 * 7))

    # Monday 9 June to Wednesday 18 June: 8 weekdays, one of them a holiday
    assert result == at(2025, 6, 18, 18)


# ------------------------------------------------------------ the models
def test_create_default_week_adds_monday_to_friday_once():
    added = WorkingHours.create_default_week()
    again = WorkingHours.create_default_week()

    assert len(added) == 10 and again == []
    assert list(WorkingHours.objects.filter(weekday=Weekday.MONDAY).values_list("start", "end")) == [
        (time(9), time(12)),
        (time(13, 30), time(18)),
    ]
    assert not WorkingHours.objects.filter(weekday__gte=Weekday.SATURDAY).exists()


def test_working_hours_must_end_after_they_start():
    with pytest.raises(ValidationError) as exc:
        WorkingHours(weekday=Weekday.MONDAY, start=time(12), end=time(9)).full_clean()
    assert "end" in exc.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(weekday=Weekday.MONDAY, start=time(12), end=time(12))


def test_overlapping_working_hours_are_refused_by_validation():
    WorkingHours.create_default_week()

    with pytest.raises(ValidationError):
        WorkingHours(weekday=Weekday.MONDAY, start=time(11), end=time(14)).full_clean()
    WorkingHours(weekday=Weekday.MONDAY, start=time(12), end=time(13, 30)).full_clean()  # touching is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(weekday=Weekday.MONDAY, start=time(9), end=time(10))


def test_only_a_make_up_working_day_works_like_another_weekday():
    with pytest.raises(ValidationError) as exc:
        CalendarHoliday(date=SATURDAY, name="Day off", works_like_weekday=Weekday.FRIDAY).full_clean()
    assert "works_like_weekday" in exc.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarHoliday.objects.create(date=SATURDAY, name="Day off", works_like_weekday=Weekday.FRIDAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarHoliday.objects.create(date=MONDAY, name="Day off")
        CalendarHoliday.objects.create(date=MONDAY, name="Same day")


# ------------------------------------------------------------------ admin
def test_admin_lists_working_hours_and_holidays(admin_client):
    response = admin_client.get("/admin/complaints/workinghours/")
    assert response.status_code == 200
    assert "No working hours are set" in response.content.decode()

    WorkingHours.create_default_week()
    CalendarHoliday.objects.create(date=SATURDAY, name="Make-up working day", is_working_day=True)
    hours = admin_client.get("/admin/complaints/workinghours/").content.decode()
    holidays = admin_client.get("/admin/complaints/calendarholiday/?date__year=2025")
    assert "No working hours are set" not in hours
    assert "Monday" in hours
    assert holidays.status_code == 200
    assert "Make-up working day" in holidays.content.decode()


# ------------------------------------------------------- through Complaint.log
def test_log_stores_the_tier_reply_window_and_agreeing_beyond_it_is_refused(agent, settings):
    # given a tier-A customer with a 4-hour reply window, calendar time
    settings.HELPDESK_WORKING_CALENDAR = False
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {"A": 4.0}
    customer = CustomerFactory(tier="A")
    now = timezone.now()

    # when
    complaint = Complaint.log(
        actor=agent,
        office=agent.office,
        channel=Channel.PHONE,
        incident_at=now - timedelta(hours=1),
        incident_place="Plant 2, inlet",
        subject="Odour from the inlet",
        description="Strong odour since noon.",
        category=Category.objects.get(code="repairs"),
        customer=customer,
        complainant_name="Li Lei",
    )

    # then
    complaint.refresh_from_db()
    assert complaint.reply_due_at == complaint.received_at + timedelta(hours=4)
    with pytest.raises(ValidationError) as exc:
        complaint.agree_reply_time(actor=agent, reply_due_at=complaint.received_at + timedelta(hours=5))
    assert "reply_due_at" in exc.value.message_dict

    complaint.agree_reply_time(actor=agent, reply_due_at=complaint.received_at + timedelta(hours=3))
    complaint.refresh_from_db()
    assert complaint.reply_due_at == complaint.received_at + timedelta(hours=3)
