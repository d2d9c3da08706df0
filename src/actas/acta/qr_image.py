"""Reading QR codes from pixels (zxing-cpp): a rendered acta, a scan, a phone photograph."""

from __future__ import annotations

import zxingcpp
from PIL import Image

from actas.errors import FormatError


def decode_qr_texts(image: Image.Image) -> list[str]:
    """The text of every QR code found in the image, read as UTF-8 from the raw bytes."""
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    texts = []
    for barcode in found:
        try:
            texts.append(bytes(barcode.bytes).decode("utf-8"))
        except UnicodeDecodeError:
            raise FormatError("a QR code in the image is not UTF-8 text") from None
    return texts
