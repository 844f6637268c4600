"""``autograd.graph``: hooks on the tensors that ops save for backward.

Within ``saved_tensors_hooks(pack_hook, unpack_hook)``, every tensor an op saves for its backward
(its inputs, outputs and intermediate buffers, whatever ``ctx.save_for_backward`` got) is passed to
``pack_hook`` when the op runs, and only its result is kept; backward calls ``unpack_hook`` on that
result to get the tensor back. Use it to offload activations, compress them, or count them.
"""
from .grad_mode import state

__all__ = ["saved_tensors_hooks", "disable_saved_tensors_hooks"]


class saved_tensors_hooks:
    """Context manager: ``pack_hook(tensor) -> anything`` runs on each tensor saved for backward,
    ``unpack_hook(packed) -> tensor`` gives it back at backward (same values, same shape). The hooks
    in force when an op runs are the ones used for it; the innermost context wins."""

    def __init__(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("saved_tensors_hooks: pack_hook and unpack_hook must be callables, got "
                            f"{type(pack_hook).__name__} and {type(unpack_hook).__name__}")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if state.hooks_disabled is not None:
            raise RuntimeError(state.hooks_disabled)
        self._prev = state.saved_hooks
        state.saved_hooks = (self.pack_hook, self.unpack_hook)
        return self

    def __exit__(self, *exc):
        state.saved_hooks = self._prev
        return False


class disable_saved_tensors_hooks:
    """Context manager: entering ``saved_tensors_hooks`` inside it raises ``RuntimeError(error_message)``."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        self._prev = state.hooks_disabled
        state.hooks_disabled = self.error_message
        return self

    def __exit__(self, *exc):
        state.hooks_disabled = self._prev
        return False
