from django import template

register = template.Library()


@register.filter
def get_field(form, name):
    """{{ form|get_field:"name" }} -> the bound field."""
    return form[name]


@register.simple_tag
def overdue(complaint, now):
    return complaint.is_overdue(now)
