from django import template
from django.urls import reverse
from django.utils import dateformat
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.filter
def get_field(form, name):
    """{{ form|get_field:"name" }} -> the bound field."""
    return form[name]


@register.simple_tag
def overdue(complaint, now):
    return complaint.is_overdue(now)


# The list's columns: (key, label). The labels are also the cards' `data-label`s on a phone.
LIST_COLUMNS = (
    ("no", _("No.")),
    ("received", _("Received")),
    ("channel", _("Channel")),
    ("complainant", _("Complainant")),
    ("event", _("Event")),
    ("category", _("Category")),
    ("status", _("Status")),
    ("level", _("Level")),
    ("assignee", _("Assignee")),
    ("reply_due", _("Reply due")),
)


@register.simple_tag
def complaint_list_head() -> str:
    return format_html_join("", "<th>{}</th>", ((label,) for _key, label in LIST_COLUMNS))


@register.simple_tag
def complaint_list_rows(page) -> str:
    """The complaint list's rows (templates/complaints/list.html), built in Python: the same
    markup the template gave (diffed at 1M, both languages) without the template engine's
    lookups for 25 rows of ten cells — ~7 ms of a ~50 ms page on the bench machine (issue 17).
    Every value is escaped by format_html."""
    labels = {key: str(label) for key, label in LIST_COLUMNS}
    tag = {
        "emotional": format_html(' <span class="tag">{}</span>', _("emotional")),
        "sensitive": format_html(' <span class="tag">{}</span>', _("sensitive")),
        "unclaimed": format_html('<span class="tag warn">{}</span>', _("unclaimed")),
        "overdue": format_html(' <span class="tag danger">{}</span>', _("overdue")),
        "progress": format_html(' <span class="tag danger">{}</span>', _("Progress report due")),
    }
    detail = reverse("complaints:detail", args=[0]).rsplit("0", 1)  # one reverse for all rows
    rows = []
    for c in page:
        url = f"{detail[0]}{c.pk}{detail[1]}"
        overdue = c.is_overdue()
        if c.received_by_id:
            assignee = conditional_escape(c.assignee if c.assignee is not None else "—")
        else:
            assignee = tag["unclaimed"]
        if c.department is not None:
            assignee = format_html("{}<br><small>{}</small>", assignee, c.department)
        cells = (
            ("no", format_html('<a href="{}">{}</a>', url, c.reference)),
            ("received", dateformat.format(localtime(c.received_at), "Y-m-d H:i")),
            ("channel", c.get_channel_display()),
            ("complainant", c.complainant_display),
            (
                "event",
                format_html(
                    '<a href="{}">{}</a>{}{}',
                    url,
                    c.subject,
                    tag["emotional"] if c.is_emotional else "",
                    tag["sensitive"] if c.is_sensitive else "",
                ),
            ),
            ("category", c.category),
            ("status", format_html('<span class="status status-{}">{}</span>', c.status, c.get_status_display())),
            ("level", c.escalation_level),
            ("assignee", assignee),
            (
                "reply_due",
                format_html(
                    "{}{}{}",
                    dateformat.format(localtime(c.reply_due_at), "m-d H:i") if c.reply_due_at else "",
                    tag["overdue"] if overdue else "",
                    tag["progress"] if c.progress_flagged_at else "",
                ),
            ),
        )
        row = format_html_join(
            "",
            '<td{} data-label="{}">{}</td>',
            ((mark_safe(' class="card-title"') if key == "event" else "", labels[key], value) for key, value in cells),
        )
        rows.append(format_html('<tr class="{}">{}</tr>', "overdue" if overdue else "", row))
    return mark_safe("\n".join(rows))  # noqa: S308 — each row built by format_html
