"""IterableDataset, ChainDataset and get_worker_info through DataLoader (batching, drop_last,
worker sharding with num_workers > 0), against PyTorch's DataLoader on the same streams; the
torch.utils.data path."""
import math

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.data as gdata


def _range_stream(lib_data):
    """PyTorch's documented pattern: each worker takes its own contiguous slice of [start, end)."""

    class RangeStream(lib_data.IterableDataset):
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = lib_data.get_worker_info()
            if info is None:
                lo, hi = self.start, self.end
            else:
                per = int(math.ceil((self.end - self.start) / info.num_workers))
                lo = self.start + info.id * per
                hi = min(lo + per, self.end)
            for i in range(lo, hi):
                yield {"x": np.full(2, i, np.float64), "i": i}

        def __len__(self):
            return self.end - self.start

    return RangeStream


def _as_lists(batches):
    return [(b["x"].tolist(), b["i"].tolist()) for b in batches]


@pytest.mark.parametrize("batch_size,drop_last", [(4, False), (4, True), (None, False), (1, False)])
def test_batches_match_torch_in_process(batch_size, drop_last):
    g = gdata.DataLoader(_range_stream(gdata)(3, 17), batch_size=batch_size, drop_last=drop_last)
    t = torch.utils.data.DataLoader(_range_stream(torch.utils.data)(3, 17), batch_size=batch_size,
                                    drop_last=drop_last)
    if batch_size is None:
        assert [(b["x"].tolist(), b["i"]) for b in g] == [(b["x"].tolist(), b["i"]) for b in t]
    else:
        assert _as_lists(g) == _as_lists(t)
    assert len(g) == len(t)


def test_workers_shard_the_stream_like_torch():
    """With 2 workers each yields its half; batches come from the workers in turn, as in PyTorch."""
    g = gdata.DataLoader(_range_stream(gdata)(0, 13), batch_size=3, num_workers=2)
    t = torch.utils.data.DataLoader(_range_stream(torch.utils.data)(0, 13), batch_size=3, num_workers=2)
    got = _as_lists(g)
    assert got == _as_lists(t)
    assert sorted(i for _, ids in got for i in ids) == list(range(13))


def test_without_sharding_each_worker_yields_everything():
    class Plain(gdata.IterableDataset):
        def __iter__(self):
            yield from range(5)

    got = sorted(int(v) for b in gdata.DataLoader(Plain(), batch_size=2, num_workers=2) for v in b.tolist())
    assert got == sorted(list(range(5)) * 2)


def test_get_worker_info_in_workers_and_main():
    class Who(gdata.IterableDataset):
        def __iter__(self):
            info = gdata.get_worker_info()
            yield (info.id, info.num_workers, info.dataset is self)  # (the worker's own copy)

    assert gdata.get_worker_info() is None
    out = list(gdata.DataLoader(Who(), batch_size=None, num_workers=3))
    assert sorted(o[0] for o in out) == [0, 1, 2] and all(o[1] == 3 and o[2] for o in out)


def test_chain_dataset_matches_torch():
    def streams(lib_data):
        cls = _range_stream(lib_data)
        return lib_data.ChainDataset([cls(0, 3), cls(10, 14), cls(20, 21)]), cls(0, 2) + cls(5, 7)

    (gc, gadd), (tc, tadd) = streams(gdata), streams(torch.utils.data)
    assert [d["i"] for d in gc] == [d["i"] for d in tc] == [0, 1, 2, 10, 11, 12, 13, 20]
    assert len(gc) == len(tc) == 8
    assert isinstance(gadd, gdata.ChainDataset) and [d["i"] for d in gadd] == [d["i"] for d in tadd]
    assert _as_lists(gdata.DataLoader(gc, batch_size=3)) == _as_lists(torch.utils.data.DataLoader(tc, batch_size=3))


def test_errors_name_the_problem():
    stream = _range_stream(gdata)(0, 4)
    with pytest.raises(ValueError, match="shuffle"):
        gdata.DataLoader(stream, shuffle=True)
    with pytest.raises(TypeError, match="iterate over it"):
        stream[0]
    bad = gdata.ChainDataset([stream, gdata.TensorDataset(glassgrad.ones(2))])
    with pytest.raises(TypeError, match="ChainDataset only supports IterableDataset.*ConcatDataset"):
        list(bad)


def test_torch_utils_data_path_is_the_same_objects():
    import glassgrad as torch_like
    from glassgrad.utils.data.distributed import DistributedSampler
    u = torch_like.utils.data
    for name in ["DataLoader", "Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "ConcatDataset",
                 "Subset", "random_split", "get_worker_info", "default_collate", "Sampler", "RandomSampler",
                 "SequentialSampler", "BatchSampler", "WeightedRandomSampler", "SubsetRandomSampler"]:
        assert getattr(u, name) is getattr(gdata, name), name
        assert hasattr(torch.utils.data, name), name  # (PyTorch has each under this path)
    assert DistributedSampler is gdata.DistributedSampler
    assert u.dataloader.DataLoader is gdata.DataLoader and u.sampler.Sampler is gdata.Sampler
