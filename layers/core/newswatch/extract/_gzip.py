"""gzip with a hard output limit: a small bomb must never become a large allocation."""

from __future__ import annotations

import zlib

from newswatch.domain.errors import CorruptFileError, TooLargeError

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 64 * 1024


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress every gzip member; never hold more than ``max_bytes + 1`` bytes of output."""
    out = bytearray()
    rest = data
    while rest:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        pending = rest
        try:
            while not decompressor.eof:
                # max_length is always >= 1 here: 0 would mean "unlimited" to zlib.
                budget = min(_CHUNK, max_bytes + 1 - len(out))
                chunk = decompressor.decompress(pending, budget)
                pending = decompressor.unconsumed_tail
                out += chunk
                if len(out) > max_bytes:
                    raise TooLargeError(
                        f"gzip content decompresses to more than the limit of {max_bytes} bytes"
                    )
                if not chunk and not pending:
                    break
        except zlib.error as exc:
            raise CorruptFileError(f"corrupt gzip data: {exc}") from None
        if not decompressor.eof:
            raise CorruptFileError("truncated gzip data: the stream ends before its last block")
        rest = decompressor.unused_data
        # Another member follows only if it starts like one; trailing padding is ignored.
        if not rest.startswith(GZIP_MAGIC):
            break
    return bytes(out)
