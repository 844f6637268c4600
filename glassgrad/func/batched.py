"""``BatchedTensor``: what a function under ``vmap`` sees in place of a batched input.

It holds the whole batch (``_phys``, a plain tensor whose dimension 0 is the batch) and shows the
function one sample: ``shape``, ``ndim``, ``size()`` and ``dtype`` are those of a sample. Ops reach
it through ``Function.apply``, where vmap's batching rules (or its per-op loop) take over. Anything
that reads its raw data directly (``.array``, ``.item()``, ``bool(x)``: code that is not an op)
raises ``NeedsLoop``, and vmap then runs the whole function once per sample instead, which is
correct for any function.
"""
from ..autograd.tensor import Tensor


class NeedsLoop(BaseException):
    """Raised inside vmap's fast path when the function does something no batching rule can do on
    the whole batch; vmap catches it and runs the function sample by sample. A BaseException, so
    that an ``except Exception`` in user or library code does not swallow it."""


def _loop(*_):
    raise NeedsLoop()


class BatchedTensor(Tensor):
    """One sample's view of a batch, under vmap (see the module docstring)."""

    __slots__ = ("_phys",)

    array = property(_loop, _loop, doc="Not available under vmap's fast path (vmap falls back to a loop).")

    @property
    def shape(self):
        """The shape of one sample."""
        return self._phys.shape[1:]

    def size(self, dim=None):
        """``shape``, or the size of dimension ``dim`` of one sample."""
        shape = self._phys.shape[1:]
        if dim is None:
            return shape
        from ..autograd.tensor import normalize_dim
        return shape[normalize_dim(dim, len(shape), "size")]

    @property
    def ndim(self):
        """Dimensions of one sample."""
        return self._phys.ndim - 1

    def dim(self):
        """Dimensions of one sample."""
        return self._phys.ndim - 1

    def numel(self):
        """Elements of one sample."""
        return self._phys.numel() // max(self._phys.shape[0], 1)

    nelement = numel

    def __len__(self):
        if self._phys.ndim == 1:
            raise TypeError("len() of a 0-d tensor")
        return self._phys.shape[1]

    @property
    def dtype(self):
        """The element type."""
        return self._phys.dtype

    @property
    def device(self):
        """Where the batch lives."""
        return self._phys.device

    def is_floating_point(self):
        """True for floating dtypes."""
        return self._phys.dtype.kind == "f"

    def detach(self):
        """The batch outside the graph, still batched."""
        return batched(self._phys.detach())

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on the batch and return self."""
        self._phys.requires_grad_(requires_grad)
        self._rg = self._phys._rg
        return self

    def __getitem__(self, key):
        from ..ops.indexing import Index, make_key
        return Index.apply(self, make_key(key, self.shape)[0])

    __hash__ = Tensor.__hash__

    def __repr__(self):
        return f"BatchedTensor(batch={self._phys.shape[0]}, sample shape={tuple(self.shape)}, dtype={self.dtype})"

    __str__ = __repr__


def _aligned(x):
    """The physical tensor of ``x`` with size-1 dims after the batch up to ``rank`` sample dims."""
    def align(rank):
        p = x._phys
        pad = rank - (p.ndim - 1)
        return p.reshape((p.shape[0],) + (1,) * pad + tuple(p.shape[1:])) if pad > 0 else p
    return align


def _comparison(name):
    def method(self, other):
        from ..ops import elementwise
        rank = max(self.ndim, other.ndim if isinstance(other, Tensor) else 0)
        a = _aligned(self)(rank)
        b = _aligned(other)(rank) if isinstance(other, BatchedTensor) else other
        return batched(getattr(elementwise, name)(a, b))
    method.__name__ = name
    method.__doc__ = f"``{name}`` of each sample (element-wise, one bool tensor for the batch)."
    return method


for _name, _dunder in (("eq", "__eq__"), ("ne", "__ne__"), ("lt", "__lt__"), ("le", "__le__"),
                       ("gt", "__gt__"), ("ge", "__ge__")):
    setattr(BatchedTensor, _name, _comparison(_name))
    setattr(BatchedTensor, _dunder, _comparison(_name))


def batched(phys):
    """A BatchedTensor over ``phys`` (a plain tensor, batch in dimension 0)."""
    t = object.__new__(BatchedTensor)
    t._phys = phys
    t._rg, t.grad_fn, t._output_nr, t._vc = phys._rg, phys.grad_fn, phys._output_nr, phys._vc
    t.grad, t._hooks, t._retains_grad = None, None, False
    return t


def is_batched(x):
    """True for a BatchedTensor."""
    return isinstance(x, BatchedTensor)


def holds_batched(a):
    """True for a BatchedTensor, or a tuple/list holding one (at any depth)."""
    if isinstance(a, BatchedTensor):
        return True
    if isinstance(a, (tuple, list)):
        return any(holds_batched(x) for x in a)
    return False
