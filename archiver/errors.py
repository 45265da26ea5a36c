"""Typed errors a user can meet. Each carries its exit code; cli.py is the one place that maps
them to a one-line message and that code."""
from __future__ import annotations


class ArchiverError(Exception):
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(ArchiverError):
    """config.yaml is missing, unreadable, or names an unknown key or a bad value."""

    exit_code = 2


class UsageError(ArchiverError):
    exit_code = 2


class UnsupportedFile(ArchiverError):
    """The file is not a PDF or image we can read (type sniffed from content)."""

    exit_code = 3


class CorruptFile(ArchiverError):
    """The file claims a known type but cannot be decoded."""

    exit_code = 3


class RecognizerUnavailable(ArchiverError):
    """No trained recogniser weights, or weights that do not match their charset/config."""

    exit_code = 4


class FontMissing(ArchiverError):
    """A font the code renders with (training lines, test inputs, benchmark pages) is not installed."""

    exit_code = 10


class DatabaseOutOfDate(ArchiverError):
    """The database is at an older schema revision; the message names the command that upgrades it."""

    exit_code = 5


class StorageBusy(ArchiverError):
    """A passing fault (database locked, disk full): the file stays in the inbox and is tried again."""

    exit_code = 8


class ArchiveLocked(ArchiverError):
    """Another process (a daemon, an ingest) is taking files into this archive now."""

    exit_code = 9


class QueryError(ArchiverError):
    """A malformed search query."""

    exit_code = 6


class NotFound(ArchiverError):
    exit_code = 7
