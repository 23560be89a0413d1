"""Photos staff upload for the cards: checked from their bytes, never from the file name
or the browser's content type, and stored without metadata.

- The type is sniffed by Pillow from the bytes: JPEG, PNG and WebP are accepted (SVG never:
  it can carry scripts, and the project's own pictograms are the only SVGs served).
- Limits: ``MAX_BYTES`` per upload, ``MAX_PIXELS`` per image (a decompression bomb is
  refused before it is decoded), ``MIN_SIDE`` so that a print stays sharp.
- EXIF (camera, time, GPS position), XMP and comments are stripped by re-encoding the
  pixels; the EXIF orientation is applied first, so the photo stays the right way up.
- Large photos are scaled to ``MAX_SIDE`` on the long side, enough for an A4 print.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_SIDE = 300
MAX_SIDE = 2400
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class ImageRejected(ValueError):
    """The upload cannot be used; ``code`` says why (translated by the pages), ``detail``
    carries the numbers for the message."""

    def __init__(self, code: str, **detail):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    media_type: str
    width: int
    height: int


def clean_image(raw: bytes) -> CleanImage:
    """The upload as a metadata-free JPEG/PNG/WebP, or :class:`ImageRejected`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not raw:
        raise ImageRejected("empty")
    if len(raw) > MAX_BYTES:
        raise ImageRejected("too_large", size_mb=round(len(raw) / 1e6, 1), max_mb=MAX_BYTES // 1_000_000)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            fmt = image.format
            if fmt not in FORMATS:
                raise ImageRejected("type", found=fmt or "?")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageRejected("pixels", pixels=width * height, max_pixels=MAX_PIXELS)
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("pixels", pixels=0, max_pixels=MAX_PIXELS) from None
    except UnidentifiedImageError:
        raise ImageRejected("type", found="?") from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected("broken") from None
    if min(width, height) < MIN_SIDE:
        raise ImageRejected("too_small", width=width, height=height, min_side=MIN_SIDE)
    image = ImageOps.exif_transpose(image)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    if fmt == "JPEG" or image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGB" if fmt == "JPEG" or "transparency" not in image.info and
                              image.mode not in ("P", "PA") else "RGBA")
    # a new image from the pixels alone: no EXIF, XMP, comments or text chunks can follow
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=88)
    return CleanImage(data=out.getvalue(), media_type=FORMATS[fmt], width=clean.size[0],
                      height=clean.size[1])
