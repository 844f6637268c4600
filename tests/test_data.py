"""glassgrad.data: datasets, samplers, DataLoader, transforms, and readers on real files (the
committed samples in tests/data everywhere, the full sets where GLASSGRAD_DATA points to them) and on
corrupted/truncated copies."""
import gzip
import os
import struct

import numpy as np
import pytest

import glassgrad
from glassgrad import data as D
from glassgrad.data import transforms as T


# ---- Dataset, DataLoader, samplers -------------------------------------------------------------

def _toy(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return D.TensorDataset(glassgrad.tensor(x), glassgrad.tensor(y)), x, y


def test_tensor_dataset_indexing_and_length():
    ds, x, y = _toy()
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert yi.item() == 3
    with pytest.raises(ValueError, match="size mismatch"):
        D.TensorDataset(glassgrad.zeros(3, 2), glassgrad.zeros(4))


@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_batches_in_order(drop_last):
    ds, x, y = _toy(10)
    dl = D.DataLoader(ds, batch_size=4, drop_last=drop_last)
    batches = list(dl)
    assert len(dl) == len(batches) == (2 if drop_last else 3)
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3)] + ([] if drop_last else [(2, 3)])
    got = np.concatenate([b[1].numpy() for b in batches])
    np.testing.assert_array_equal(got, y[:len(got)])
    assert batches[0][0].dtype == glassgrad.float32 and batches[0][1].dtype == glassgrad.int64


def test_dataloader_shuffle_is_a_permutation_and_reproducible():
    ds, x, y = _toy(50)

    def run(seed):
        glassgrad.manual_seed(seed)
        dl = D.DataLoader(ds, batch_size=7, shuffle=True)
        return [np.concatenate([b[1].numpy() for b in dl]) for _ in range(2)]

    a1, a2 = run(1)
    b1, b2 = run(1)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert sorted(a1.tolist()) == list(range(50))
    assert not np.array_equal(a1, a2)          # a new order every epoch
    assert not np.array_equal(a1, np.arange(50))
    c1, _ = run(2)
    assert not np.array_equal(a1, c1)


def test_dataloader_generator_controls_the_order():
    ds, _, _ = _toy(30)
    orders = []
    for _ in range(2):
        g = glassgrad.Generator().manual_seed(123)
        glassgrad.manual_seed(len(orders))  # the global seed must not matter
        orders.append(np.concatenate([b[1].numpy() for b in D.DataLoader(ds, batch_size=8, shuffle=True, generator=g)]))
    np.testing.assert_array_equal(*orders)


def test_fast_path_matches_per_sample_collate():
    ds, _, _ = _toy(23)
    glassgrad.manual_seed(5)
    fast = list(D.DataLoader(ds, batch_size=5, shuffle=True))
    glassgrad.manual_seed(5)
    slow = list(D.DataLoader(ds, batch_size=5, shuffle=True, collate_fn=D.default_collate))
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


