"""The argument parser of the ``glassgrad`` command and the checks of its values (each names what
it wants; argparse prefixes the flag)."""
import argparse
import math

from .errors import UsageError

__all__ = ["build_parser", "positive_int", "positive_float", "non_negative_float", "seed"]

MAX_SEED = 2 ** 63 - 1


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def build_parser(commands):
    """The parser of ``glassgrad``, with one subparser per command module (see ``commands``)."""
    p = _Parser(prog="glassgrad", description="glassgrad: backpropagation you can see through. "
                "Train and evaluate models from the command line.")
    names = ",".join(c.NAME for c in commands)
    sub = p.add_subparsers(dest="command", metavar=f"{{{names}}}", parser_class=_Parser)
    sub.required = True
    for command in commands:
        if getattr(command, "RAW", False):  # parses its own arguments
            sub.add_parser(command.NAME, add_help=False, help=command.HELP)
        else:
            command.add_arguments(sub.add_parser(command.NAME, help=command.HELP,
                                                 description=getattr(command, "DESCRIPTION", command.HELP)))
    return p


def _number(text, kind):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {'integer' if kind is int else 'number'} {text!r}") from None


def positive_int(text):
    """An integer >= 1."""
    value = _number(text, int)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def positive_float(text):
    """A finite number > 0."""
    value = _number(text, float)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite positive number, got {text}")
    return value


def non_negative_float(text):
    """A finite number >= 0."""
    value = _number(text, float)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def seed(text):
    """An integer from 0 to 2**63 - 1."""
    value = _number(text, int)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to 2**63-1, got {value}")
    return value
