"""ONNX export rules of the sequence layers: ``RNN``/``LSTM``/``GRU`` (ONNX's RNN, LSTM and GRU
ops, one per layer) and ``MultiheadAttention`` (written out as MatMul/Softmax). Transformer
layers need no rule of their own: their forward is traced through these, ``Linear``,
``LayerNorm`` and the ops between them. Registered by ``onnx_rules`` when ``nn`` has the layers.
"""
import math

import numpy as np

from .. import nn
from .onnx_rules import MODULE_RULES

# PyTorch's gate blocks, in the order ONNX wants them (ONNX: LSTM i o f c, GRU z r h)
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN_TANH": (0,), "RNN_RELU": (0,)}


def _unsupported(m, what):
    raise NotImplementedError(f"onnx.export: {type(m).__name__} with {what} has no ONNX export; change that "
                              "setting or export a model without it")


def _gates(array, order, hidden):
    return np.concatenate([array[g * hidden:(g + 1) * hidden] for g in order], axis=0)


def _states_of(b, state, layer, directions):
    """Layer ``layer``'s slice of an initial state (num_layers * directions, batch, hidden)."""
    if state is None:
        return ""
    return b.node("Slice", [b.name(state), b.const(np.array([layer * directions], np.int64), "starts"),
                            b.const(np.array([(layer + 1) * directions], np.int64), "ends"),
                            b.const(np.array([0], np.int64), "axes")])


def _recurrent(b, m, inputs, output, **kwargs):
    from ..nn.utils.rnn import PackedSequence
    x = inputs[0]
    hx = inputs[1] if len(inputs) > 1 else kwargs.get("hx")
    if isinstance(x, PackedSequence):
        _unsupported(m, "a PackedSequence input (pad the batch and export the padded model)")
    if getattr(m, "proj_size", 0):
        _unsupported(m, "proj_size")
    if x.ndim != 3:
        _unsupported(m, "an unbatched (2-D) input")
    mode = m.mode if m.mode in _GATE_ORDER else ("RNN_RELU" if getattr(m, "nonlinearity", "tanh") == "relu"
                                                  else "RNN_TANH")
    op_type = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    order, hidden = _GATE_ORDER[mode], m.hidden_size
    directions = 2 if m.bidirectional else 1
    h0, c0 = (hx if isinstance(hx, (tuple, list)) else (hx, None)) if hx is not None else (None, None)
    seq = b.name(x)
    if m.batch_first:
        seq = b.node("Transpose", [seq], perm=[1, 0, 2])
    h_finals, c_finals = [], []
    for layer in range(m.num_layers):
        ws, rs, bs = [], [], []
        for d in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if d else "")   # PyTorch's parameter names
            w_ih, w_hh = getattr(m, "weight_ih" + suffix), getattr(m, "weight_hh" + suffix)
            b_ih, b_hh = getattr(m, "bias_ih" + suffix, None), getattr(m, "bias_hh" + suffix, None)
            ws.append(_gates(np.asarray(w_ih.array), order, hidden))
            rs.append(_gates(np.asarray(w_hh.array), order, hidden))
            if b_ih is not None:
                bs.append(np.concatenate([_gates(np.asarray(b_ih.array), order, hidden),
                                          _gates(np.asarray(b_hh.array), order, hidden)]))
        args = [seq, b.const(np.stack(ws), "W"), b.const(np.stack(rs), "R"),
                b.const(np.stack(bs), "B") if bs else "", "", _states_of(b, h0, layer, directions)]
        if op_type == "LSTM":
            args.append(_states_of(b, c0, layer, directions))
        while args and args[-1] == "":
            args.pop()
        attrs = {"hidden_size": hidden, "direction": "bidirectional" if directions == 2 else "forward"}
        if op_type == "GRU":
            attrs["linear_before_reset"] = 1   # PyTorch's GRU: r * (W_hn h + b_hn)
        if op_type == "RNN":
            attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"] * directions
        outs = b.node(op_type, args, outputs=3 if op_type == "LSTM" else 2, **attrs)
        y = b.node("Transpose", [outs[0]], perm=[0, 2, 1, 3])              # (T, B, directions, H)
        seq = b.node("Reshape", [y, b.const(np.array([0, 0, -1], np.int64), "shape")])   # (T, B, directions*H)
        h_finals.append(outs[1])
        if op_type == "LSTM":
            c_finals.append(outs[2])
    out = b.node("Transpose", [seq], perm=[1, 0, 2]) if m.batch_first else seq
    h_n = b.node("Concat", h_finals, axis=0) if len(h_finals) > 1 else h_finals[0]
    if op_type != "LSTM":
        return [out, h_n]
    return [out, h_n, b.node("Concat", c_finals, axis=0) if len(c_finals) > 1 else c_finals[0]]


