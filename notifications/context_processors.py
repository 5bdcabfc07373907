"""The bell in the navigation: the signed-in user's unread count.

The count is one COUNT query, made the first time the page uses it (the template calls it)
and at most once per request; a page that never shows the bell (the admin) pays nothing."""

from .models import Notification


class UnreadCount:
    """A lazily counted int: templates call it; Python code may compare, int() or str() it."""

    def __init__(self, user_id: int):
        self._user_id = user_id
        self._value: int | None = None

    def __call__(self) -> int:
        if self._value is None:
            self._value = Notification.objects.filter(recipient_id=self._user_id, read_at__isnull=True).count()
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
