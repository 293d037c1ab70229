"""The photo corpus: each file accepted or refused with a clear message, nothing partial kept."""

from __future__ import annotations

import ctypes
import functools
import io
import re
import struct
import tracemalloc
import zlib
from contextlib import contextmanager

import pytest
from django.core.files import uploadhandler
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image, ImageCms, ImageOps, PngImagePlugin

from accounts import photos
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
from tests.conftest import make_user, password_login, verify_session
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
    # A request body over the limit is refused before it is read: 413 with the form page.
    assert response.status_code == (413 if len(content) > 5 * 1024 * 1024 else 200)
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


QUADRANTS = {(0, 0): (255, 0, 0), (1, 0): (0, 255, 0), (0, 1): (0, 0, 255), (1, 1): (255, 255, 0)}


def quadrant_colours(image: Image.Image) -> dict:
    side = image.size[0]
    return {
        (x, y): image.getpixel((side // 4 + x * side // 2, side // 4 + y * side // 2))
        for x in (0, 1)
        for y in (0, 1)
    }


@pytest.mark.parametrize("orientation", range(1, 9))
def test_photos_are_turned_upright(signed_in, alice, orientation):
    original = Image.new("RGB", (600, 400))
    for (x, y), colour in QUADRANTS.items():
        original.paste(colour, (100 + x * 200, y * 200, 100 + (x + 1) * 200, (y + 1) * 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    original.save(buffer, format="JPEG", quality=95, exif=exif)
    with Image.open(io.BytesIO(buffer.getvalue())) as reopened:
        expected = quadrant_colours(
            ImageOps.fit(ImageOps.exif_transpose(reopened), (256, 256)).convert("RGB")
        )
    assert upload(signed_in(alice), "turned.jpg", buffer.getvalue()).status_code == 302
    alice.refresh_from_db()
    with Image.open(alice.photo.path) as stored:
        found = quadrant_colours(stored.convert("RGB"))
    for key, colour in expected.items():
        assert all(abs(a - b) < 40 for a, b in zip(colour, found[key], strict=True)), (key, found)


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


# --- Memory and disk: decompression bombs and oversized bodies -----------------------------

MB = 1024 * 1024
PEAK_LIMIT = 60 * MB


def png_of_one_colour(width: int, height: int) -> bytes:
    """An RGB PNG of one colour, compressed row by row without ever holding the pixels."""
    row = b"\0" + b"\xf0" * (3 * width)  # filter byte + pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@functools.cache
def bomb_png() -> bytes:
    # 6,300 × 6,300 = 39.7 million pixels: under the former 40 Mpx limit, ≈ 120 kB.
    return png_of_one_colour(6_300, 6_300)


@functools.cache
def jpeg_of(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


class Peak:
    python = 0  # bytes, from tracemalloc
    resident: int | None = None  # growth of the process's peak resident set, in bytes


def _resident_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M).group(1))


@contextmanager
def peak_memory():
    """Peak memory during the block.

    tracemalloc sees Python's allocations only: Pillow decodes into memory it allocates
    itself. So the process's resident peak (VmHWM) is measured too, reset before the block
    (Linux); free heap memory is returned first so that reused pages are counted.
    """
    peak = Peak()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset the peak resident set to the current one
        before = _resident_kib("VmRSS")
    except OSError:
        before = None
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.python = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if before is not None:
            peak.resident = (_resident_kib("VmHWM") - before) * 1024


@pytest.fixture
def decoding(monkeypatch):
    """Records every image Pillow decodes (ImageFile.load) during the test."""
    from PIL import ImageFile

    sizes = []
    original = ImageFile.ImageFile.load

    def load(image):
        if image.tile:  # pixels still to decode
            sizes.append(image.size)
        return original(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("bomb.png", bomb_png),  # 39.7 Mpx in ≈ 120 kB
        ("dense.jpg", lambda: jpeg_of(4_100, 4_100)),  # 16.8 Mpx in ≈ 100 kB
        ("wide.png", lambda: png_of_one_colour(16_001, 1_000)),  # 16.001 Mpx
    ],
)
def test_too_many_pixels_are_refused_before_decoding(signed_in, alice, media, decoding, name, make):
    content = make()
    assert len(content) < 1 * MB
    client = signed_in(alice)
    client.get(PHOTO)  # warm the page: what is measured is the upload
    with peak_memory() as peak:
        response = upload(client, name, content)
    assert peak.python < PEAK_LIMIT, peak.python
    assert peak.resident is None or peak.resident < PEAK_LIMIT, peak.resident
    assert decoding == []  # refused from the header
    assert response.status_code == 200
    assert "La photo comporte trop de pixels (16 millions au plus)." in response.content.decode()
    alice.refresh_from_db()
    assert not alice.photo and stored_files(media) == []


def test_a_16_megapixel_jpeg_is_decoded_at_a_reduced_scale(signed_in, alice, decoding):
    content = jpeg_of(4_000, 4_000)  # exactly 16 million pixels: accepted
    client = signed_in(alice)
    client.get(PHOTO)
    with peak_memory() as peak:
        response = upload(client, "large.jpg", content)
    assert response.status_code == 302
    # Decoded at 1/8 scale (500 × 500, 1 MB) instead of 4,000 × 4,000 (64 MB).
    assert decoding == [(500, 500)]
    assert peak.resident is None or peak.resident < PEAK_LIMIT, peak.resident
    alice.refresh_from_db()
    with Image.open(alice.photo.path) as stored:
        assert stored.size == (256, 256)


def test_inflated_png_text_chunks_are_bounded(signed_in, alice, media):
    # 63 zTXt chunks of 1 MB each once inflated, in a few kilobytes.
    chunks = PngImagePlugin.PngInfo()
    for n in range(63):
        chunks.add_text(f"Note{n}", "x" * (1 * MB - 16), zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, format="PNG", pnginfo=chunks)
    content = buffer.getvalue()
    assert len(content) < 200_000
    client = signed_in(alice)
    client.get(PHOTO)
    with peak_memory() as peak:
        response = upload(client, "notes.png", content)
    assert peak.python < 16 * MB, peak.python
    assert response.status_code == 200
    assert "endommagé ou incomplet" in response.content.decode()
    alice.refresh_from_db()
    assert not alice.photo and stored_files(media) == []


def test_the_help_text_states_both_limits(signed_in, alice):
    html = signed_in(alice).get(PHOTO).content.decode()
    assert "JPEG, PNG ou WebP, 5 Mo et 16 millions de pixels au plus." in html


BOUNDARY = "PortalTestBoundary7d3f"


class StreamedUpload:
    """A multipart body made as it is read (never held whole), counting what was read."""

    def __init__(self, file_size: int):
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="photo"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode() + b"\xff\xd8\xff"
        self.file_size = file_size
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.length = len(self.head) + file_size + len(self.tail)
        self.position = 0

    def _byte_range(self, start: int, end: int) -> bytes:
        head, tail = len(self.head), len(self.head) + self.file_size
        out = bytearray()
        if start < head:
            out += self.head[start : min(end, head)]
        if end > head and start < tail:
            out += b"\0" * (min(end, tail) - max(start, head))
        if end > tail:
            out += self.tail[max(start - tail, 0) : end - tail]
        return bytes(out)

    def read(self, size: int = -1) -> bytes:
        end = self.length if size is None or size < 0 else min(self.length, self.position + size)
        data = self._byte_range(self.position, end)
        self.position = end
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._byte_range(self.position, self.length)
        line = data[: data.find(b"\n") + 1 or len(data)]
        if size is not None and size >= 0:
            line = line[:size]
        self.position += len(line)
        return line

    def post(self, client):
        return client.generic(
            "POST",
            PHOTO,
            **{
                "wsgi.input": self,
                "CONTENT_LENGTH": str(self.length),
                "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            },
        )


@pytest.fixture
def spooled(monkeypatch, settings, tmp_path):
    """Bytes the upload handlers keep: {"disk": n, "memory": n}; uploads' temp dir isolated."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    kept = {"disk": 0, "memory": 0}

    def spy(cls, key):
        original = cls.receive_data_chunk

        def receive_data_chunk(self, raw_data, start):
            result = original(self, raw_data, start)
            if result is None:  # this handler kept the chunk
                kept[key] += len(raw_data)
            return result

        monkeypatch.setattr(cls, "receive_data_chunk", receive_data_chunk)

    spy(uploadhandler.TemporaryFileUploadHandler, "disk")
    spy(uploadhandler.MemoryFileUploadHandler, "memory")
    kept["dir"] = tmp_path / "uploads"
    return kept


def assert_refused_as_too_large(response):
    assert response.status_code == 413
    html = response.content.decode()
    assert "La photo dépasse 5 Mo." in html
    # The portal's page, with the form to try again, not a bare error.
    assert 'id="id_photo"' in html and "fr-header" in html and "<h1>Photo de profil</h1>" in html


def test_a_body_declared_over_the_limit_is_refused_unread(signed_in, alice, media, spooled):
    body = StreamedUpload(300 * MB)  # 300 MB announced, produced only if read
    response = body.post(signed_in(alice))
    assert_refused_as_too_large(response)
    assert body.position == 0  # not one byte of the body was read
    assert spooled["disk"] == spooled["memory"] == 0
    assert list(spooled["dir"].iterdir()) == []
    alice.refresh_from_db()
    assert not alice.photo and stored_files(media) == []


def test_a_photo_growing_past_5_mb_is_stopped_as_it_arrives(signed_in, alice, media, spooled):
    # Announced within the request allowance (multipart framing), but the file is 5 MB + 1 kB.
    body = StreamedUpload(5 * MB + 1024)
    assert body.length <= photos.MAX_REQUEST_BYTES
    response = body.post(signed_in(alice))
    assert_refused_as_too_large(response)
    assert spooled["disk"] == 0 and list(spooled["dir"].iterdir()) == []
    # The chunk that went past 5 MB was never handed on: the file was not received in full.
    assert spooled["memory"] <= 5 * MB < body.file_size
    alice.refresh_from_db()
    assert not alice.photo and stored_files(media) == []


def test_the_upload_stops_reading_the_body_at_the_limit(
    signed_in, alice, media, spooled, monkeypatch
):
    # With a 1 MB limit and a 4 MB file announced within the allowance, reading stops
    # about 1 MB in (the parser reads 64 kB chunks and looks ahead for the boundary).
    monkeypatch.setattr(photos, "MAX_BYTES", 1 * MB)
    monkeypatch.setattr(photos, "MAX_REQUEST_BYTES", 5 * MB)
    body = StreamedUpload(4 * MB)
    response = body.post(signed_in(alice))
    assert response.status_code == 413
    assert body.position < 1 * MB + 256 * 1024
    assert spooled["disk"] == 0 and spooled["memory"] <= 1 * MB
    alice.refresh_from_db()
    assert not alice.photo and stored_files(media) == []


def test_a_photo_of_exactly_5_mb_is_accepted_in_memory(signed_in, alice, spooled):
    picture = jpeg_of(400, 300)
    content = picture + b"\0" * (5 * MB - len(picture))  # padding after the end of image
    response = upload(signed_in(alice), "exact.jpg", content)
    assert response.status_code == 302, response.content[:500]
    assert spooled["disk"] == 0 and spooled["memory"] == 5 * MB


def test_upload_settings_keep_the_photo_request_in_memory(settings):
    assert photos.MAX_BYTES == 5 * MB
    # Any request the photo page lets through is held in memory, never spooled to disk.
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= photos.MAX_REQUEST_BYTES > photos.MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1 * MB


def test_the_upload_stays_protected_against_cross_site_posts(alice, media):
    client = Client(enforce_csrf_checks=True)
    verify_session(client, alice)
    response = upload(client, "portrait.jpg", image_bytes("JPEG"))
    assert response.status_code == 403
    alice.refresh_from_db()
    assert not alice.photo and stored_files(media) == []
