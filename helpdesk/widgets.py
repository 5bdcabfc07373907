"""Form widgets shared by the apps."""

from django import forms


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker (`<input type="datetime-local">`)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)