def test_default_collate_structures():
    batch = [{"x": np.ones(2, np.float32), "n": 1, "f": 0.5, "s": "a", "t": (glassgrad.tensor([1.0]), 2)},
             {"x": np.zeros(2, np.float32), "n": 2, "f": 1.5, "s": "b", "t": (glassgrad.tensor([2.0]), 3)}]
    out = D.default_collate(batch)
    assert out["x"].shape == (2, 2) and out["x"].dtype == glassgrad.float32
    assert out["n"].dtype == glassgrad.int64 and out["n"].tolist() == [1, 2]
    assert out["f"].dtype == glassgrad.float64 and out["f"].tolist() == [0.5, 1.5]
    assert out["s"] == ["a", "b"]
    assert out["t"][0].shape == (2, 1) and out["t"][1].tolist() == [2, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        D.default_collate([np.zeros(2), np.zeros(3)])


def test_custom_collate_and_batch_sampler():
    ds, _, _ = _toy(6)
    dl = D.DataLoader(ds, batch_sampler=[[0, 5], [2]], collate_fn=lambda items: [int(s[1]) for s in items])
    assert list(dl) == [[0, 5], [2]]
    bs = D.BatchSampler(D.SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    assert len(D.BatchSampler(range(7), 3, drop_last=True)) == 2


def test_dataloader_argument_errors():
    ds, _, _ = _toy()
    with pytest.raises(ValueError, match="mutually exclusive"):
        D.DataLoader(ds, shuffle=True, sampler=D.SequentialSampler(ds))
    with pytest.raises(ValueError, match="positive integer"):
        D.DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        D.DataLoader(ds, batch_size=2, batch_sampler=[[0]])


def test_samplers():
    glassgrad.manual_seed(0)
    s = D.SubsetRandomSampler([10, 20, 30, 40])
    assert sorted(s) == [10, 20, 30, 40] and len(s) == 4
    r = D.RandomSampler(range(5), replacement=True, num_samples=50)
    drawn = list(r)
    assert len(drawn) == 50 and set(drawn) <= set(range(5))
    w = list(D.WeightedRandomSampler([0, 0, 1], num_samples=10))
    assert w == [2] * 10
    with pytest.raises(ValueError, match="num_samples"):
        D.RandomSampler(range(3), num_samples=0)


def test_random_split_lengths_fractions_and_generator():
    ds, _, _ = _toy(10)
    a, b = D.random_split(ds, [7, 3], generator=glassgrad.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10))
    c, d = D.random_split(ds, [7, 3], generator=glassgrad.Generator().manual_seed(0))
    assert c.indices == a.indices
    parts = D.random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = D.random_split(range(11), [0.5, 0.5])
    assert [len(p) for p in parts] == [6, 5]
    with pytest.raises(ValueError, match="does not equal"):
        D.random_split(ds, [5, 4])
    # a Subset keeps the batched fast path
    batch = next(iter(D.DataLoader(a, batch_size=7)))
    np.testing.assert_array_equal(batch[1].numpy(), np.array(a.indices))


# ---- transforms ----------------------------------------------------------------------------------

def test_to_tensor_and_normalize():
    img = np.arange(12, dtype=np.uint8).reshape(2, 3, 2) * 20  # HWC
    t = T.ToTensor()(img)
    assert t.shape == (2, 2, 3) and t.dtype == glassgrad.float32
    np.testing.assert_allclose(t.numpy(), img.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    gray = T.ToTensor()(np.full((4, 5), 255, np.uint8))
    assert gray.shape == (1, 4, 5) and gray.numpy().max() == 1.0
    n = T.Normalize([0.5, 0.25], [0.5, 2.0])(t)
    expect = (img.transpose(2, 0, 1) / 255.0 - np.array([0.5, 0.25])[:, None, None]) / np.array([0.5, 2.0])[:, None, None]
    np.testing.assert_allclose(n.numpy(), expect, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize([0.0], [0.0])
    with pytest.raises(ValueError, match="channels"):
        T.Normalize([0, 0, 0], [1, 1, 1])(t)
    composed = T.Compose([T.ToTensor(), T.Normalize([0.5, 0.25], [0.5, 2.0])])
    np.testing.assert_allclose(composed(img).numpy(), n.numpy())
    batched = composed.batched(np.stack([img, img]))
    np.testing.assert_allclose(batched.numpy()[1], n.numpy(), rtol=1e-6)


def test_standardize_fitted_on_training_data_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, size=(200, 4)).astype(np.float32)
    test = rng.normal(-1.0, 1.0, size=(50, 4)).astype(np.float32)
    s = T.Standardize().fit(D.TensorDataset(glassgrad.tensor(train), glassgrad.zeros(200)))
    out = s.batched(train).numpy()
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1, atol=1e-4)
    np.testing.assert_allclose(s(test[0]).numpy(), (test[0] - train.mean(0)) / train.std(0), rtol=1e-4)
    assert abs(s.batched(test).numpy().mean()) > 0.5  # test data is not re-fitted
    with pytest.raises(RuntimeError, match="fit"):
        T.Standardize()(train[0])
    per_channel = T.Standardize(per_channel=True).fit(rng.normal(size=(10, 3, 4, 4)))
    assert per_channel.mean.shape == (3, 1, 1)


# ---- IDX (MNIST) ------------------------------------------------------------------------------------

def _decode_idx_gz(path):
    """An independent IDX decoder (gzip + struct + NumPy) to check glassgrad's reader against."""
    raw = gzip.decompress(open(path, "rb").read())
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype_code == 0x08  # unsigned bytes
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def test_mnist_sample_matches_an_independent_decode(sample_dir):
    root = sample_dir / "mnist"
    train = D.MNIST(root, train=True)
    test = D.MNIST(root, train=False, transform=T.ToTensor())
    assert train.data.shape == (2000, 28, 28) and train.data.dtype == np.uint8 and len(test) == 500
    for split, ds in (("train", train), ("t10k", test)):
        np.testing.assert_array_equal(ds.data, _decode_idx_gz(root / f"{split}-images-idx3-ubyte.gz"))
        np.testing.assert_array_equal(ds.targets, _decode_idx_gz(root / f"{split}-labels-idx1-ubyte.gz"))
    assert train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # MNIST's published first labels
    img, label = test[0]
    assert img.shape == (1, 28, 28) and img.dtype == glassgrad.float32 and label == 7
    np.testing.assert_allclose(img.numpy()[0], test.data[0] / 255, rtol=1e-6)
    x, y = next(iter(D.DataLoader(test, batch_size=16)))
    assert x.shape == (16, 1, 28, 28) and y.dtype == glassgrad.int64
    np.testing.assert_allclose(x.numpy()[0], img.numpy())
    assert y.tolist() == test.targets[:16].tolist()


def test_mnist_real_files(data_dir, sample_dir):
    train = D.MNIST(data_dir / "mnist", train=True)
    test = D.MNIST(data_dir / "mnist", train=False, transform=T.ToTensor())
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == np.uint8
    assert len(test) == 10000
    assert np.bincount(train.targets).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(test.targets).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(train.data.mean() / 255 - 0.1307) < 1e-3
    img, label = test[0]
    assert img.shape == (1, 28, 28) and img.dtype == glassgrad.float32 and label == 7
    x, y = next(iter(D.DataLoader(test, batch_size=16)))
    assert x.shape == (16, 1, 28, 28) and y.dtype == glassgrad.int64
    np.testing.assert_allclose(x.numpy()[0], img.numpy())
    sample = D.MNIST(sample_dir / "mnist", train=True)  # the committed sample is the full set's first images
    np.testing.assert_array_equal(train.data[:len(sample)], sample.data)
    np.testing.assert_array_equal(train.targets[:len(sample)], sample.targets)


def test_idx_roundtrip_raw_and_gz(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("x-idx3-ubyte", "x-idx3-ubyte.gz"):
        D.write_idx(tmp_path / name, a)
        np.testing.assert_array_equal(D.read_idx(tmp_path / name), a)
    f = np.linspace(-1, 1, 6).astype(np.float32)
    D.write_idx(tmp_path / "f.idx", f)
    np.testing.assert_array_equal(D.read_idx(tmp_path / "f.idx"), f)


def _copy_mnist(sample_dir, tmp_path, train=False):
    prefix = "train" if train else "t10k"
    for kind in ("images-idx3", "labels-idx1"):
        name = f"{prefix}-{kind}-ubyte.gz"
        (tmp_path / name).write_bytes((sample_dir / "mnist" / name).read_bytes())
    return tmp_path


def test_mnist_truncated_gzip_names_the_file(sample_dir, tmp_path):
    _copy_mnist(sample_dir, tmp_path)
    p = tmp_path / "t10k-images-idx3-ubyte.gz"
    p.write_bytes(p.read_bytes()[:5000])
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz.*(truncated|corrupt)"):
        D.MNIST(tmp_path, train=False)


def test_mnist_truncated_raw_data(sample_dir, tmp_path):
    _copy_mnist(sample_dir, tmp_path)
    raw = gzip.decompress((tmp_path / "t10k-images-idx3-ubyte.gz").read_bytes())
    os.remove(tmp_path / "t10k-images-idx3-ubyte.gz")
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(raw[:-100])  # raw files are read too
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte: truncated IDX file: dimensions \(500, 28, 28\)"):
        D.MNIST(tmp_path, train=False)


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b"\x01\x02" + b[2:], "bad magic number"),
    (lambda b: b[:2] + b"\x08\x01" + b[4:], "expected 3"),
    (lambda b: b + b"\x00" * 7, "extra data"),
    (lambda b: b[:10], "truncated IDX header"),
])
def test_corrupt_idx_files(tmp_path, mutate, message):
    a = np.zeros((3, 2, 2), np.uint8)
    D.write_idx(tmp_path / "good", a)
    (tmp_path / "bad").write_bytes(mutate((tmp_path / "good").read_bytes()))
    with pytest.raises(ValueError, match=message) as e:
        D.read_idx(tmp_path / "bad", expected_ndim=3)
    assert "bad" in str(e.value)


