"""Typed errors for input that cannot be processed.

Every error carries a short machine-readable ``code`` (stored on failed records and used as a metric
dimension) and a message a person can act on. These are *permanent* failures: retrying the same
bytes gives the same result, so the pipeline records them instead of retrying.
"""

from __future__ import annotations


class NewswatchError(Exception):
    """Base class: a permanent, user-facing failure to process one article."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExtractionError(NewswatchError):
    """The bytes could not be turned into article text."""

    code = "extraction_failed"


class EmptyFileError(ExtractionError):
    code = "empty_file"


class UnsupportedFormatError(ExtractionError):
    code = "unsupported_format"


class CorruptFileError(ExtractionError):
    code = "corrupt_file"


class EncryptedFileError(CorruptFileError):
    """A password-protected file: not damaged, but unreadable without its password."""

    code = "encrypted_file"


class TooLargeError(ExtractionError):
    code = "too_large"


class NoTextError(ExtractionError):
    code = "no_text"


class TooComplexError(ExtractionError):
    """A file that needs more time or memory than one article may have (a decompression bomb,
    a page of a million tags, a PDF whose pages share one huge content stream)."""

    code = "too_complex"


class NotAnArticleError(ExtractionError):
    """Input that reads but is not an article: a JSON list, one endless line, one character
    repeated, keyword soup."""

    code = "not_an_article"


class TaxonomyError(NewswatchError):
    """A taxonomy file that is missing, malformed or inconsistent."""

    code = "bad_taxonomy"


class EngineError(NewswatchError):
    """An optional engine (transformers) could not be loaded or run."""

    code = "engine_failed"


class OutOfTimeError(Exception):
    """Not a NewswatchError (not permanent): the invocation had too little time left to give this
    article its full budget, so it must be retried in a fresh invocation, not recorded."""


class NothingStoredYetError(Exception):
    """Not permanent: a deletion arrived before any upload of its key was stored (S3 does not
    deliver notifications in order), so it is retried after the upload's own message."""
