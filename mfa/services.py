"""The second-factor step: e-mail codes bound to one login attempt."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import django_otp
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from activity.models import Action
from activity.services import log_event
from chorus_portal.mail import MailPriority, queue_mail

from .models import EmailCode, EmailDevice

ATTEMPT_SESSION_KEY = "mfa_login_attempt"
CODE_RE = re.compile(r"\d{6}", re.ASCII)


class Outcome(enum.Enum):
    SENT = "sent"
    VERIFIED = "verified"
    INVALID = "invalid"
    COOLDOWN = "cooldown"
    THROTTLED = "throttled"
    LOCKED = "locked"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    # COOLDOWN/THROTTLED: when to try again; LOCKED: when the lock lifts
    # (None: locked until a password reset or staff unlock it).
    until: datetime | None = None


def _digest(code: str, attempt: str, device_id: int) -> str:
    message = f"{device_id}:{attempt}:{code}".encode()
    key = hashlib.sha256(f"mfa-email-code:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _attempt_key(attempt: str) -> str:
    return hashlib.sha256(attempt.encode()).hexdigest()


def email_device_for(user) -> EmailDevice:
    device, _ = EmailDevice.objects.get_or_create(
        user=user, defaults={"name": "email", "confirmed": True}
    )
    return device


def login_attempt(request) -> str:
    """The id of this session's login attempt, created on first use."""
    attempt = request.session.get(ATTEMPT_SESSION_KEY)
    if not attempt:
        attempt = secrets.token_urlsafe(32)
        request.session[ATTEMPT_SESSION_KEY] = attempt
    return attempt


def start_login_attempt(request, user) -> None:
    """Called right after the password step: a new attempt and its first code."""
    request.session[ATTEMPT_SESSION_KEY] = secrets.token_urlsafe(32)
    # A fresh password step always gets its code: the cooldown guards "resend"
    # within one attempt only (the password step has its own rate limits).
    send_email_code(request=request, user=user, fresh=True)


def _locked_device(user) -> EmailDevice:
    """The person's e-mail device, locked until the transaction ends (made on first use)."""
    device = EmailDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        email_device_for(user)
        device = EmailDevice.objects.select_for_update().get(user=user)
    return device


def lock_state(user) -> Result | None:
    """LOCKED with the time it lifts, or None: for the factor page."""
    device = EmailDevice.objects.filter(user=user).first()
    if device is None:
        return None
    state = device.lock_state(timezone.now())
    if state is None:
        return None
    return Result(Outcome.LOCKED, until=None if state == "reset" else state)


def _locked(device, now) -> Result | None:
    state = device.lock_state(now)
    if state is None:
        return None
    return Result(Outcome.LOCKED, until=None if state == "reset" else state)


def send_email_code(*, request, user, fresh: bool = False) -> Result:
    """Mail a code for this session's login attempt (a resend replaces it).

    `fresh`: the attempt was made just now (the password step), so it has no code yet."""
    attempt = _attempt_key(login_attempt(request))
    now = timezone.now()
    with transaction.atomic():
        # The device's row lock serialises every send and check of this person's codes.
        device = _locked_device(user)
        locked = _locked(device, now)
        if locked:
            return locked
        current = None
        if not fresh:
            current = EmailCode.objects.filter(device=device, attempt=attempt).first()
        cooldown = timedelta(seconds=settings.MFA_EMAIL_RESEND_COOLDOWN)
        if current and now < current.sent_at + cooldown:
            return Result(Outcome.COOLDOWN, until=current.sent_at + cooldown)
        code = f"{secrets.randbelow(1_000_000):06d}"
        values = {
            "digest": _digest(code, attempt, device.pk),
            "sent_at": now,
            "valid_until": now + timedelta(seconds=settings.MFA_EMAIL_CODE_VALIDITY),
        }
        if current is None:
            EmailCode.objects.create(device=device, attempt=attempt, **values)
        else:
            EmailCode.objects.filter(pk=current.pk).update(**values)
        _prune_codes(device, now)
        # Queued with the code it carries; first in line, and not tried past its validity.
        queue_mail(
            to=user.email,
            template_prefix="mfa/email/login_code",
            context={
                "code": code,
                "minutes": settings.MFA_EMAIL_CODE_VALIDITY // 60,
                "name": user.get_full_name() or user.email,
            },
            language=user.language,
            priority=MailPriority.CODE,
            give_up_after=timedelta(seconds=settings.MFA_EMAIL_CODE_VALIDITY),
        )
    log_event(Action.FACTOR_CODE_SENT, request=request, actor=user, factor="email")
    return Result(Outcome.SENT)


