"""What the notifications announce to the apps above them.

`notice_sent` is sent (outside any transaction of the caller) once a `Notice` has left: with
``notice`` (the row, status `sent`). The complainant-facing app records it on the complaint's
timeline ("SMS sent to 139****5678")."""

from django.dispatch import Signal

notice_sent = Signal()
