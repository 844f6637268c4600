"""``Tensor``: an n-dimensional array that remembers how it was computed.

A tensor holds ``array`` (a NumPy or CuPy array, never copied on wrap), and, when it takes part in
a differentiable computation, ``grad_fn``: the graph node (a :class:`Function`) that made it.
Operators and methods such as ``x + y`` or ``x.sum()`` are attached by ``glassgrad.ops``; this
module holds what every tensor needs regardless of ops.
"""
import numpy as np

from .. import backend
from .grad_mode import state


def _as_array(data, dtype=None):
    """Turn Python data or an array into an array, PyTorch's way: Python floats become the
    default dtype, Python ints int64, bools bool; arrays keep their dtype."""
    if isinstance(data, Tensor):
        array = data.array
    elif isinstance(data, np.ndarray) or backend.namespace(data) is not np:
        array = data
    else:
        array = np.asarray(data)
        if dtype is None:
            if array.dtype.kind == "f" and not isinstance(data, (np.generic,)):
                array = array.astype(backend.get_default_dtype(), copy=False)
            elif array.dtype.kind in "iu" and not isinstance(data, np.generic):
                array = array.astype(np.int64, copy=False)
            elif array.dtype.kind not in "fiubc":
                raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} "
                                f"(array dtype {array.dtype}); pass numbers, lists of numbers or arrays")
    if dtype is not None:
        array = array.astype(np.dtype(dtype), copy=False)
    return array


