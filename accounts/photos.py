"""Profile photos: checked before decoding, re-encoded, metadata stripped."""

from __future__ import annotations

import io
import secrets
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL = 256

_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
}


def _sniff(head: bytes) -> str | None:
    for magic, kind in _SIGNATURES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def process_photo(upload) -> ContentFile:
    """Validate an uploaded photo and return a new square JPEG, or raise ValidationError."""
    if upload.size > MAX_BYTES:
        raise ValidationError(_("The photo is larger than 5 MB."), code="photo_too_large")
    upload.seek(0)
    head = upload.read(16)
    kind = _sniff(head)
    if kind is None:
        raise ValidationError(
            _("Only JPEG, PNG and WebP photos are accepted."), code="photo_format"
        )
    upload.seek(0)
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            # Dimensions come from the header: refuse a pixel flood before decoding.
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("The photo has too many pixels (40 million at most)."),
                    code="photo_pixels",
                )
            if image.format != kind:
                # MPO (several JPEG pictures in one file) and disguised formats.
                raise ValidationError(
                    _("The photo must be a single JPEG, PNG or WebP image."), code="photo_frames"
                )
            if getattr(image, "n_frames", 1) > 1 or getattr(image, "is_animated", False):
                raise ValidationError(
                    _("Animated or multi-picture images are not accepted."), code="photo_frames"
                )
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(
            _("The photo has too many pixels (40 million at most)."), code="photo_pixels"
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("The photo file is damaged or incomplete."), code="photo_damaged"
        ) from None
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    else:
        image = image.convert("RGB")
    square = ImageOps.fit(image, (THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    # Pillow copies `info` from image to image and writes its "comment" back into a JPEG:
    # only the pixels go into a fresh image, which has no comment, EXIF, XMP or ICC data.
    clean = Image.frombytes("RGB", square.size, square.tobytes())
    clean.save(output, format="JPEG", quality=85, optimize=True)
    return ContentFile(output.getvalue(), name=f"{secrets.token_urlsafe(18)}.jpg")
