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
from chorus_portal.mail import queue_mail

from .models import EmailDevice

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
    until: datetime | None = None


def _digest(code: str, attempt: str, device_id: int) -> str:
    message = f"{device_id}:{attempt}:{code}".encode()
    key = hashlib.sha256(f"mfa-email-code:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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
    # only (the password step has its own rate limits).
    send_email_code(request=request, user=user, ignore_cooldown=True)


def send_email_code(*, request, user, ignore_cooldown: bool = False) -> Result:
    attempt = login_attempt(request)
    email_device_for(user)
    now = timezone.now()
    with transaction.atomic():
        device = EmailDevice.objects.select_for_update().get(user=user)
        if device.locked_at:
            return Result(Outcome.LOCKED)
        allowed, info = device.generate_is_allowed()
        if not allowed and not ignore_cooldown:
            return Result(Outcome.COOLDOWN, until=info.get("next_generation_at"))
        code = f"{secrets.randbelow(1_000_000):06d}"
        device.code_digest = _digest(code, attempt, device.pk)
        device.code_valid_until = now + timedelta(seconds=settings.MFA_EMAIL_CODE_VALIDITY)
        device.last_generated_timestamp = now
        device.save(update_fields=["code_digest", "code_valid_until", "last_generated_timestamp"])
    queue_mail(
        to=user.email,
        template_prefix="mfa/email/login_code",
        context={
            "code": code,
            "minutes": settings.MFA_EMAIL_CODE_VALIDITY // 60,
            "name": user.get_full_name() or user.email,
        },
        language=user.language,
    )
    log_event(Action.FACTOR_CODE_SENT, request=request, actor=user, factor="email")
    return Result(Outcome.SENT)


def verify_email_code(*, request, user, code: str) -> Result:
    attempt = login_attempt(request)
    email_device_for(user)
    now = timezone.now()
    with transaction.atomic():
        device = EmailDevice.objects.select_for_update().get(user=user)
        if device.locked_at:
            return Result(Outcome.LOCKED)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return Result(Outcome.THROTTLED, until=info.get("locked_until"))
        matched = False
        if CODE_RE.fullmatch(code or "") and device.code_digest:
            expected = _digest(code, attempt, device.pk)
            if hmac.compare_digest(expected, device.code_digest) and (
                device.code_valid_until and now < device.code_valid_until
            ):
                # Only one of any number of concurrent submissions wins the code.
                matched = bool(
                    EmailDevice.objects.filter(pk=device.pk, code_digest=expected).update(
                        code_digest="",
                        code_valid_until=None,
                        throttling_failure_count=0,
                        throttling_failure_timestamp=None,
                        last_generated_timestamp=None,
                        last_used_at=now,
                    )
                )
        if not matched:
            EmailDevice.objects.filter(pk=device.pk).update(
                throttling_failure_count=F("throttling_failure_count") + 1,
                throttling_failure_timestamp=now,
            )
            device.refresh_from_db(fields=["throttling_failure_count"])
            locked = device.throttling_failure_count >= settings.MFA_MAX_FAILURES
            if locked:
                EmailDevice.objects.filter(pk=device.pk).update(locked_at=now)
    if not matched:
        log_event(Action.FACTOR_FAILED, request=request, actor=user, factor="email")
        if locked:
            log_event(Action.FACTOR_LOCKED, request=request, actor=user, factor="email")
            return Result(Outcome.LOCKED)
        return Result(Outcome.INVALID)
    device.refresh_from_db()
    django_otp.login(request, device)
    request.session.pop(ATTEMPT_SESSION_KEY, None)
    # A new session key once the second factor is passed.
    request.session.cycle_key()
    log_event(Action.FACTOR_SUCCEEDED, request=request, actor=user, factor="email")
    return Result(Outcome.VERIFIED)


def unlock_email_device(*, device: EmailDevice, by, request=None) -> None:
    EmailDevice.objects.filter(pk=device.pk).update(
        locked_at=None, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    log_event(Action.FACTOR_UNLOCKED, request=request, actor=by, subject=device.user)


def void_codes(user, by=None) -> None:
    """A deactivated account keeps no usable code."""
    EmailDevice.objects.filter(user=user).update(code_digest="", code_valid_until=None)
