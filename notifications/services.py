"""Events of the other Chorus Pro applications, mailed to their subscribers.

`publish_event` is the one entry point: the applications (invoicing, commitments,
certificates of transferability) call it, and so do the `publish_event` management
command and the admin.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from activity.models import Action
from activity.services import log_event
from affiliations.models import Affiliation, AffiliationStatus, Service, Structure
from authorizations.models import Authorization
from chorus_portal.mail import MailPriority, build_mail, queue_many, render_mail
from chorus_portal.text import validate_one_line

from .models import PREFERENCE_FIELD, PROFILE_APPLICATIONS, Event, NotificationApplication


def subscribers(application: str, structure: Structure, service: Service | None) -> QuerySet:
    """Who is told of an event: active people who subscribed to the application and
    hold one of its profiles where the event happened, while attached to the structure.

    An event of the whole structure reaches the holders of a structure-level profile;
    an event of a service reaches those of that service's profile or of a
    structure-level one.
    """
    from accounts.models import User

    application = NotificationApplication(application)
    profiles = Authorization.objects.filter(
        structure=structure, application__in=PROFILE_APPLICATIONS[application]
    )
    if service is None:
        profiles = profiles.filter(service__isnull=True)
    else:
        profiles = profiles.filter(Q(service__isnull=True) | Q(service=service))
    attached = Affiliation.objects.filter(
        user=OuterRef("pk"), structure=structure, status=AffiliationStatus.ACTIVE
    )
    return (
        User.objects.filter(is_active=True, **{PREFERENCE_FIELD[application]: True})
        .filter(pk__in=profiles.values("user_id"))
        .filter(Exists(attached))
        .order_by("pk")
    )


def publish_event(
    application: str,
    structure: Structure,
    kind: str,
    title: str,
    link: str,
    service: Service | None = None,
    *,
    by=None,
    http_request=None,
) -> Event:
    """Record an event of `application` on `structure` (or one of its services) and
    mail it to its subscribers, each in their language, in one transaction.

    Raises ValidationError for an unknown application, a service of another
    structure, a title that is not one line of at most 200 characters, a link that
    is not http(s), or a kind that is not a slug.
    """
    try:
        application = NotificationApplication(application)
    except ValueError:
        raise ValidationError(f"Unknown application: {application!r}.") from None
    if service is not None and service.structure_id != structure.pk:
        raise ValidationError("The service does not belong to the structure.")
    title = (title or "").strip()
    validate_one_line(title)
    if not title or len(title) > 200:
        raise ValidationError("The title must have 1 to 200 characters.")
    URLValidator(schemes=["https", "http"])(link)
    validate_slug(kind)
    with transaction.atomic():
        event = Event.objects.create(
            application=application,
            structure=structure,
            service=service,
            kind=kind,
            title=title,
            link=link,
            published_by=by if getattr(by, "is_authenticated", False) else None,
        )
        people = list(
            subscribers(application, structure, service).only(
                "pk", "email", "first_name", "last_name", "language"
            )
        )
        mails = []
        for person in people:
            subject, body = render_mail(
                "notifications/email/event",
                {
                    "name": person.get_full_name() or person.email,
                    "application": _label(application, person.language),
                    "structure": str(structure),
                    "service": str(service) if service else "",
                    "title": title,
                    "link": link,
                    "account_url": f"{settings.PORTAL_BASE_URL}/account/",
                },
                person.language,
            )
            mails.append(
                build_mail(
                    to=[person.email],
                    subject=subject,
                    body=body,
                    language=person.language,
                    priority=MailPriority.NOTIFICATION,
                    template="notifications/email/event",
                )
            )
        queue_many(mails, priority=MailPriority.NOTIFICATION)
        event.recipients = len(people)
        event.save(update_fields=["recipients"])
        log_event(
            Action.NOTIFICATION_PUBLISHED,
            request=http_request,
            actor=by if getattr(by, "is_authenticated", False) else None,
            structure=structure,
            event_id=event.pk,
            application=str(application),
            service=getattr(service, "pk", None),
            kind=kind,
            title=title,
            recipients=len(people),
        )
    return event


def _label(application: NotificationApplication, language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return str(application.label)
