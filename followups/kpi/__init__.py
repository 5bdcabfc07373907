"""The agents' performance review (R-F5, seed 000: 抽查部門員工的服務客戶的滿意度作為績效考核): each
agent's figures of a month, computed by the database in a fixed number of queries, and the
manager's satisfaction sample beside them — drawn at random but reproducibly, each sampled
complaint re-checked by phone and recorded on the complaint as an event.

Definitions (months in local time, helpdesk.dates; merged duplicates, close reason `merged`,
are left out of the complaint counts: the pair counts once, as the complaint it was merged into):
- *Received*, *replied in time* and *replies given or due*: the complaints the agent received
  (`received_by`) in the month; in time means first_replied_at <= reply_due_at; a reply is due
  once its reply time has passed (as the monthly summary's compliance).
- *Closed*: the agent's received complaints (of any month) closed in the month — the
  complaints a sample is drawn from.
- *Escalations caused*: events of the month that raised the level of a complaint the agent
  received, for a cause that is the receiver's to answer for: a missed reply deadline (the R-T1
  sweep's `reply_overdue`, or a move up for that cause) at any level — the reply time is the
  receiver's promise (R-C5) — and a rejected solution or an unsatisfied call-back while the
  complaint was still at the receiver's level (from level 0). Moves up for an emotional
  complainant or a matter beyond the receiver's authority are what the procedure asks for
  (R-C8), not failures, and are not counted.
- *Call-backs done*: `callback_recorded` events of the month whose actor is the agent (credited
  to who made the call-back, whoever received the complaint); satisfaction is their share
  satisfied, the rating the average of the rated ones (1–5).
- *Online questionnaire*: `callback_recorded` events of the month the complainant answered
  themselves (data "via"), on complaints the agent received.
- *Survey score*: the average answer score (1–5) of the survey responses recorded in the month
  for the customers whose account manager the agent is.
- *Sample*: the manager's sample of the month; satisfaction and rating are those of the
  complainants reached at the re-check.
`office` narrows the agents to the staff of that office (their figures are all their own).

The package: `figures` (the table, in a fixed number of queries), `sampling` (drawing a sample,
its re-checks), `files` (the XLSX and CSV, laid out as the monthly summary's).
"""

from .figures import KPI_COLUMNS, KPI_GROUPS, agent_kpis
from .files import KpiFile, build_csv, build_xlsx, filename, kpi_file, scope_note, title
from .sampling import (
    MAX_SAMPLE_SIZE,
    MAX_SEED,
    AlreadyRechecked,
    SampleAlreadyDrawn,
    draw,
    draw_sample,
    month_sample_items,
    record_recheck,
    sample_candidates,
    sample_items,
)

__all__ = [
    "KPI_COLUMNS",
    "KPI_GROUPS",
    "MAX_SAMPLE_SIZE",
    "MAX_SEED",
    "AlreadyRechecked",
    "KpiFile",
    "SampleAlreadyDrawn",
    "agent_kpis",
    "build_csv",
    "build_xlsx",
    "draw",
    "draw_sample",
    "filename",
    "kpi_file",
    "month_sample_items",
    "record_recheck",
    "sample_candidates",
    "sample_items",
    "scope_note",
    "title",
]
