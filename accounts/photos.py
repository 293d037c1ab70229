"""Profile photos: checked before decoding, re-encoded, metadata stripped.

Memory and disk are bounded at every step:

- the request: a body announced over MAX_REQUEST_BYTES is refused unread (views.photo_edit),
  and PhotoUploadLimit stops the upload as soon as more than MAX_BYTES of file has arrived,
  before any handler keeps it; what is let through stays in memory
  (FILE_UPLOAD_MAX_MEMORY_SIZE ≥ MAX_REQUEST_BYTES), never in a temporary file;
- the picture: its dimensions are read from the header and more than MAX_PIXELS is refused
  before anything is decoded; a JPEG is decoded at 1/2, 1/4 or 1/8 scale when that is still
  larger than the result; everything after the decoding works on THUMBNAIL × THUMBNAIL pixels.
"""

from __future__ import annotations

import io
import secrets
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext_lazy as _
from PIL import ExifTags, Image, PngImagePlugin

MAX_BYTES = 5 * 1024 * 1024
# The multipart framing around the file: boundaries, part headers (with the file name),
# the CSRF token and the button's value.
MAX_REQUEST_BYTES = MAX_BYTES + 64 * 1024
MAX_PIXELS = 16_000_000
THUMBNAIL = 256

# PNG text chunks (tEXt, zTXt, iTXt) are read, and zTXt/iTXt inflated, when the file is
# opened; Pillow allows 64 MB of them. A photo needs none: allow 2 MB in all.
PngImagePlugin.MAX_TEXT_MEMORY = 2 * PngImagePlugin.MAX_TEXT_CHUNK

TOO_LARGE = _("The photo is larger than 5 MB.")
TOO_MANY_PIXELS = _("The photo has too many pixels (16 million at most).")

_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
}

# EXIF orientation → the transposition that makes the picture upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoUploadLimit(FileUploadHandler):
    """First upload handler of the photo page: counts the file bytes as they arrive.

    Past MAX_BYTES it stops the upload without reading the rest of the body and without
    handing the chunk over to the next handlers, so nothing more is kept in memory and
    nothing is ever written to a temporary file. The view then reads `exceeded`.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > MAX_BYTES:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the uploaded file


def _sniff(head: bytes) -> str | None:
    for magic, kind in _SIGNATURES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _decode(upload, kind: str) -> tuple[Image.Image, int]:
    """The decoded picture (possibly at a reduced scale) and its EXIF orientation."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(upload, formats=[kind])
    # Dimensions come from the header: refuse a pixel flood before decoding.
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValidationError(TOO_MANY_PIXELS, code="photo_pixels")
    if image.format != kind:
        # MPO (several JPEG pictures in one file) and disguised formats.
        raise ValidationError(
            _("The photo must be a single JPEG, PNG or WebP image."), code="photo_frames"
        )
    if getattr(image, "n_frames", 1) > 1 or getattr(image, "is_animated", False):
        raise ValidationError(
            _("Animated or multi-picture images are not accepted."), code="photo_frames"
        )
    if kind == "JPEG":
        # The decoder scales by 1/2, 1/4 or 1/8 while both sides stay ≥ THUMBNAIL.
        image.draft(None, (THUMBNAIL, THUMBNAIL))
    image.load()
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    return image, orientation


def _square(image: Image.Image, orientation: int) -> Image.Image:
    """The centre square at THUMBNAIL × THUMBNAIL, upright, transparency on white, RGB."""
    if image.mode == "PA" or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    elif image.mode == "P":
        image = image.convert("RGB")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGB")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    # Scaled first (reduced by whole factors, then resampled), so that the steps below
    # work on a small picture. A centre square is the same before or after a rotation.
    square = image.resize(
        (THUMBNAIL, THUMBNAIL),
        Image.Resampling.LANCZOS,
        box=(left, top, left + side, top + side),
        reducing_gap=3.0,
    )
    if square.mode in ("RGBA", "LA"):
        background = Image.new("RGB", square.size, (255, 255, 255))
        background.paste(square.convert("RGBA"), mask=square.getchannel("A"))
        square = background
    else:
        square = square.convert("RGB")
    if orientation in _UPRIGHT:
        square = square.transpose(_UPRIGHT[orientation])
    return square


def process_photo(upload) -> ContentFile:
    """Validate an uploaded photo and return a new square JPEG, or raise ValidationError."""
    if upload.size > MAX_BYTES:
        raise ValidationError(TOO_LARGE, code="photo_too_large")
    upload.seek(0)
    kind = _sniff(upload.read(16))
    if kind is None:
        raise ValidationError(
            _("Only JPEG, PNG and WebP photos are accepted."), code="photo_format"
        )
    upload.seek(0)
    image = None
    try:
        image, orientation = _decode(upload, kind)
        square = _square(image, orientation)
    except ValidationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(TOO_MANY_PIXELS, code="photo_pixels") from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("The photo file is damaged or incomplete."), code="photo_damaged"
        ) from None
    finally:
        if image is not None:
            image.close()  # frees the decoded picture now
    output = io.BytesIO()
    # Pillow copies `info` from image to image and writes its "comment" back into a JPEG:
    # only the pixels go into a fresh image, which has no comment, EXIF, XMP or ICC data.
    clean = Image.frombytes("RGB", square.size, square.tobytes())
    clean.save(output, format="JPEG", quality=85, optimize=True)
    return ContentFile(output.getvalue(), name=f"{secrets.token_urlsafe(18)}.jpg")
