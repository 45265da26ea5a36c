"""archiver: turns a drop folder of scanned Chinese official documents into a searchable archive."""

__version__ = "0.1.0"
