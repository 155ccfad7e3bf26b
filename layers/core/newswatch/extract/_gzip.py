"""gzip with a hard output limit: a small bomb must never become a large allocation.

Each member is fed to zlib in windows that start small and double, so a member costs time in
proportion to its own size: handing zlib the whole rest of the file for every member (and
copying it back out of ``unused_data``) made 400,000 empty members take 51 s.
"""

from __future__ import annotations

import zlib

from newswatch.domain.errors import CorruptFileError, TooComplexError, TooLargeError

GZIP_MAGIC = b"\x1f\x8b"
# Concatenated gzip files are legal (`cat a.gz b.gz`), but nobody sends an article in thousands.
MAX_GZIP_MEMBERS = 1000
_CHUNK = 64 * 1024
_FIRST_WINDOW = 256


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress every gzip member; never hold more than ``max_bytes + 1`` bytes of output."""
    out = bytearray()
    view = memoryview(data)
    offset = 0
    members = 0
    while offset < len(data):
        members += 1
        if members > MAX_GZIP_MEMBERS:
            raise TooComplexError(
                f"the gzip file has more than {MAX_GZIP_MEMBERS} members (concatenated files)"
            )
        offset = _member(view, offset, out, max_bytes)
        # Another member follows only if it starts like one; trailing padding is ignored.
        if bytes(view[offset : offset + 2]) != GZIP_MAGIC:
            break
    return bytes(out)


def _member(view: memoryview, offset: int, out: bytearray, max_bytes: int) -> int:
    """Inflate the member at ``offset`` into ``out``; returns where the next member starts."""
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    window = _FIRST_WINDOW
    fed = offset
    try:
        while not decompressor.eof:
            if fed >= len(view):
                raise CorruptFileError("truncated gzip data: the stream ends before its last block")
            pending: bytes | memoryview = view[fed : fed + window]
            fed += len(pending)
            window = min(window * 2, _CHUNK)
            while pending and not decompressor.eof:
                # max_length is always >= 1 here: 0 would mean "unlimited" to zlib.
                budget = min(_CHUNK, max_bytes + 1 - len(out))
                out += decompressor.decompress(pending, budget)
                pending = decompressor.unconsumed_tail
                if len(out) > max_bytes:
                    raise TooLargeError(
                        f"gzip content decompresses to more than the limit of {max_bytes} bytes"
                    )
    except zlib.error as exc:
        raise CorruptFileError(f"corrupt gzip data: {exc}") from None
    # unused_data is at most one window: what was fed past this member's end.
    return fed - len(decompressor.unused_data)
