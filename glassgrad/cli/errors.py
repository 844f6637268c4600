"""The one error type of the command line: reported as one line on stderr, exit status 2."""

__all__ = ["UsageError", "fail"]


class UsageError(Exception):
    """A bad command line, missing data or an unusable file: reported as one line, exit status 2."""


def fail(message):
    """A ``UsageError`` reading ``glassgrad: error: <message>``."""
    return UsageError(f"glassgrad: error: {message}")
