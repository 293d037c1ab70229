"""The photo corpus: each file accepted or refused with a clear message, nothing partial kept."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin

from accounts.services import deactivate
from affiliations.models import (
    Affiliation,
    AffiliationStatus,
    Role,
    Service,
    Structure,
    StructureStatus,
)
from affiliations.services import detach
from tests.conftest import make_user, password_login
from tests.factories import attach, make_structure

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


# Metadata planted in the uploads: none of it may reach the stored or the served file.
PLANTED = {
    "comment": b"PlantedComment-c0ffee",
    "xmp": b"PlantedXmp-5ea5a1t",
    "exif": b"PlantedExifMake-b16b00b5",
    "text": b"PlantedText-deadbeef",
    "itxt": b"PlantedItxt-feedface",
    "ztxt": b"PlantedZtxt-baddcafe",
}


def icc_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def planted_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = PLANTED["exif"].decode()  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    return exif


def xmp_packet() -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>'
        + PLANTED["xmp"]
        + b"</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def jpeg_with_metadata() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "blue").save(
        buffer,
        format="JPEG",
        comment=PLANTED["comment"],
        xmp=xmp_packet(),
        icc_profile=icc_profile(),
        exif=planted_exif(),
    )
    return buffer.getvalue()


def png_with_metadata() -> bytes:
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Comment", PLANTED["text"].decode())
    chunks.add_text("Author", PLANTED["ztxt"].decode(), zip=True)
    chunks.add_itxt("Description", PLANTED["itxt"].decode(), lang="fr")
    chunks.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 400), (0, 128, 0, 200)).save(
        buffer, format="PNG", pnginfo=chunks, icc_profile=icc_profile(), exif=planted_exif()
    )
    return buffer.getvalue()


def webp_with_metadata() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (500, 300), "orange").save(
        buffer, format="WEBP", exif=planted_exif(), xmp=xmp_packet(), icc_profile=icc_profile()
    )
    return buffer.getvalue()


def jpeg_segments(raw: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the image data (SOS)."""
    assert raw[:2] == b"\xff\xd8", "not a JPEG"
    segments, position = [], 2
    while True:
        assert raw[position] == 0xFF, f"no marker at {position}"
        marker = raw[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = int.from_bytes(raw[position + 2 : position + 4], "big")
        segments.append((marker, raw[position + 4 : position + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return segments
        position += 2 + length


def assert_no_metadata(raw: bytes) -> None:
    for marker, payload in jpeg_segments(raw):
        assert marker != 0xFE, "a COM segment is left"
        if 0xE0 <= marker <= 0xEF:
            assert marker == 0xE0 and payload.startswith(b"JFIF\0"), (
                f"APP{marker - 0xE0} segment left: {payload[:16]!r}"
            )
    for text in (*PLANTED.values(), b"ICC_PROFILE", b"acsp", b"Exif\0", b"xmpmeta"):
        assert text not in raw, text
    with Image.open(io.BytesIO(raw)) as image:
        assert image.format == "JPEG"
        for key in ("comment", "xmp", "icc_profile", "exif", "photoshop", "adobe"):
            assert key not in image.info, key
        assert not image.getexif()
        assert image.applist == [("APP0", image.applist[0][1])]


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("camera.jpg", jpeg_with_metadata),
        ("drawing.png", png_with_metadata),
        ("phone.webp", webp_with_metadata),
    ],
)
def test_re_encoded_photos_carry_no_metadata(signed_in, alice, name, make):
    content = make()
    with Image.open(io.BytesIO(content)) as original:  # the metadata is really there
        assert "icc_profile" in original.info and original.getexif()
    client = signed_in(alice)
    assert upload(client, name, content).status_code == 302
    alice.refresh_from_db()
    with open(alice.photo.path, "rb") as stored:
        assert_no_metadata(stored.read())
    assert_no_metadata(served_jpeg(client.get(photo_url(alice))))


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


def served_jpeg(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xff\xd8\xff")
    return body


def photo_url(user) -> str:
    return reverse("accounts:photo", args=[user.pk])


@pytest.fixture
def alice_photo(signed_in, alice):
    assert upload(signed_in(alice), "me.jpg", image_bytes("JPEG")).status_code == 302
    alice.refresh_from_db()
    return photo_url(alice)


def test_the_owner_sees_their_photo(signed_in, alice, alice_photo):
    served_jpeg(signed_in(alice).get(alice_photo))


def test_a_colleague_sharing_an_active_structure_sees_the_photo(signed_in, alice, bob, alice_photo):
    shared = make_structure()
    attach(alice, shared, role=Role.MAIN_MANAGER)
    # Attached to one service only: still a member of the same structure.
    attach(bob, shared, services=[Service.objects.create(structure=shared, code="S1", name="S1")])
    served_jpeg(signed_in(bob).get(alice_photo))


def test_a_user_sharing_no_active_structure_gets_404(signed_in, alice, bob, alice_photo):
    attach(alice, make_structure())
    attach(bob, make_structure())
    assert signed_in(bob).get(alice_photo).status_code == 404
    # Sequential ids reveal nothing: a missing photo and a missing user answer alike.
    assert signed_in(bob).get(photo_url(bob)).status_code == 404
    assert signed_in(bob).get(reverse("accounts:photo", args=[10**9])).status_code == 404


def test_a_detached_colleague_no_longer_sees_the_photo(signed_in, alice, bob, alice_photo):
    shared = make_structure()
    attach(alice, shared)
    membership = attach(bob, shared)
    colleague = signed_in(bob)
    served_jpeg(colleague.get(alice_photo))
    detach(user=bob, affiliation=membership, services=None)
    membership.refresh_from_db()
    assert membership.status == AffiliationStatus.DELETED
    assert colleague.get(alice_photo).status_code == 404


def test_the_owners_own_detachment_hides_the_photo_too(signed_in, alice, bob, alice_photo):
    shared = make_structure()
    membership = attach(alice, shared)
    attach(bob, shared)
    detach(user=alice, affiliation=membership, services=None)
    assert signed_in(bob).get(alice_photo).status_code == 404


@pytest.mark.parametrize("status", [AffiliationStatus.DELETED, AffiliationStatus.DEACTIVATED])
def test_a_former_affiliation_shares_nothing(signed_in, alice, bob, alice_photo, status):
    shared = make_structure()
    attach(alice, shared)
    Affiliation.objects.filter(pk=attach(bob, shared).pk).update(status=status)
    assert signed_in(bob).get(alice_photo).status_code == 404


def test_an_inactive_structure_shares_nothing(signed_in, alice, bob, alice_photo):
    shared = make_structure()
    attach(alice, shared)
    attach(bob, shared)
    Structure.objects.filter(pk=shared.pk).update(status=StructureStatus.INACTIVE)
    assert signed_in(bob).get(alice_photo).status_code == 404


def test_a_deactivated_users_photo_is_hidden_from_colleagues(signed_in, alice, bob, alice_photo):
    shared = make_structure()
    attach(alice, shared)
    attach(bob, shared)
    colleague = signed_in(bob)
    served_jpeg(colleague.get(alice_photo))
    deactivate(user=alice, by=alice)
    assert colleague.get(alice_photo).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(client, alice_photo):
    response = client.get(alice_photo)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_password_only_session_cannot_fetch_a_photo(client, alice, bob, alice_photo):
    shared = make_structure()
    attach(alice, shared)
    attach(bob, shared)
    for user in (alice, bob):
        half = Client()
        password_login(half, user.email)
        response = half.get(alice_photo)
        assert response.status_code == 302 and response.url.startswith("/mfa/verify/")
        assert not getattr(response, "streaming", False)


def test_the_access_check_costs_at_most_one_query(
    rf, alice, bob, alice_photo, django_assert_num_queries
):
    from accounts.views import photo

    shared = make_structure()
    attach(alice, shared)
    attach(bob, shared)
    carol = make_user("carol@example.fr")

    def fetch(viewer):
        request = rf.get(alice_photo)
        request.user = viewer
        return photo(request, pk=alice.pk)

    with django_assert_num_queries(0):  # the owner's row is already loaded
        served_jpeg(fetch(alice))
    with django_assert_num_queries(1):
        served_jpeg(fetch(bob))
    with django_assert_num_queries(1), pytest.raises(Http404):
        fetch(carol)
