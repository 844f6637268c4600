"""``diagnose``: run every rule of the doctor over a monitored run, most severe findings first."""
import os

from . import rules_curves, rules_events, rules_layers
from .storage import RunRecord, load_run

__all__ = ["diagnose", "RULES"]

#: Every rule, in the order its findings are listed within a severity.
RULES = rules_events.RULES + rules_layers.RULES + rules_curves.RULES


def _run_of(source):
    if isinstance(source, RunRecord):
        return source
    if hasattr(source, "run") and isinstance(source.run, RunRecord):
        return source.run
    if isinstance(source, (str, os.PathLike)):
        return load_run(os.fspath(source))
    raise TypeError(f"diagnose: expected a Monitor, a RunRecord or a run directory path, got {type(source).__name__}")


def diagnose(source):
    """The findings for a run: ``source`` is a ``Monitor``, a ``RunRecord`` or the path of a run
    directory written by ``Monitor.save``. Returns a list of ``Finding``, errors first."""
    run = _run_of(source)
    findings = []
    for rule in RULES:
        findings.extend(rule(run))
    return sorted(findings, key=lambda f: f.rank)
