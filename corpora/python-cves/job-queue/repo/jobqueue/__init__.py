"""A file-backed background job queue."""

__version__ = "0.6.3"
