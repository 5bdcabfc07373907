"""The project's domain errors, known to the API's exception handler (helpdesk/drf.py)."""


class DomainConflict(Exception):
    """A step the current state of a record does not allow: HTTP 409 with `code`, the
    `action` tried and the record's `status`. Apps subclass it (complaints.exceptions)."""

    code = "conflict"

    def __init__(self, message, *, code: str | None = None, action: str = "", status: str = ""):
        super().__init__(message)
        self.message = message
        self.action = action
        self.status = status
        if code:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)