def _projection(b, x, weight, bias, heads, head_dim):
    """(N, L, E) @ W^T + b, split into heads: (N, heads, L, head_dim)."""
    y = b.node("MatMul", [x, b.const(np.asarray(weight).T, "w_t")])
    if bias is not None:
        y = b.node("Add", [y, b.const(np.asarray(bias), "b")])
    y = b.node("Reshape", [y, b.const(np.array([0, 0, heads, head_dim], np.int64), "shape")])
    return b.node("Transpose", [y], perm=[0, 2, 1, 3])


def _additive(b, mask, like_dtype):
    """A mask as values to add to the scores: bool True -> -inf, floats as they are."""
    if mask.dtype == np.bool_:
        return b.node("Where", [b.name(mask), b.const(np.array(-np.inf, like_dtype), "neg_inf"),
                                b.const(np.array(0, like_dtype), "zero")])
    return b.name(mask)


def _attention(b, m, inputs, output, **kwargs):
    names = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask", "average_attn_weights",
             "is_causal")
    args = dict(zip(names, inputs))
    args.update(kwargs)
    query, key, value = args["query"], args["key"], args["value"]
    if query.ndim != 3:
        _unsupported(m, "unbatched (2-D) inputs")
    if m.bias_k is not None or m.add_zero_attn:
        _unsupported(m, "add_bias_kv or add_zero_attn")
    attn_mask, padding = args.get("attn_mask"), args.get("key_padding_mask")
    if attn_mask is not None and attn_mask.ndim != 2:
        _unsupported(m, "a 3-D attn_mask (use a 2-D (L, S) mask)")
    if args.get("is_causal") and attn_mask is None:
        raise RuntimeError("MultiheadAttention: need attn_mask if specifying the is_causal hint")
    dtype = np.asarray(query.array).dtype
    e, heads = m.embed_dim, m.num_heads
    d = e // heads
    q, k, v = (b.name(t) for t in (query, key, value))
    if not m.batch_first:   # work in (N, L, E)
        q, k, v = (b.node("Transpose", [t], perm=[1, 0, 2]) for t in (q, k, v))
    if m._qkv_same_embed_dim:
        w = np.asarray(m.in_proj_weight.array)
        weights = (w[:e], w[e:2 * e], w[2 * e:])
    else:
        weights = tuple(np.asarray(p.array) for p in (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight))
    bias = np.asarray(m.in_proj_bias.array) if m.in_proj_bias is not None else None
    biases = (None,) * 3 if bias is None else (bias[:e], bias[e:2 * e], bias[2 * e:])
    qh, kh, vh = (_projection(b, t, w, bb, heads, d) for t, w, bb in zip((q, k, v), weights, biases))
    scores = b.node("MatMul", [qh, b.node("Transpose", [kh], perm=[0, 1, 3, 2])])
    scores = b.node("Mul", [scores, b.const(np.array(1.0 / math.sqrt(d), dtype), "scale")])
    if attn_mask is not None:
        scores = b.node("Add", [scores, _additive(b, attn_mask, dtype)])
    if padding is not None:
        pad = b.node("Unsqueeze", [_additive(b, padding, dtype), b.const(np.array([1, 2], np.int64), "axes")])
        scores = b.node("Add", [scores, pad])
    weights_out = b.node("Softmax", [scores], axis=-1)                       # (N, heads, L, S)
    out = b.node("Transpose", [b.node("MatMul", [weights_out, vh])], perm=[0, 2, 1, 3])
    out = b.node("Reshape", [out, b.const(np.array([0, 0, e], np.int64), "shape")])
    out = b.node("MatMul", [out, b.const(np.asarray(m.out_proj.weight.array).T, "out_w_t")])
    if m.out_proj.bias is not None:
        out = b.node("Add", [out, b.name(m.out_proj.bias)])
    if not m.batch_first:
        out = b.node("Transpose", [out], perm=[1, 0, 2])
    if not args.get("need_weights", True):
        return [out]
    if args.get("average_attn_weights", True):
        if b.opset_version >= 18:
            weights_out = b.node("ReduceMean", [weights_out, b.const(np.array([1], np.int64), "axes")], keepdims=0)
        else:
            weights_out = b.node("ReduceMean", [weights_out], axes=[1], keepdims=0)
    return [out, weights_out]


def register():
    """Add the rules of the sequence layers that this glassgrad has."""
    for name in ("RNN", "LSTM", "GRU"):
        if hasattr(nn, name):
            MODULE_RULES[getattr(nn, name)] = _recurrent
    if hasattr(nn, "MultiheadAttention"):
        MODULE_RULES[nn.MultiheadAttention] = _attention
