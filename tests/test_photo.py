"""The photo corpus: each file accepted or refused with a clear message, nothing partial kept."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db

PHOTO = reverse("accounts:photo-edit")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def image_bytes(fmt: str, size=(400, 300), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode != "1" else 0).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x0131] = "GPS-less but personal"  # Software
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "blue").save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (50, 50), color) for color in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def mpo() -> bytes:
    frames = [Image.new("RGB", (60, 40), "red"), Image.new("RGB", (60, 40), "green")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="MPO", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def pixel_flood() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000), 0).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def upload(client, name: str, content: bytes, content_type="image/jpeg"):
    return client.post(PHOTO, {"photo": SimpleUploadedFile(name, content, content_type)})


ACCEPTED = [
    ("portrait.jpg", lambda: image_bytes("JPEG")),
    ("portrait.png", lambda: image_bytes("PNG", mode="RGBA")),
    ("portrait.webp", lambda: image_bytes("WEBP")),
    ("really-a-png.jpg", lambda: image_bytes("PNG")),
]

REFUSED = [
    (
        "page.png",
        lambda: b"<!doctype html><html><script>alert(1)</script></html>",
        "Seules les photos JPEG, PNG et WebP",
    ),
    (
        "drawing.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>',
        "Seules les photos JPEG, PNG et WebP",
    ),
    ("flood.png", pixel_flood, "trop de pixels"),
    ("animated.gif", lambda: animated("GIF"), "Seules les photos JPEG, PNG et WebP"),
    ("animated.webp", lambda: animated("WEBP"), "animées"),
    ("stereo.jpg", mpo, "image unique"),
    ("truncated.jpg", lambda: image_bytes("JPEG", size=(800, 600))[:1500], "endommagé"),
    ("huge.jpg", lambda: b"\xff\xd8\xff" + b"\0" * (6 * 1024 * 1024), "5 Mo"),
]


@pytest.mark.parametrize(("name", "make"), ACCEPTED)
def test_accepted_photos_are_re_encoded(signed_in, alice, media, name, make):
    response = upload(signed_in(alice), name, make())
    assert response.status_code == 302, response.content[:500]
    alice.refresh_from_db()
    assert alice.photo.name.startswith("photos/") and alice.photo.name.endswith(".jpg")
    assert name.split(".")[0] not in alice.photo.name.split("/")[-1]  # a random name
    with Image.open(alice.photo.path) as stored:
        assert stored.format == "JPEG" and stored.size == (256, 256)
    assert len(stored_files(media)) == 1


@pytest.mark.parametrize(("name", "make", "message"), REFUSED)
def test_refused_files_say_why_and_store_nothing(signed_in, alice, media, name, make, message):
    content = make()
    if name == "flood.png":
        assert len(content) < 100_000  # a few kilobytes that decode to 100 million pixels
    response = upload(signed_in(alice), name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    alice.refresh_from_db()
    assert not alice.photo
    assert stored_files(media) == []


def test_exif_is_gone(signed_in, alice):
    upload(signed_in(alice), "camera.jpg", jpeg_with_exif())
    alice.refresh_from_db()
    raw = open(alice.photo.path, "rb").read()
    assert b"SecretCameraMaker" not in raw
    with Image.open(alice.photo.path) as stored:
        assert not stored.getexif()


def test_replace_and_remove_leave_no_orphan(
    signed_in, alice, media, django_capture_on_commit_callbacks
):
    client = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "one.jpg", image_bytes("JPEG"))
        upload(client, "two.png", image_bytes("PNG"))
    assert len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PHOTO, {"action": "remove"})
    alice.refresh_from_db()
    assert not alice.photo and stored_files(media) == []


def test_photo_is_served_to_signed_in_people_only(signed_in, client, alice, bob):
    upload(signed_in(alice), "me.jpg", image_bytes("JPEG"))
    url = reverse("accounts:photo", args=[alice.pk])
    response = signed_in(bob).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    assert signed_in(bob).get(reverse("accounts:photo", args=[bob.pk])).status_code == 404
