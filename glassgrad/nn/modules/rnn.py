"""Recurrent layers: ``RNN`` (tanh or relu), ``LSTM`` (with ``proj_size``), ``GRU`` and their one-step
cells ``RNNCell``, ``LSTMCell``, ``GRUCell``, with PyTorch's parameter names, shapes, gate order
and initialization, so ``state_dict``\\ s move both ways.

Each layer and direction runs its whole time loop as one fused op
(``glassgrad.nn.functional.recurrent``); a ``PackedSequence`` goes through the same loop.
"""
import math
import warnings

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor
from ...ops.creation import zeros
from ...ops.shape import cat, stack
from .. import init
from ..functional.dropout import dropout as _dropout
from ..functional.recurrent import GATES, recurrent_layer
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _parameter(shape, device, dtype):
    array = np.empty(shape, dtype=np.dtype(dtype) if dtype is not None else backend.get_default_dtype())
    if device is not None:
        array = backend.move(array, device)
    return Parameter(array)


def _check_input_dtype(name, input, weight):
    if input.dtype.kind != "f":
        raise ValueError(f"{name}: input must be floating point (the dtype of the weights, {weight.dtype}), got "
                         f"{input.dtype}; convert it with input.to({weight.dtype}) (token ids go through nn.Embedding)")
    if input.dtype != weight.dtype:
        raise ValueError(f"{name}: input must have the type {weight.dtype} of the weights, got type {input.dtype}; "
                         f"convert the input (input.to({weight.dtype})) or the module (module.to({input.dtype}))")


