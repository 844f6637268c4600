"""``glassgrad.compile``: capture a training step once and replay it (see ``compiled_step.py``)."""
from .compiled_step import CompiledStep, compile

__all__ = ["compile", "CompiledStep"]
