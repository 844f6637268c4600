"""``nn.MultiheadAttention``: PyTorch's layer, parameters and state_dict layout."""
import numpy as np

from ... import backend
from .. import init
from ..functional.multihead import check_mha_inputs, run_mha
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


def _param(shape, device, dtype):
    array = np.empty(shape, dtype=np.dtype(dtype) if dtype is not None else backend.get_default_dtype())
    return Parameter(array if device is None else backend.move(array, device))


class MultiheadAttention(Module):
    """Attention from queries to keys/values in ``num_heads`` heads of embed_dim/num_heads each:
    ``out_proj(concat_h(softmax(Q_h K_hᵀ/√d + mask) V_h))`` with Q, K, V the input projections.

    Args:
        embed_dim, num_heads: model size and number of heads (embed_dim divisible by num_heads).
        dropout: dropout on the attention weights in training mode.
        bias: biases in the input and output projections.
        add_bias_kv: learn one more key and value (``bias_k``, ``bias_v``) appended to the sequence.
        add_zero_attn: append a zero key and value after the projections.
        kdim, vdim: key/value feature sizes (default embed_dim); when they differ from embed_dim
            the projections are ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` instead of
            the packed ``in_proj_weight`` (3·embed_dim, embed_dim).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).

    Shape (forward): query (L, N, E), key (S, N, kdim), value (S, N, vdim) (or batch first, or
    unbatched (L, E)); key_padding_mask (N, S), True/-inf where a key is padding; attn_mask (L, S)
    or (N·num_heads, L, S), bool (True = not allowed) or float (added) -> output like query, and
    the attention weights (N, L, S) (averaged over heads) or (N, num_heads, L, S), or None when
    ``need_weights=False``.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim="
                                 f"{embed_dim} and num_heads={num_heads}")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _param((3 * embed_dim, embed_dim), device, dtype)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = _param((embed_dim, embed_dim), device, dtype)
            self.k_proj_weight = _param((embed_dim, self.kdim), device, dtype)
            self.v_proj_weight = _param((embed_dim, self.vdim), device, dtype)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = _param((3 * embed_dim,), device, dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = _param((1, 1, embed_dim), device, dtype)
            self.bias_v = _param((1, 1, embed_dim), device, dtype)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's initialization: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        separate = None if self._qkv_same_embed_dim else (self.q_proj_weight, self.k_proj_weight,
                                                          self.v_proj_weight)
        batched = check_mha_inputs(query, key, value, self.embed_dim, self.num_heads, key_padding_mask,
                                   attn_mask, separate)
        if separate is not None and (key.shape[-1] != self.kdim or value.shape[-1] != self.vdim):
            raise RuntimeError(f"MultiheadAttention: expected key with {self.kdim} and value with {self.vdim} "
                               f"features (kdim, vdim), got shapes {tuple(key.shape)} and {tuple(value.shape)}")
        return run_mha(query, key, value, batched, self.num_heads, self.in_proj_weight, self.in_proj_bias,
                       self.bias_k, self.bias_v, self.add_zero_attn, self.dropout if self.training else 0.0,
                       self.out_proj.weight, self.out_proj.bias, key_padding_mask, need_weights, attn_mask,
                       separate, None, None, average_attn_weights, is_causal, batch_first=self.batch_first)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"