def _check_state(name, what, state, expected, weight):
    if not isinstance(state, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor, got {type(state).__name__}")
    if tuple(state.shape) != tuple(expected):
        raise RuntimeError(f"{name}: Expected {what} size {tuple(expected)}, got {list(state.shape)}")
    if state.dtype != weight.dtype:
        raise ValueError(f"{name}: {what} must have the type {weight.dtype} of the weights, got {state.dtype}")


class RNNBase(Module):
    """The multi-layer recurrent network behind ``RNN``, ``LSTM`` and ``GRU``.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        input_size: features of each input step; hidden_size: features of the hidden state.
        num_layers: stacked layers (each takes the previous one's output sequence).
        bias: learn ``bias_ih`` and ``bias_hh``.
        batch_first: input and output are (B, T, *) instead of (T, B, *).
        dropout: dropout on each layer's output but the last, in training mode.
        bidirectional: run each layer in both directions and concatenate the features.
        proj_size: LSTM only: project the hidden state to this size (``weight_hr``).
        device, dtype: where and of what type the parameters are made.

    Parameters per layer k (``_reverse`` appended for the backward direction), G = 1, 4 or 3 gates:
        weight_ih_l{k} (G·hidden, input features), weight_hh_l{k} (G·hidden, P), bias_ih_l{k},
        bias_hh_l{k} (G·hidden,), weight_hr_l{k} (proj_size, hidden); P = proj_size or hidden.
        All drawn from U(-1/√hidden, 1/√hidden).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = _name(mode)
        if mode not in GATES:
            raise ValueError(f"RNNBase: unknown mode {mode!r}; expected one of {sorted(GATES)}")
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"{name}: {what} should be of type int, got: {type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        if num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the probability "
                             f"of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable projections, "
                             f"got {proj_size}")
        if proj_size and proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size ({proj_size}) has to be smaller than hidden_size ({hidden_size})")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        gates = GATES[mode] * hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gates, layer_input)), ("weight_hh", (gates, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for stem, shape in shapes:
                    setattr(self, stem + suffix, _parameter(shape, device, dtype))
                    names.append(stem + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/√hidden_size, 1/√hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters of each layer and direction, as lists in PyTorch's order."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Nothing to do here (PyTorch packs the weights for cuDNN); kept so scripts port."""

    def _layer_weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        get = lambda stem: getattr(self, stem + suffix, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def _state_shapes(self, batch):
        directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * directions, batch, real_hidden), (self.num_layers * directions, batch, self.hidden_size)

    def forward(self, input, hx=None):
        name = _name(self.mode)
        lstm = self.mode == "LSTM"
        weight = self.weight_ih_l0
        packed = isinstance(input, PackedSequence)
        if packed:
            data, sorted_indices, unsorted_indices = input.data, input.sorted_indices, input.unsorted_indices
            batch_sizes = tuple(int(b) for b in np.asarray(input.batch_sizes.array).tolist())
            batch = batch_sizes[0] if batch_sizes else 0
            if data.ndim != 2:
                raise RuntimeError(f"{name}: packed input data must be 2-D (sum of lengths, input_size), got shape "
                                   f"{tuple(data.shape)}")
            batched = True
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{name}: input must be a Tensor or a PackedSequence, got {type(input).__name__}")
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead (shape "
                                 f"{tuple(input.shape)}); pass (T, B, input_size), (B, T, input_size) with "
                                 "batch_first=True, or (T, input_size) unbatched")
            batched = input.ndim == 3
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)
            steps, batch = x.shape[0], x.shape[1]
            data = x.reshape(steps * batch, x.shape[2])
            batch_sizes = (batch,) * steps
            sorted_indices = unsorted_indices = None
        _check_input_dtype(name, data, weight)
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{data.shape[-1]}")
        h0, c0 = self._initial_states(hx, batch, batched, sorted_indices, data)
        out, h_n, c_n = self._run_layers(data, h0, c0, batch_sizes)
        if packed:
            output = PackedSequence(out, input.batch_sizes, sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = h_n.index_select(1, unsorted_indices)
                c_n = c_n.index_select(1, unsorted_indices) if lstm else None
        else:
            output = out.reshape(steps, batch, out.shape[-1])
            if batched and self.batch_first:
                output = output.transpose(0, 1)
            if not batched:
                output, h_n = output.squeeze(1), h_n.squeeze(1)
                c_n = c_n.squeeze(1) if lstm else None
        return output, ((h_n, c_n) if lstm else h_n)

    def _initial_states(self, hx, batch, batched, sorted_indices, data):
        """(h0, c0) as (layers·directions, B, *) tensors in the sorted batch order."""
        name = _name(self.mode)
        lstm = self.mode == "LSTM"
        h_shape, c_shape = self._state_shapes(batch)
        if hx is None:
            h0 = zeros(h_shape, dtype=data.dtype)
            return h0, (zeros(c_shape, dtype=data.dtype) if lstm else None)
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of two Tensors, got {type(hx).__name__}")
            h0, c0 = hx
        else:
            if not isinstance(hx, Tensor):
                raise TypeError(f"{name}: hx must be a Tensor, got {type(hx).__name__}")
            h0, c0 = hx, None
        states = [(h0, "hidden", h_shape)] + ([(c0, "cell state", c_shape)] if lstm else [])
        out = []
        for state, what, shape in states:
            if not isinstance(state, Tensor):
                raise TypeError(f"{name}: {what} must be a Tensor, got {type(state).__name__}")
            if not batched:
                if state.ndim != 2:
                    raise RuntimeError(f"{name}: For unbatched 2-D input, hx should also be 2-D but got "
                                       f"{state.ndim}-D tensor (the {what}, shape {tuple(state.shape)})")
                state = state.unsqueeze(1)
            elif state.ndim != 3:
                raise RuntimeError(f"{name}: For batched 3-D input, hx should also be 3-D but got {state.ndim}-D "
                                   f"tensor (the {what}, shape {tuple(state.shape)})")
            _check_state(name, what, state, shape, self.weight_ih_l0)
            if sorted_indices is not None:
                state = state.index_select(1, sorted_indices)
            out.append(state)
        return out[0], (out[1] if lstm else None)

    def _run_layers(self, data, h0, c0, batch_sizes):
        directions = 2 if self.bidirectional else 1
        hs, cs = [], []
        x = data
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, direction)
                y, h, c = recurrent_layer(self.mode, x, h0[k], None if c0 is None else c0[k], w_ih, w_hh, b_ih, b_hh,
                                          w_hr, batch_sizes, reverse=direction == 1)
                outs.append(y)
                hs.append(h)
                cs.append(c)
            x = outs[0] if directions == 1 else cat(outs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, training=True)
        return x, stack(hs, 0), (stack(cs, 0) if c0 is not None else None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _name(mode):
    return {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNNBase")


_RNN_ARGS = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional")


def _bind(args, kwargs, names, cls):
    if len(args) > len(names):
        raise TypeError(f"{cls}: takes at most {len(names)} positional arguments, got {len(args)}")
    for n, a in zip(names, args):
        if n in kwargs:
            raise TypeError(f"{cls}: got multiple values for argument {n!r}")
        kwargs[n] = a
    return kwargs


class RNN(RNNBase):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu.

    Args: ``input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None`` (see ``RNNBase``).

    Shape:
        - input: (T, B, input_size), (B, T, input_size) with batch_first, (T, input_size), or a
          PackedSequence; h_0: (layers·directions, B, hidden) (zeros when not given).
        - output: (T, B, directions·hidden) (or packed); h_n: (layers·directions, B, hidden).
    """

    def __init__(self, *args, **kwargs):
        names = ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
                 "bidirectional")
        kwargs = _bind(args, kwargs, names, "RNN")
        if "proj_size" in kwargs:
            raise ValueError("RNN: proj_size argument is only supported for LSTM, not RNN or GRU")
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", **kwargs)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity}"


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o = σ, σ, tanh, σ of (W_ih x_t + b_ih + W_hh h_{t-1} +
    b_hh); c_t = f ⊙ c_{t-1} + i ⊙ g; h_t = o ⊙ tanh(c_t) (projected by W_hr with proj_size).

    Args: ``input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None`` (see ``RNNBase``).

    Shape:
        - input: as ``RNN``; hx: (h_0, c_0), (layers·directions, B, P) and (layers·directions, B,
          hidden), P = proj_size or hidden (zeros when not given).
        - output: (T, B, directions·P) (or packed); (h_n, c_n) shaped as (h_0, c_0).
    """

    def __init__(self, *args, **kwargs):
        kwargs = _bind(args, kwargs, _RNN_ARGS + ("proj_size",), "LSTM")
        super().__init__("LSTM", **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = σ(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h + b_h{r,z});
    n = tanh(W_in x_t + b_in + r ⊙ (W_hn h + b_hn)); h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.

    Args: ``input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None`` (see ``RNNBase``). Shapes as ``RNN``.
    """

    def __init__(self, *args, **kwargs):
        kwargs = _bind(args, kwargs, _RNN_ARGS, "GRU")
        if "proj_size" in kwargs:
            raise ValueError("GRU: proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", **kwargs)


# ---- cells -------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """One step of a recurrent layer; parameters ``weight_ih`` (G·hidden, input_size),
    ``weight_hh`` (G·hidden, hidden), ``bias_ih``, ``bias_hh`` (G·hidden,), U(-1/√hidden, 1/√hidden)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if input_size < 0 or hidden_size <= 0:
            raise ValueError(f"{name}: input_size must be >= 0 and hidden_size > 0, got {input_size}, {hidden_size}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _parameter((num_chunks * hidden_size, input_size), device, dtype)
        self.weight_hh = _parameter((num_chunks * hidden_size, hidden_size), device, dtype)
        if bias:
            self.bias_ih = _parameter((num_chunks * hidden_size,), device, dtype)
            self.bias_hh = _parameter((num_chunks * hidden_size,), device, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/√hidden_size, 1/√hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, mode, input, states):
        """Run the cell once: ``states`` is (h,) or (h, c); returns the new states, unbatched when
        the input is."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead (shape "
                             f"{tuple(input.shape)}); pass (B, input_size) or (input_size,)")
        _check_input_dtype(name, input, self.weight_ih)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        batch = x.shape[0]
        full = []
        for what, state in zip(("hidden", "cell state"), states):
            if state is None:
                state = zeros((batch, self.hidden_size), dtype=x.dtype)
            else:
                if state.ndim != input.ndim:
                    raise RuntimeError(f"{name}: {what} must be {input.ndim}-D like the input, got shape "
                                       f"{tuple(state.shape)}")
                if not batched:
                    state = state.unsqueeze(0)
                _check_state(name, what, state, (batch, self.hidden_size), self.weight_ih)
            full.append(state)
        h0 = full[0]
        c0 = full[1] if mode == "LSTM" else None
        y, h, c = recurrent_layer(mode, x, h0, c0, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, None,
                                  (batch,))
        out = (h, c) if mode == "LSTM" else (h,)
        return tuple(o if batched else o.squeeze(0) for o in out)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        return s


class RNNCell(RNNCellBase):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu.

    Shape: input (B, input_size) or (input_size,); hx like the output (zeros when None);
    output (B, hidden_size) or (hidden_size,).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity}; select 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, (hx,))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o): returns (h', c').

    Shape: input (B, input_size) or (input_size,); hx a tuple (h, c) of (B, hidden_size) (zeros
    when None); output (h', c') of the same shapes.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c) of two Tensors, got {type(hx).__name__}")
        return self._step("LSTM", input, tuple(hx))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n): returns h'.

    Shape: as ``RNNCell``.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step("GRU", input, (hx,))[0]
