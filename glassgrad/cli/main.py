"""``main``: parse the command line, run the command, turn failures into one line and a status."""
import sys

from .commands import COMMANDS
from .errors import UsageError
from .parser import build_parser
from .training import EXIT_INTERRUPTED

__all__ = ["main"]

# failures a bad input can cause, reported as one line (anything else is a bug and shows its traceback)
_REPORTED = (OSError, ValueError, ImportError, RuntimeError, KeyError, TypeError, MemoryError, OverflowError)


def main(argv=None):
    """Run the ``glassgrad`` command with ``argv`` (default: sys.argv[1:]); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    raw = {c.NAME: c for c in COMMANDS if getattr(c, "RAW", False)}
    try:
        if argv[:1] and argv[0] in raw:
            return raw[argv[0]].run_argv(argv[1:])
        args = build_parser(COMMANDS).parse_args(argv)
        return next(c for c in COMMANDS if c.NAME == args.command).run(args)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    except KeyboardInterrupt:
        print("glassgrad: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as e:
        print(str(e), file=sys.stderr)
    except _REPORTED as e:
        print(f"glassgrad: error: {_one_line(e)}", file=sys.stderr)
    return 2


def _one_line(e):
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        text = e.strerror if str(e.filename) in e.strerror else f"{e.filename}: {e.strerror}"
    elif isinstance(e, OSError) and e.filename is not None:
        text = str(e) if str(e.filename) in str(e) else f"{e.filename}: {e}"
    else:
        text = str(e)
    return " ".join(text.split()) or type(e).__name__
