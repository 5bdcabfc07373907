"""The training-case library (SPEC R-C11): closed complaints a supervisor marked as training
cases (`Complaint.mark_training_case`), read-only, for every member of staff of every office,
with the complainant's personal data masked.

- `masking`: the masking rule (`Masker`, `mask_*`) and the masked records the templates
  receive (`CaseSummary`, `CaseFile`), so a raw value cannot be rendered by mistake;
- `selectors`: the library's queries (`training_cases`, `search_training_cases` over the
  masked text, `training_case`);
- `views`: the list and the detail page.
"""

from .masking import (
    CaseFile,
    CaseSummary,
    Masker,
    Step,
    case_file,
    mask_email,
    mask_name,
    mask_other,
    mask_phone,
    summarise,
)
from .selectors import SEARCH_CANDIDATES, search_training_cases, training_case, training_cases

__all__ = [
    "SEARCH_CANDIDATES",
    "CaseFile",
    "CaseSummary",
    "Masker",
    "Step",
    "case_file",
    "mask_email",
    "mask_name",
    "mask_other",
    "mask_phone",
    "search_training_cases",
    "summarise",
    "training_case",
    "training_cases",
]
