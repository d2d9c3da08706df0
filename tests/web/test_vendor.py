"""The front-end libraries the witness app uses are the npm registry's published files, unchanged, each
with its licence (src/actas/web/vendor/README.md)."""

from __future__ import annotations

import hashlib

from actas.web.assets import STATIC, assets

VENDOR = STATIC.parent / "vendor"
PUBLISHED = {
    # zxing-wasm@3.1.8: dist/iife/reader/index.js and dist/reader/zxing_reader.wasm
    "zxing-reader.js": "7eae17ea3809796ea13b63d175a404dcea1e2f737697e90656fb374b16583758",
    "zxing_reader.wasm": "8451d7fe72f3d8e9ced56c7b6805e8bab88a0c218bfcd25c47c0a999e8188f3d",
    # @noble/ed25519@3.2.0: index.js
    "noble-ed25519.js": "a4f631d1876b5d9e43a86cd71194ca27b5e1451edf4ba4db9a418f40a475569a",
}


def test_each_vendored_file_is_the_published_one_with_its_licence() -> None:
    for name, digest in PUBLISHED.items():
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name
    for licence in ("zxing-wasm.LICENSE", "noble-ed25519.LICENSE"):
        assert "MIT License" in (VENDOR / licence).read_text() or "The MIT License" in (VENDOR / licence).read_text()
    readme = (VENDOR / "README.md").read_text()
    assert "zxing-wasm@3.1.8" in readme and "@noble/ed25519@3.2.0" in readme


def test_the_webassembly_is_served_as_webassembly() -> None:
    assert assets()["zxing_reader.wasm"].media_type == "application/wasm"
    assert assets()["noble-ed25519.js"].media_type.startswith("application/javascript")
