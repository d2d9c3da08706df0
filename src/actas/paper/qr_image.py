"""Reading QR codes from pixels (zxing-cpp): a rendered acta, a scan, a phone photograph.

An image is bounded before it is decoded: the size its header declares is checked first (a few
kilobytes of PNG can declare ten thousand pixels square, gigabytes once decoded), a large JPEG is
decoded at a reduced scale, and anything larger than `WORKING_SIDE` is reduced before any reading,
so every later retry works on a bounded picture.
"""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

from actas.errors import FormatError

MAX_IMAGE_PIXELS = 50_000_000
"""The most pixels an image may declare: a 48-megapixel phone photo is 8,000 by 6,000."""
WORKING_SIDE = 4000
"""A picture is read at most this many pixels on its longest side (a sheet's QR modules stay ~10 px)."""
QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


class ImageTooLarge(FormatError):
    """An image that declares more pixels than MAX_IMAGE_PIXELS: refused before it is decoded."""


def declared_too_large(data: bytes, what: str) -> str | None:
    """Why an image is refused for the size its header declares, if it is (nothing is decoded)."""
    Image.MAX_IMAGE_PIXELS = None  # this module checks the declared size itself, with a clearer message
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return None  # not an image: the scan says so
    return _oversized(width, height, what)


def _oversized(width: int, height: int, what: str) -> str | None:
    if width * height > MAX_IMAGE_PIXELS:
        return f"{what} declares {width:,} x {height:,} pixels, more than the {MAX_IMAGE_PIXELS:,} allowed"
    return None


def open_gray(data: bytes, what: str) -> Image.Image:
    """The image in `data` in gray, bounded in pixels before and after decoding."""
    Image.MAX_IMAGE_PIXELS = None  # the declared size is checked below, before any pixel is decoded
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            oversized = _oversized(width, height, what)
            if oversized is not None:
                raise ImageTooLarge(oversized)
            scale = WORKING_SIDE / max(width, height, 1)
            if scale < 1 and image.format == "JPEG":  # decoded at 1/2, 1/4 or 1/8 scale: never at full size
                image.draft("L", (max(1, int(width * scale)), max(1, int(height * scale))))
            gray = ImageOps.exif_transpose(image).convert("L")
    except ImageTooLarge:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        raise FormatError(f"{what} is not an image that can be read ({exc.__class__.__name__})") from None
    if max(gray.size) > WORKING_SIDE:
        gray.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)
    return gray


def decode_qr_texts(image: Image.Image) -> list[str]:
    """The text of every QR code found in the image, read as UTF-8 from the raw bytes."""
    texts = []
    for barcode in zxingcpp.read_barcodes(image.convert("L"), formats=QR):
        try:
            texts.append(bytes(barcode.bytes).decode("utf-8"))
        except UnicodeDecodeError:
            raise FormatError("a QR code in the image is not UTF-8 text") from None
    return texts
