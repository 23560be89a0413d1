"""Photos curators upload: the type comes from the bytes, limits hold, metadata goes."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from services.library import images
from services.library.images import ImageRejected, clean_image


def encoded(fmt="JPEG", size=(800, 600), mode="RGB", exif=None, **kw) -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, size, (30, 120, 200) if mode == "RGB" else None)
    if exif is not None:
        kw["exif"] = exif.tobytes()
    image.save(out, fmt, **kw)
    return out.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (60.0, 10.0, 30.0)}
    if orientation:
        exif[0x0112] = orientation
    return exif


@pytest.mark.parametrize("fmt, media_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                              ("WEBP", "image/webp")])
def test_the_type_is_sniffed_from_the_bytes(fmt, media_type):
    clean = clean_image(encoded(fmt))
    assert clean.media_type == media_type
    assert Image.open(io.BytesIO(clean.data)).format == fmt


def test_exif_with_the_camera_and_gps_position_is_stripped():
    raw = encoded("JPEG", exif=gps_exif())
    assert b"SecretCam" in raw
    clean = clean_image(raw)
    assert b"SecretCam" not in clean.data and b"Exif" not in clean.data
    assert not Image.open(io.BytesIO(clean.data)).getexif()


def test_png_text_chunks_are_stripped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Private Person")
    clean = clean_image(encoded("PNG", pnginfo=info))
    assert b"Private Person" not in clean.data


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    clean = clean_image(encoded("JPEG", size=(800, 600), exif=gps_exif(orientation=6)))
    assert (clean.width, clean.height) == (600, 800)


def test_large_photos_are_scaled_for_print():
    clean = clean_image(encoded("JPEG", size=(4000, 3000)))
    assert max(clean.width, clean.height) == images.MAX_SIDE


@pytest.mark.parametrize("raw, code", [
    (b"", "empty"),
    (b"GIF89a" + b"\x00" * 100, "type"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "type"),
    (b"%PDF-1.4 not a photo", "type"),
])
def test_what_is_not_a_photo_is_refused(raw, code):
    with pytest.raises(ImageRejected) as err:
        clean_image(raw)
    assert err.value.code == code


def test_a_gif_is_refused_even_when_pillow_can_read_it():
    with pytest.raises(ImageRejected) as err:
        clean_image(encoded("GIF", mode="P"))
    assert err.value.code == "type"


def test_small_broken_and_oversized_images_are_refused(monkeypatch):
    with pytest.raises(ImageRejected) as err:
        clean_image(encoded("PNG", size=(200, 100)))
    assert err.value.code == "too_small" and err.value.detail["width"] == 200
    with pytest.raises(ImageRejected) as err:
        clean_image(encoded("JPEG")[:400])
    assert err.value.code == "broken"
    monkeypatch.setattr(images, "MAX_BYTES", 1000)
    with pytest.raises(ImageRejected) as err:
        clean_image(encoded("PNG", size=(800, 600)) + b"\x00" * 2000)
    assert err.value.code == "too_large"


def test_a_decompression_bomb_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 400_000)
    with pytest.raises(ImageRejected) as err:
        clean_image(encoded("PNG", size=(1000, 1000)))
    assert err.value.code == "pixels"