def test_mnist_label_count_mismatch(tmp_path):
    D.write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8))
    D.write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="4 images but .* 3 labels"):
        D.MNIST(tmp_path, train=False)


def test_missing_files_message_says_what_to_put_where(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        D.FashionMNIST(tmp_path, train=True)
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg and str(tmp_path) in msg
    with pytest.raises(FileNotFoundError, match="test_batch.bin"):
        D.CIFAR10(tmp_path, train=False)


def test_download_offline_fails_with_the_files_to_put_where(tmp_path, monkeypatch):
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(D.DownloadError) as e:
        D.MNIST(tmp_path, train=False, download=True)
    msg = str(e.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and str(tmp_path) in msg and "network is unreachable" in msg
    assert [p.name for p in tmp_path.iterdir()] == []  # no partial files left


def test_download_writes_via_temp_file_and_checks_md5(tmp_path, monkeypatch):
    import hashlib
    import io
    import urllib.request
    payload = b"hello data"
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: io.BytesIO(payload))
    out = D.download_url("http://example/x", tmp_path / "x.bin", md5=hashlib.md5(payload).hexdigest())
    assert open(out, "rb").read() == payload
    with pytest.raises(D.DownloadError, match="md5"):
        D.download_url("http://example/x", tmp_path / "y.bin", md5="0" * 32)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]


