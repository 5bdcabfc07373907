"""What the complaint core announces to the floors above it (STYLE: the house has floors).

`events_logged` is sent inside the transaction that wrote the events, once per call of a
lifecycle method (one event) or of a bulk periodic transition (the batch's events), with
``events`` (a list of `ComplaintEvent`). The complainant-facing app connects to it to write
its notices in the same transaction (complainants/notices.py)."""

from django.dispatch import Signal

events_logged = Signal()
