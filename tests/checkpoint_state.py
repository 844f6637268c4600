"""Comparing checkpoints in resume tests: the model's and optimizer's tensors of a saved run."""
import numpy as np

from glassgrad.io import load_file


def checkpoint_state(path):
    """{name: array} of the model's and the optimizer's tensors in the checkpoint at ``path``."""
    return {k: v.numpy() for k, v in load_file(path).items() if k.startswith(("model.", "optim."))}


def assert_same_checkpoint(path, reference):
    """The checkpoints at ``path`` and ``reference`` hold the same tensors, bit for bit."""
    got, want = checkpoint_state(path), checkpoint_state(reference)
    assert sorted(got) == sorted(want)
    for k in want:
        assert got[k].dtype == want[k].dtype and np.array_equal(got[k], want[k]), k