def _prune_codes(device, now) -> None:
    """Expired codes go; at most MFA_EMAIL_CODES_KEPT attempts keep a live code."""
    # One statement: the live codes kept are a subquery of the delete.
    keep = (
        EmailCode.objects.filter(device=device, valid_until__gt=now)
        .order_by("-sent_at", "-pk")
        .values("pk")[: settings.MFA_EMAIL_CODES_KEPT]
    )
    EmailCode.objects.filter(device=device).exclude(pk__in=keep).delete()


def _lock_duration(lock_number: int) -> timedelta | None:
    """The n-th lock in a row lasts twice the one before; None past the hard cap."""
    seconds = settings.MFA_LOCK_SECONDS * (2 ** min(lock_number - 1, 20))
    return timedelta(seconds=min(seconds, settings.MFA_LOCK_MAX_SECONDS))


def verify_email_code(*, request, user, code: str) -> Result:
    attempt = _attempt_key(login_attempt(request))
    now = timezone.now()
    lock_until = None
    with transaction.atomic():
        device = _locked_device(user)
        locked = _locked(device, now)
        if locked:
            return locked
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return Result(Outcome.THROTTLED, until=info.get("locked_until"))
        matched = False
        row = EmailCode.objects.filter(device=device, attempt=attempt).first()
        if CODE_RE.fullmatch(code or "") and row is not None and now < row.valid_until:
            expected = _digest(code, attempt, device.pk)
            if hmac.compare_digest(expected, row.digest):
                # Only one of any number of concurrent submissions wins the code.
                matched = EmailCode.objects.filter(pk=row.pk).delete()[0] > 0
        if matched:
            EmailDevice.objects.filter(pk=device.pk).update(
                throttling_failure_count=0,
                throttling_failure_timestamp=None,
                locked_at=None,
                locked_until=None,
                last_used_at=now,
            )
        else:
            EmailDevice.objects.filter(pk=device.pk).update(
                throttling_failure_count=F("throttling_failure_count") + 1,
                throttling_failure_timestamp=now,
            )
            device.refresh_from_db(fields=["throttling_failure_count"])
            failures = device.throttling_failure_count
            locked = failures % settings.MFA_MAX_FAILURES == 0
            if locked:
                if failures >= settings.MFA_HARD_CAP:
                    lock_until = None  # until a password reset or staff
                else:
                    lock_until = now + _lock_duration(failures // settings.MFA_MAX_FAILURES)
                EmailDevice.objects.filter(pk=device.pk).update(
                    locked_at=now, locked_until=lock_until
                )
                # The owner hears of it, with what to do.
                _mail_lock(user, until=lock_until, failures=failures)
    if not matched:
        log_event(Action.FACTOR_FAILED, request=request, actor=user, factor="email")
        if locked:
            log_event(
                Action.FACTOR_LOCKED,
                request=request,
                actor=user,
                factor="email",
                failures=failures,
                until=lock_until.isoformat() if lock_until else "password reset",
            )
            return Result(Outcome.LOCKED, until=lock_until)
        return Result(Outcome.INVALID)
    device.refresh_from_db()
    django_otp.login(request, device)
    request.session.pop(ATTEMPT_SESSION_KEY, None)
    # A new session key once the second factor is passed.
    request.session.cycle_key()
    log_event(Action.FACTOR_SUCCEEDED, request=request, actor=user, factor="email")
    return Result(Outcome.VERIFIED)


def _mail_lock(user, *, until, failures: int) -> None:
    queue_mail(
        to=user.email,
        template_prefix="mfa/email/factor_locked",
        context={
            "name": user.get_full_name() or user.email,
            "failures": failures,
            "until": timezone.localtime(until) if until else None,
        },
        language=user.language,
    )


def unlock_email_device(*, device: EmailDevice, by, request=None, reason: str = "staff") -> None:
    EmailDevice.objects.filter(pk=device.pk).update(
        locked_at=None,
        locked_until=None,
        throttling_failure_count=0,
        throttling_failure_timestamp=None,
    )
    log_event(Action.FACTOR_UNLOCKED, request=request, actor=by, subject=device.user, reason=reason)


def unlock_by_staff(*, user, by, request=None) -> bool:
    """Staff's "Unlock" on a user: lift the e-mail factor's and the application's locks."""
    from .login_modes import unlock_app_by_staff

    lifted = unlock_app_by_staff(user=user, by=by, request=request)
    device = EmailDevice.objects.filter(user=user).first()
    if device is None or not (
        device.locked_at or device.locked_until or device.throttling_failure_count
    ):
        return lifted
    unlock_email_device(device=device, by=by, request=request)
    return True


def lift_locks_after_password_reset(*, user, request=None) -> None:
    """A completed password reset proves the owner: the factor lock goes."""
    device = EmailDevice.objects.filter(user=user).first()
    if device and (device.locked_at or device.throttling_failure_count):
        unlock_email_device(device=device, by=user, request=request, reason="password_reset")


def void_codes(user, by=None) -> None:
    """A deactivated account keeps no usable code."""
    EmailCode.objects.filter(device__user=user).delete()
