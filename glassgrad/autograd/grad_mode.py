"""Grad modes: whether ops record the graph (``no_grad``, ``enable_grad``, ``set_grad_enabled``).

The flags live in one module-level object so that the hot path reads them with one attribute load.
"""
import functools
import threading


class _State(threading.local):
    def __init__(self):
        self.enabled = True      # record the graph?
        self.anomaly = False     # detect_anomaly active?
        self.fw_level = 0        # forward-mode AD: the active dual level (0: none)
        self.saved_hooks = None  # (pack_hook, unpack_hook) of the innermost saved_tensors_hooks
        self.hooks_disabled = None  # the message of an active disable_saved_tensors_hooks
        self.capture = None      # the capture.Trace recording this thread's step (glassgrad.compile)


state = _State()


def is_grad_enabled():
    """True when ops record the graph for backward."""
    return state.enabled


class _GradModeContext:
    """Base of the grad-mode context managers; each also works as a decorator."""

    mode = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev, state.enabled = state.enabled, mode
            try:
                return fn(*args, **kwargs)
            finally:
                state.enabled = prev
        return wrapper


class _NoArgContext(_GradModeContext):
    """Also usable as a bare decorator: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {orig_func!r}); use it as "
                            f"'with {cls.__name__}():' or as a decorator")
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_NoArgContext):
    """Context manager / decorator: ops inside record no graph (inference, optimizer updates)."""

    mode = False


class enable_grad(_NoArgContext):
    """Context manager / decorator: turn graph recording back on inside ``no_grad``."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(mode)``: sets grad mode now; as a context manager, restores it on exit."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = state.enabled
        state.enabled = self.mode

    def __enter__(self):
        pass

    def __call__(self, fn):
        state.enabled = self._prev  # used as a decorator: undo the switch made by __init__
        return super().__call__(fn)

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False


class inference_mode(_GradModeContext):
    """``inference_mode(mode=True)``: like ``no_grad`` when ``mode`` is True (glassgrad has no
    separate inference tensors); ``inference_mode(False)`` changes nothing."""

    def __new__(cls, mode=True):
        if callable(mode):  # bare decorator
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self._active = bool(mode)

    def __enter__(self):
        self._prev = state.enabled
        if self._active:
            state.enabled = False

    def __call__(self, fn):
        if not self._active:
            return fn
        self.mode = False
        return super().__call__(fn)