class Tensor:
    """An n-dimensional array with automatic differentiation.

    Args:
        data: array-like (list, number, NumPy/CuPy array).
        requires_grad: record operations on it so that ``backward`` computes ``.grad``.
        dtype: the dtype to convert ``data`` to.
    """

    # _vc is the version counter, a one-item list shared by a tensor, its views and detach() (as in
    # PyTorch): an in-place change through any of them is seen by a backward that saved another
    __slots__ = ("array", "_rg", "grad", "grad_fn", "_output_nr", "_vc", "_hooks",
                 "_retains_grad", "_post_acc_hooks", "_fw_tangent", "__weakref__")
    __array_priority__ = 1000  # so that ndarray <op> Tensor defers to Tensor's reflected ops

    def __init__(self, data, requires_grad=False, dtype=None):
        self.array = _as_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._vc = [0]
        self._hooks = None
        self._retains_grad = False
        self._rg = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, array, requires_grad, grad_fn, output_nr):
        """Wrap an array with no checks (the ops' fast path)."""
        t = object.__new__(cls)
        t.array = array
        t._rg = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._vc = [0]
        t._hooks = None
        t._retains_grad = False
        return t

    # ---- autograd attributes -------------------------------------------------------------------
    @property
    def requires_grad(self):
        """Whether gradients flow to this tensor."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if value and self.array.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.array.dtype}; "
                "convert first, e.g. x.float().requires_grad_()")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use "
                               "y = x.detach() to get a tensor outside the graph")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """True for tensors created by the user (not the result of a recorded op)."""
        return self.grad_fn is None

    @property
    def output_nr(self):
        """Which output of its ``grad_fn`` this tensor is (0 for a leaf), as in PyTorch."""
        return self._output_nr

    @property
    def _version(self):
        """How many in-place changes this tensor's data has seen (shared with its views and
        ``detach()``); a backward that saved the tensor checks it."""
        return self._vc[0]

    @_version.setter
    def _version(self, value):
        self._vc[0] = value

    def detach(self):
        """A tensor sharing this one's data and version counter, outside the graph: an in-place
        change through it is caught by a backward that saved this tensor."""
        t = wrap_array(self.array)
        t._vc = self._vc
        return t

    def detach_(self):
        """Detach this tensor from the graph in place."""
        self.grad_fn, self._rg = None, False
        return self

    @property
    def data(self):
        """A tensor sharing this one's data that needs no gradient (PyTorch's ``.data``): unlike
        ``detach()`` it has its own version counter, so in-place changes through it go unchecked."""
        return wrap_array(self.array)

    @data.setter
    def data(self, value):
        value = value.array if isinstance(value, Tensor) else _as_array(value)
        self.array = value
        self._version += 1

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None or self._retains_grad:
            return
        if not self._rg:
            raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
        import weakref
        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                t.grad = grad.detach() if t.grad is None else t.grad + grad.detach()
            return grad
        keep._retains_grad = True
        self.grad_fn.register_prehook(self._output_nr, keep)
        self._retains_grad = True

    @property
    def retains_grad(self):
        """True after ``retain_grad()`` on a non-leaf tensor."""
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever the gradient of this tensor is computed. The hook may
        return a new gradient to use instead. Returns a handle with ``remove()``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_prehook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        from .function import _RemovableHook
        return _RemovableHook(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on this leaf right after a backward pass has accumulated its
        gradient into ``.grad`` (PyTorch's hook of the same name). The engine accumulates a leaf as
        soon as every gradient flowing to it has arrived, so the hook runs while the rest of the
        backward pass is still to come (data-parallel training starts its communication here). The
        hook must return None. Returns a handle with ``remove()``."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors; "
                               "use register_hook on a non-leaf tensor instead")
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = getattr(self, "_post_acc_hooks", None)
        if hooks is None:
            hooks = self._post_acc_hooks = []
        hooks.append(hook)
        from .function import _RemovableHook
        return _RemovableHook(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to the graph leaves and accumulate it
        into their ``.grad``. ``gradient`` is required unless the tensor has one element."""
        from .engine import backward
        backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    # ---- array attributes ----------------------------------------------------------------------
    @property
    def shape(self):
        """The size of each dimension, a tuple (``torch.Size`` in PyTorch)."""
        return self.array.shape

    def size(self, dim=None):
        """``shape``, or the size of dimension ``dim``."""
        if dim is None:
            return self.array.shape
        return self.array.shape[normalize_dim(dim, self.array.ndim, "size")]

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.array.ndim

    def dim(self):
        """Number of dimensions."""
        return self.array.ndim

    def numel(self):
        """Number of elements."""
        return int(self.array.size)

    nelement = numel

    def element_size(self):
        """Bytes per element."""
        return self.array.itemsize

    @property
    def dtype(self):
        """The element type (a NumPy dtype: ``glassgrad.float32`` ...)."""
        return self.array.dtype

    @property
    def device(self):
        """Where the data lives: ``device('cpu')`` or ``device('cuda', i)``."""
        return backend.device_of(self.array)

    @property
    def is_cuda(self):
        """True when the data is on a GPU."""
        return self.device.type == "cuda"

    def is_floating_point(self):
        """True for floating dtypes."""
        return self.array.dtype.kind == "f"

    def is_contiguous(self):
        """True when the data is C-contiguous in memory."""
        return bool(self.array.flags.c_contiguous)

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __hash__(self):
        return id(self)

    # ---- conversion ----------------------------------------------------------------------------
    def numpy(self):
        """The data as a NumPy array (shared memory on the CPU)."""
        if state.capture is not None:
            state.capture.value_read(self, "numpy()")
        if self._rg:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self.device.type != "cpu":
            raise TypeError("can't convert a cuda tensor to numpy: use tensor.cpu() first")
        return self.array

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        """This tensor's memory as a DLPack capsule, for another library's ``from_dlpack`` (no copy)."""
        if self._rg:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        kwargs = {"stream": stream}
        if max_version is not None:
            kwargs.update(max_version=max_version, dl_device=dl_device, copy=copy)
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        """``(device type, device id)`` in DLPack's codes: (1, 0) on the CPU, (2, i) on CUDA GPU i."""
        return self.array.__dlpack_device__()

    def __array__(self, dtype=None, copy=None):
        if state.capture is not None:
            state.capture.value_read(self, "__array__")
        array = backend.move(self.array, "cpu")
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if state.capture is not None:
            state.capture.value_read(self, "item()")
        if self.array.size != 1:
            raise RuntimeError(f"item(): a Tensor with {self.array.size} elements cannot be converted "
                               "to a Python scalar; index or reduce it first")
        return self.array.reshape(-1)[0].item()

    def tolist(self):
        """The data as (nested) Python lists."""
        if state.capture is not None:
            state.capture.value_read(self, "tolist()")
        return backend.move(self.array, "cpu").tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self.array.size} elements is ambiguous; "
                               "use .any() or .all()")
        return bool(self.item())

    def cpu(self):
        """This tensor on the CPU (itself when already there)."""
        return self.to("cpu")

    def cuda(self, device=None):
        """This tensor on a GPU (needs CuPy)."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    def __repr__(self):
        if state.capture is not None:
            state.capture.value_read(self, "__repr__")
        from .printing import format_tensor
        return format_tensor(self)

    __str__ = __repr__


def normalize_dim(dim, ndim, op):
    """``dim`` as a non-negative axis of an ``ndim``-d tensor, with PyTorch's IndexError (naming
    ``op``) when out of range."""
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim + max(ndim, 1) if dim < 0 else dim


def wrap_array(array):
    """A Tensor around ``array`` as it is: shared (no copy), unchecked, a leaf that does not
    require grad.

    The one constructor glassgrad's own code uses to turn an array it computed (a mask, a
    gradient, a batch, a loaded weight) into a Tensor. ``array`` must already be a NumPy/CuPy
    array of a supported dtype; user code calls ``glassgrad.tensor``/``as_tensor``/``from_numpy``,
    which check and convert."""
    return Tensor._make(array, False, None, 0)

