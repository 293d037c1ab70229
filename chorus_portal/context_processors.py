from django.conf import settings


def portal(request):
    return {
        "PORTAL_NAME": "Chorus Pro",
        "DEV_OUTBOX": settings.DEV_OUTBOX,
    }
