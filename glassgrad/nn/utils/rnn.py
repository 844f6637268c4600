"""Batches of sequences of different lengths (PyTorch's ``torch.nn.utils.rnn``).

A ``PackedSequence`` holds the rows of every time step one after another: step t contributes
``batch_sizes[t]`` rows, the sequences still running at t, longest first. Recurrent layers take
it as input and return their output in the same form, so padded positions cost nothing.
"""
from collections import namedtuple

import numpy as np

from ...autograd.tensor import Tensor
from ...ops.creation import full, tensor
from ...ops.shape import cat, stack

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpack_sequence", "unpad_sequence", "invert_permutation"]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch of sequences; make one with ``pack_padded_sequence`` or ``pack_sequence``.

    Attributes:
        data: (sum of lengths, *) the rows of each time step, one step after another.
        batch_sizes: int64 tensor (max length,): how many sequences run at each step.
        sorted_indices: int64 tensor (batch,) or None: ``sorted_indices[k]`` is the original index
            of the k-th longest sequence.
        unsorted_indices: its inverse (or None).
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes is required; build one with pack_padded_sequence "
                            "or pack_sequence")
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packing with ``data.to(*args, **kwargs)``."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def float(self):
        """``data`` as float32."""
        return self._with_data(self.data.float())

    def double(self):
        """``data`` as float64."""
        return self._with_data(self.data.double())

    @property
    def is_cuda(self):
        """Whether ``data`` lives on a GPU."""
        return getattr(self.data, "is_cuda", False)

    def is_pinned(self):
        """Always False (no pinned memory on this backend)."""
        return False


def invert_permutation(permutation):
    """The inverse of an index permutation (int64 tensor), or None for None."""
    if permutation is None:
        return None
    p = np.asarray(permutation.array if isinstance(permutation, Tensor) else permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return tensor(inv.astype(np.int64))


def _lengths_array(lengths):
    a = np.asarray(lengths.array if isinstance(lengths, Tensor) else lengths)
    if a.ndim != 1 or (a.size and a.dtype.kind not in "iu" and not np.all(a == np.round(a))):
        raise RuntimeError(f"pack_padded_sequence: lengths must be a 1-D sequence of integers, got {lengths!r}")
    return a.astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of sequences.

    Args:
        input: (T, B, *) padded sequences ((B, T, *) with ``batch_first``).
        lengths: the length of each sequence (list or int64 tensor), each in 1..T.
        enforce_sorted: require ``lengths`` in decreasing order; with False the batch is sorted
            here and ``sorted_indices`` records the order.

    Returns:
        a ``PackedSequence``.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence: input must be a Tensor, got {type(input).__name__}")
    lengths = _lengths_array(lengths)
    if input.ndim < 2:
        raise RuntimeError(f"pack_padded_sequence: input must have at least 2 dims (T, B, *), got shape "
                           f"{tuple(input.shape)}")
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if lengths.size != batch:
        raise RuntimeError(f"pack_padded_sequence: expected {batch} lengths (one per sequence of the batch), "
                           f"got {lengths.size}")
    if batch and lengths.min() <= 0:
        raise RuntimeError("pack_padded_sequence: Length of all samples has to be greater than 0, but found an "
                           f"element in 'lengths' that is <= 0 (lengths {lengths.tolist()})")
    if batch and lengths.max() > steps:
        raise RuntimeError(f"pack_padded_sequence: a length ({int(lengths.max())}) exceeds the padded sequence "
                           f"length {steps}")
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"pack_padded_sequence: `lengths` array must be sorted in decreasing order when "
                               f"`enforce_sorted` is True (got {lengths.tolist()}). You can pass "
                               "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                               "this requirement if you do not need ONNX exportability.")
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = tensor(order.astype(np.int64))
        lengths = lengths[order]
        input = input.index_select(1, sorted_indices)
    batch_sizes = (lengths[None, :] > np.arange(int(lengths.max()) if batch else 0)[:, None]).sum(1)
    # the rows of step t are the first batch_sizes[t] sequences: positions t·B + b of (T·B, *)
    rows = np.concatenate([t * batch + np.arange(bs) for t, bs in enumerate(batch_sizes.tolist())] or
                          [np.zeros(0, np.int64)])
    flat = input.reshape((steps * batch,) + tuple(input.shape[2:]))
    data = flat[tensor(rows.astype(np.int64))]
    return PackedSequence(data, tensor(batch_sizes.astype(np.int64)), sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: (padded, lengths).

    Args:
        sequence: a ``PackedSequence``.
        padding_value: the value of positions past each sequence's end.
        total_length: pad to this many steps (at least the longest sequence's length).

    Returns:
        padded (T, B, *) ((B, T, *) with ``batch_first``), in the original batch order, and the
        lengths as an int64 tensor.
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}")
    data = sequence.data
    sizes = np.asarray(sequence.batch_sizes.array).astype(np.int64)
    steps, batch = sizes.size, (int(sizes[0]) if sizes.size else 0)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: Expected total_length to be at least the length of the longest "
                             f"sequence in input ({steps}), but got total_length={total_length}")
        steps = total_length
    # position t·B + b of the padded (T·B, *) reads packed row k, or the padding row (index N)
    source = np.full(steps * batch, data.shape[0], dtype=np.int64)
    lo = 0
    for t, bs in enumerate(sizes.tolist()):
        source[t * batch:t * batch + bs] = np.arange(lo, lo + bs)
        lo += bs
    pad_row = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    padded = cat([data, pad_row], 0)[tensor(source)].reshape((steps, batch) + tuple(data.shape[1:]))
    lengths = (sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices.array)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tensor(lengths.astype(np.int64))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into one (T, B, *) tensor ((B, T, *) with ``batch_first``),
    T the longest L_i, filling with ``padding_value`` on ``padding_side`` ("right" or "left")."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    trailing = tuple(sequences[0].shape[1:])
    for k, s in enumerate(sequences):
        if s.ndim == 0 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence must have shape (L, {', '.join(map(str, trailing))}) "
                               f"like the first, got {tuple(s.shape)} at index {k}")
    steps = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        if s.shape[0] < steps:
            fill = full((steps - s.shape[0],) + trailing, padding_value, dtype=s.dtype)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors of shapes (L_i, *) (longest first unless ``enforce_sorted=False``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = _lengths_array(lengths)
    return [padded_sequences[b, :int(n)] for b, n in enumerate(lengths.tolist())]


def unpack_sequence(packed_sequences):
    """The list of sequences of a ``PackedSequence``, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
