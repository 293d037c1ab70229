import functools

from django.conf import settings


def portal(request):
    user = getattr(request, "user", None)

    @functools.cache
    def pending_approvals() -> int:
        from affiliations.selectors import pending_approvals_count

        if user is None or not user.is_authenticated or not user.is_verified():
            return 0
        counted = getattr(request, "pending_approvals_count", None)  # the Users area's
        return pending_approvals_count(user) if counted is None else counted

    return {
        "PORTAL_NAME": "Chorus Pro",
        "DEV_OUTBOX": settings.DEV_OUTBOX,
        # Counted only when a page shows the header of a signed-in person.
        "pending_approvals": pending_approvals,
    }
