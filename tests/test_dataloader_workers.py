"""DataLoader(num_workers > 0): real worker processes, same batches as num_workers=0."""
import glob
import os

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassgrad as gg
from glassgrad.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info


class Squares(Dataset):
    """Sample i: (an array computed from i, i, the pid and worker id that made it)."""

    def __init__(self, n=23, fail_at=None, exit_at=None):
        self.n, self.fail_at, self.exit_at = n, fail_at, exit_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"sample {i} is corrupt")
        if i == self.exit_at:
            os._exit(3)
        info = get_worker_info()
        return (np.full((2, 3), i * i, np.float32), i, os.getpid(), -1 if info is None else info.id)


def _batches(loader):
    return [[t.numpy().copy() if isinstance(t, gg.Tensor) else t for t in b] for b in loader]


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("workers,prefetch,drop_last", [(2, None, False), (3, 1, True)])
def test_same_batches_in_the_same_order_as_in_process(workers, prefetch, drop_last):
    for make_gen in (lambda: None, lambda: gg.Generator().manual_seed(5)):
        gg.manual_seed(11)
        single = _batches(DataLoader(Squares(), batch_size=4, shuffle=True, drop_last=drop_last,
                                     generator=make_gen()))
        gg.manual_seed(11)
        multi = _batches(DataLoader(Squares(), batch_size=4, shuffle=True, drop_last=drop_last, generator=make_gen(),
                                    num_workers=workers, prefetch_factor=prefetch))
        _same([b[:2] for b in single], [b[:2] for b in multi])
        assert {int(p) for b in multi for p in b[2]} & {os.getpid()} == set()
        # batch k comes from worker k mod workers
        assert [int(b[3][0]) for b in multi] == [k % workers for k in range(len(multi))]
    x = gg.randn(37, 5)
    fast = TensorDataset(x, gg.arange(37))   # has get_batch: the workers use it too
    gg.manual_seed(2)
    single = _batches(DataLoader(fast, batch_size=8, shuffle=True))
    gg.manual_seed(2)
    _same(single, _batches(DataLoader(fast, batch_size=8, shuffle=True, num_workers=2)))


def test_worker_info_seeds_and_init_fn():
    assert get_worker_info() is None

    class Draws(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            info = get_worker_info()
            return np.array([info.id, info.num_workers, info.seed % 1000003, gg.rand(1).item(),
                             np.random.rand(), float(os.environ.get("GG_TEST_INIT", "-1"))])

    def init(worker_id):
        os.environ["GG_TEST_INIT"] = str(worker_id * 10)
        assert get_worker_info().id == worker_id

    def run():
        gg.manual_seed(3)
        return np.concatenate([b.numpy() for b in DataLoader(Draws(), batch_size=2, num_workers=2,
                                                             worker_init_fn=init)])
    rows = run()
    np.testing.assert_array_equal(rows, run())                 # reproducible from the seed
    ids = rows[:, 0].astype(int)
    assert ids.tolist() == [0, 0, 1, 1, 0, 0, 1, 1]
    assert (rows[:, 1] == 2).all() and (rows[:, 5] == ids * 10).all()
    seed0, seed1 = rows[ids == 0, 2][0], rows[ids == 1, 2][0]
    assert (seed1 - seed0) % 1000003 == 1                      # base_seed + worker_id
    assert rows[0, 3] != rows[2, 3] and rows[0, 4] != rows[2, 4]   # workers draw different numbers


def test_a_worker_exception_is_raised_here_with_its_traceback():
    loader = DataLoader(Squares(fail_at=9), batch_size=4, num_workers=2)
    with pytest.raises(ValueError) as info:
        _batches(loader)
    text = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0" in text
    assert "sample 9 is corrupt" in text and "__getitem__" in text and "Traceback" in text


def test_a_dead_worker_is_reported():
    loader = iter(DataLoader(Squares(exit_at=5), batch_size=2, num_workers=2))
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+, exit code 3\) exited unexpectedly"):
        list(loader)
    assert not [f for w in loader._workers for f in glob.glob(f"/dev/shm/glassgrad-loader-{w.pid}-*")]


def test_persistent_workers_live_across_epochs_and_batches_use_shared_memory():
    loader = DataLoader(Squares(), batch_size=5, shuffle=True, num_workers=2, persistent_workers=True,
                        pin_memory=True)
    gg.manual_seed(4)
    first = _batches(loader)
    second = list(loader)
    assert {int(p) for b in first for p in b[2]} == {int(p) for b in second for p in b[2]}
    array = second[0][0].array
    owner = array
    while isinstance(owner, np.ndarray):
        owner = owner.base
    assert type(owner.obj).__name__ == "mmap" and array.flags.writeable   # mapped, not copied
    for _ in range(2):                         # leaving an epoch early: its leftovers are dropped
        for k, b in enumerate(loader):
            if k == 1:
                break
    gg.manual_seed(4)
    reference = DataLoader(Squares(), batch_size=5, shuffle=True)
    _same([b[:2] for b in first], [b[:2] for b in _batches(reference)])
    third = _batches(loader)
    assert sorted(int(i) for b in third for i in b[1]) == list(range(23))
    pids = {int(p) for b in first for p in b[2]}
    loader._workers.shutdown()
    assert not [f for p in pids for f in glob.glob(f"/dev/shm/glassgrad-loader-{p}-*")]


class _Stream:
    """0..n-1 times 1.5, split between workers by get_worker_info (for our loader and PyTorch's)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = self.worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(np.arange(start, self.n, step, dtype=np.int64) * 1.5)

    def __len__(self):
        return self.n


class Stream(_Stream, IterableDataset):
    worker_info = staticmethod(get_worker_info)


class TorchStream(_Stream, tud.IterableDataset):
    worker_info = staticmethod(tud.get_worker_info)


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
@pytest.mark.parametrize("workers", [0, 2, 3])
def test_iterable_dataset_like_pytorch(workers):
    ours = [b.tolist() for b in DataLoader(Stream(17), batch_size=3, num_workers=workers)]
    theirs = [b.tolist() for b in tud.DataLoader(TorchStream(17), batch_size=3,
                                                  num_workers=workers)]
    assert ours == theirs
    assert len(DataLoader(Stream(17), batch_size=3)) == 6
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified shuffle"):
        DataLoader(Stream(3), shuffle=True)


def test_bad_worker_options():
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(Squares(), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Squares(), persistent_workers=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(Squares(), num_workers=-1)
