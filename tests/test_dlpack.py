"""DLPack both ways with NumPy and PyTorch: no copies (a write on one side shows on the other)."""
import numpy as np
import pytest
import torch
from torch.utils.dlpack import to_dlpack

import glassgrad as gg


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8, np.bool_])
def test_numpy_both_ways_share_memory(dtype):
    a = np.arange(12).reshape(3, 4).astype(dtype)
    t = gg.from_dlpack(a)
    assert t.dtype == a.dtype and t.shape == (3, 4) and np.shares_memory(t.array, a)
    back = np.from_dlpack(t)
    assert np.shares_memory(back, a)
    t.array[1, 2] = 1
    assert a[1, 2] == 1 and back[1, 2] == 1


def test_pytorch_both_ways_share_memory():
    source = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    ours = gg.from_dlpack(source)
    ours.array[0, 1] = -5.0
    assert source[0, 1].item() == -5.0
    mine = gg.randn(4, 5)
    theirs = torch.from_dlpack(mine)
    theirs[2, 3] = 123.0
    assert mine[2, 3].item() == 123.0
    np.testing.assert_array_equal(theirs.numpy(), mine.numpy())
    assert theirs.data_ptr() == mine.array.ctypes.data
    transposed = gg.from_dlpack(source.t())              # strided data keeps its strides, still shared
    assert transposed.shape == (3, 2) and transposed[1, 0].item() == -5.0
    legacy = gg.from_dlpack(to_dlpack(source))           # a DLPack capsule (NumPy maps it read-only)
    source[1, 1] = 9.0
    assert legacy[1, 1].item() == 9.0


def test_device_and_errors():
    t = gg.ones(3)
    assert t.__dlpack_device__() == (1, 0)
    assert gg.from_dlpack(t) is t
    with pytest.raises(RuntimeError, match="require gradient, use tensor.detach"):
        torch.from_dlpack(gg.ones(2, requires_grad=True))
    assert torch.from_dlpack(gg.ones(2, requires_grad=True).detach()).tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="expected an object with __dlpack__"):
        gg.from_dlpack([1, 2, 3])
