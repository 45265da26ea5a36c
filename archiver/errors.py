"""Typed errors a user can meet. Each carries its exit code; cli.py is the one place that maps
them to a one-line message and that code."""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """manage.py's exit statuses (README "Exit codes")."""

    OK = 0
    FILES_FAILED = 1  # some file failed or must be retried (ingest); a general error
    USAGE = 2  # bad config or usage
    BAD_INPUT = 3  # unreadable, unsupported or over-limit input
    NO_RECOGNISER = 4
    DATABASE_OUT_OF_DATE = 5  # run `manage.py migrate`
    BAD_QUERY = 6
    NOT_FOUND = 7
    BUSY = 8  # archive disk or database busy: tried again later
    LOCKED = 9  # another process holds the archive
    FONT_MISSING = 10
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # the reader of the output went away (| head)


class ArchiverError(Exception):
    exit_code = ExitCode.FILES_FAILED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(ArchiverError):
    """config.yaml is missing, unreadable, or names an unknown key or a bad value."""

    exit_code = ExitCode.USAGE


class UsageError(ArchiverError):
    exit_code = ExitCode.USAGE


class UnsupportedFile(ArchiverError):
    """The file is not a PDF or image we can read (type sniffed from content)."""

    exit_code = ExitCode.BAD_INPUT


class CorruptFile(ArchiverError):
    """The file claims a known type but cannot be decoded."""

    exit_code = ExitCode.BAD_INPUT


class RecognizerUnavailable(ArchiverError):
    """No trained recogniser weights, or weights that do not match their charset/config."""

    exit_code = ExitCode.NO_RECOGNISER


class FontMissing(ArchiverError):
    """A font the code renders with (training lines, test inputs, benchmark pages) is not installed."""

    exit_code = ExitCode.FONT_MISSING


class DatabaseOutOfDate(ArchiverError):
    """The database is at an older schema revision; the message names the command that upgrades it."""

    exit_code = ExitCode.DATABASE_OUT_OF_DATE


class StorageBusy(ArchiverError):
    """A passing fault (database locked, disk full): the file stays in the inbox and is tried again."""

    exit_code = ExitCode.BUSY


class ArchiveLocked(ArchiverError):
    """Another process (a daemon, an ingest) is taking files into this archive now."""

    exit_code = ExitCode.LOCKED


class QueryError(ArchiverError):
    """A malformed search query."""

    exit_code = ExitCode.BAD_QUERY


class NotFound(ArchiverError):
    exit_code = ExitCode.NOT_FOUND
