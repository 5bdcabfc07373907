"""The bell in the navigation: the signed-in user's unread count.

The count is one COUNT query, made the first time the page uses it (the template calls it)
and at most once per request; a page that never shows the bell (the admin) pays nothing.
It counts up to UNREAD_CAP + 1 and then shows "99+": a supervisor with thousands of unread
notices at a million complaints cost every page a count of all of them (issue 17)."""

from .models import Notification

UNREAD_CAP = 99


class Unread(int):
    """The count as the bell shows it: "99+" beyond the cap (an int for plurals and sums)."""

    def __str__(self) -> str:
        return f"{UNREAD_CAP}+" if self > UNREAD_CAP else super().__str__()


class UnreadCount:
    """A lazily counted int: templates call it; Python code may compare, int() or str() it."""

    def __init__(self, user_id: int):
        self._user_id = user_id
        self._value: int | None = None

    def __call__(self) -> int:
        if self._value is None:
            unread = Notification.objects.filter(recipient_id=self._user_id, read_at__isnull=True)
            # unordered: the (recipient, read_at) index then holds exactly the unread ones (the
            # model's newest-first order walked all of the user's notifications, read or not)
            self._value = Unread(unread.order_by()[: UNREAD_CAP + 1].count())
        return self._value

    def __int__(self) -> int:
        return self()

    __index__ = __int__

    def __bool__(self) -> bool:
        return bool(self())

    def __eq__(self, other) -> bool:
        return self() == other

    def __hash__(self) -> int:
        return hash(self())

    def __str__(self) -> str:
        return str(self())

    def __repr__(self) -> str:
        return f"<UnreadCount user={self._user_id} {self._value if self._value is not None else '(not counted)'}>"


def unread(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadCount(user.pk)}
