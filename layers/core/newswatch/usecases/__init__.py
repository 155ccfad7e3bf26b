"""The use cases, one module each, written against :mod:`newswatch.ports` and the domain only:
ingest an object, reprocess it (backfill), alert on a stored article, send the digests. The
handlers, the CLI and the local stack get them wired from :mod:`newswatch.composition`."""