# ---- CIFAR-10 ------------------------------------------------------------------------------------------

def _cifar_planes(path, record):
    """Record ``record`` of a CIFAR-10 binary file decoded by hand: (label, red, green, blue) as 32x32."""
    with open(path, "rb") as f:
        f.seek(record * 3073)
        raw = f.read(3073)
    planes = [np.array(list(raw[1 + 1024 * c:1 + 1024 * (c + 1)]), np.uint8).reshape(32, 32) for c in range(3)]
    return raw[0], *planes


def test_cifar10_sample_matches_an_independent_decode(sample_dir):
    root = sample_dir / "cifar10-subset"
    train = D.CIFAR10(root, train=True)
    test = D.CIFAR10(root, train=False, transform=T.ToTensor())
    assert train.data.shape == (500, 32, 32, 3) and train.data.dtype == np.uint8 and len(test) == 200
    for ds, name in ((train, "data_batch_1_first500.bin"), (test, "test_batch_first200.bin")):
        for i in (0, 1, 137, len(ds) - 1):
            label, r, g, b = _cifar_planes(root / name, i)
            assert ds.targets[i] == label
            np.testing.assert_array_equal(ds.data[i], np.stack([r, g, b], axis=-1))
        labels = np.frombuffer((root / name).read_bytes(), np.uint8)[::3073]
        np.testing.assert_array_equal(ds.targets, labels)
    # published facts about the originals (see tests/data/cifar10-subset/README.md)
    assert train.targets[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert test.targets[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    assert train.data[0, 0, :3, 0].tolist() == [59, 43, 50] and train.data[0, 31, -3:, 2].tolist() == [140, 84, 72]
    assert test.data[0, 0, :4, 0].tolist() == [158, 159, 165, 166]
    x, y = next(iter(D.DataLoader(test, batch_size=8)))
    assert x.shape == (8, 3, 32, 32) and abs(x.numpy()[0, 0, 0, 0] - 158 / 255) < 1e-6
    assert y.tolist() == [3, 8, 8, 0, 6, 6, 1, 6]


def test_cifar10_real_files(data_dir, sample_dir):
    train = D.CIFAR10(data_dir / "cifar10-subset", train=True)
    test = D.CIFAR10(data_dir / "cifar10-subset", train=False, transform=T.ToTensor())
    assert train.data.shape == (4000, 32, 32, 3) and len(test) == 1000
    assert train.targets[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert test.targets[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    assert np.bincount(train.targets).tolist() == [396, 366, 420, 384, 422, 393, 414, 385, 407, 413]
    assert train.data[0, 0, :3, 0].tolist() == [59, 43, 50]           # red plane, first pixels
    assert test.data[0, 0, :4, 0].tolist() == [158, 159, 165, 166]
    x, y = next(iter(D.DataLoader(test, batch_size=8)))
    assert x.shape == (8, 3, 32, 32) and abs(x.numpy()[0, 0, 0, 0] - 158 / 255) < 1e-6
    sample = D.CIFAR10(sample_dir / "cifar10-subset", train=False)  # the sample is the subset's first records
    np.testing.assert_array_equal(test.data[:len(sample)], sample.data)


def test_cifar10_truncated_and_bad_labels(sample_dir, tmp_path):
    src = (sample_dir / "cifar10-subset" / "test_batch_first200.bin").read_bytes()
    (tmp_path / "test_batch.bin").write_bytes(src[:3073 * 3 + 100])
    with pytest.raises(ValueError, match=r"test_batch\.bin: truncated or corrupt CIFAR-10 batch.*3 whole records and 100 bytes"):
        D.CIFAR10(tmp_path, train=False)
    bad = bytearray(src[:3073 * 2])
    bad[3073] = 42
    (tmp_path / "test_batch.bin").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="record 1 has label 42"):
        D.CIFAR10(tmp_path, train=False)


# ---- CSV and digits ----------------------------------------------------------------------------------

def test_csv_dataset_named_target_and_string_classes(tmp_path):
    p = tmp_path / "iris.csv"
    p.write_text("a,b,species,c\n1,2,setosa,3\n4,5,virginica,6\n7,8,setosa,9\n")
    ds = D.CSVDataset(p, target_column="species")
    assert ds.classes == ["setosa", "virginica"] and ds.task == "classification"
    np.testing.assert_array_equal(ds.data, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    x, y = next(iter(D.DataLoader(ds, batch_size=3)))
    assert x.dtype == glassgrad.float32 and y.tolist() == [0, 1, 0]


def test_csv_dataset_numeric_targets_and_errors(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("1,2,0.5\n3,4,1.5\n")
    ds = D.CSVDataset(p)
    assert ds.task == "regression" and ds.targets.dtype == np.float32
    q = tmp_path / "c.csv"
    q.write_text("x,y\n1.5,1\n2.5,0\n")
    ds = D.CSVDataset(q, target_column=-1)
    assert ds.task == "classification" and ds.targets.tolist() == [1, 0]
    bad = tmp_path / "bad.csv"
    bad.write_text("x,z,y\n1,2,1\n3,oops,0\n")
    with pytest.raises(ValueError, match=r"bad\.csv: row 3, column 'z': 'oops' is not a number"):
        D.CSVDataset(bad, target_column="y")
    with pytest.raises(ValueError, match="no column named 'w'"):
        D.CSVDataset(q, target_column="w")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("1,2,3\n4,5\n")
    with pytest.raises(ValueError, match="row 2 has 2 columns"):
        D.CSVDataset(ragged)
    arr = D.CSVDataset(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), task="regression")
    assert arr.targets.tolist() == [3.0, 6.0]


def test_load_digits():
    ds = D.load_digits()
    assert len(ds) == 1797
    x, y = ds[0]
    assert x.shape == (64,) and x.dtype == glassgrad.float32 and 0 <= x.numpy().min() and x.numpy().max() <= 1
    assert D.load_digits(as_images=True)[0][0].shape == (1, 8, 8)


def test_load_digits_without_sklearn(monkeypatch):
    import builtins
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        D.load_digits()
