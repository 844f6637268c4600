"""Intra-op parallelism: chunks cover the work exactly once, errors come back, split GEMMs equal
NumPy's, and the ops that split their work (conv, pooling, ReLU, linear) still match PyTorch when
every kernel is forced through the chunked path."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn.functional as F
import test_nn_conv
from parity import check_layer_parity
import test_nn_pool
from glassgrad import parallel
from glassgrad.nn.functional import convolution as conv

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


@pytest.fixture
def eager(monkeypatch):
    """Split every kernel, however small, over 3 threads (uneven chunks of a batch of 2 or 5), and
    work through convolutions one sample per block."""
    threads = parallel.get_num_threads()
    monkeypatch.setattr(parallel, "MIN_BYTES", 1)
    monkeypatch.setattr(parallel, "MIN_FLOPS", 1)
    monkeypatch.setattr(conv, "BLOCK_BYTES", 1)
    parallel.set_num_threads(3)
    yield
    parallel.set_num_threads(threads)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 100])
@pytest.mark.parametrize("grain", [None, 1, 3])
def test_parallel_for_covers_each_index_once(eager, n, grain):
    seen = np.zeros(n, int)
    calls = []

    def fn(lo, hi):
        seen[lo:hi] += 1
        calls.append((lo, hi, threading.get_ident()))
    parallel.parallel_for(n, fn, nbytes=1 << 30, grain=grain)
    assert (seen == 1).all()
    parts = min(n, 3)
    pieces = 1 if parts < 2 else min(n, max(parts, -(-n // grain) if grain else 2 * parts))
    assert len(calls) == pieces
    assert len({t for *_, t in calls}) <= parts


def test_parallel_for_raises_the_error_of_a_chunk(eager):
    def fn(lo, hi):
        if lo > 0:
            raise ValueError(f"chunk {lo}:{hi} failed")
    with pytest.raises(ValueError, match="chunk"):
        parallel.parallel_for(9, fn, nbytes=1 << 30)
    out = np.zeros(9)  # the pool still works afterwards
    parallel.parallel_for(9, lambda lo, hi: out.__setitem__(slice(lo, hi), 1), nbytes=1 << 30)
    assert out.sum() == 9


def test_nested_parallel_for_runs_inside_its_chunk(eager):
    out = np.zeros((6, 4))

    def outer(lo, hi):
        def inner(a, b):
            out[lo:hi, a:b] += 1
        parallel.parallel_for(4, inner, nbytes=1 << 30)
    parallel.parallel_for(6, outer, nbytes=1 << 30)
    assert (out == 1).all()


def test_gang_runs_every_part_at_once_on_its_own_thread(eager):
    barrier = threading.Barrier(3, timeout=10)   # broken unless all three parts run at the same time
    seen = {}

    def part(i):
        barrier.wait()
        seen[i] = threading.get_ident()
    parallel.gang(3, part)
    assert sorted(seen) == [0, 1, 2] and len(set(seen.values())) == 3
    assert seen[0] == threading.get_ident()


def test_gang_raises_a_parts_error_and_refuses_more_parts_than_threads(eager):
    def part(i):
        if i == 2:
            raise ValueError("part 2 failed")
    with pytest.raises(ValueError, match="part 2 failed"):
        parallel.gang(3, part)
    with pytest.raises(ValueError, match="4 parts, but 3 threads"):
        parallel.gang(4, part)
    inside = []
    parallel.parallel_for(2, lambda lo, hi: inside.append(parallel.gang_width()), nbytes=1 << 30)
    assert inside == [1, 1]          # nested in a parallel region, a gang has one part


def test_spinning_counters_hand_out_work_once_and_wait_for_each_other(eager):
    jit_threads = pytest.importorskip("glassgrad.ops.jit_threads")
    _, yield_ = jit_threads.c_functions()
    flags = jit_threads.new_flags(4)      # counters 0-2: the parts' steps; 3: the work items
    taken = [[] for _ in range(3)]
    order = []

    def part(i):
        for step in range(1, 51):
            assert jit_threads.arrive(flags, i, 3, step, yield_)
            order.append(step)
        while (k := jit_threads.claim(flags, 3)) < 200:
            taken[i].append(k)
    parallel.gang(3, part)
    assert sorted(sum(taken, [])) == list(range(200))
    # a part starts step s + 1 only once every part has finished step s
    assert all(step >= max(order[:k]) - 1 for k, step in enumerate(order) if k)
    jit_threads.abort(flags)         # an aborted gang's waits return False at once
    assert not jit_threads.wait(flags, 1, 10 ** 9, yield_)


def test_small_work_runs_in_the_calling_thread():
    calls = []
    parallel.parallel_for(1000, lambda lo, hi: calls.append((lo, hi, threading.get_ident())), nbytes=10)
    assert calls == [(0, 1000, threading.get_ident())]


MATMUL_SHAPES = [((37, 5), (5, 3)), ((3, 5), (5, 41)), ((4, 6, 5), (5, 3)), ((2, 1, 7, 5), (3, 5, 4)),
                 ((7, 5), (3, 5, 4)), ((0, 5), (5, 3)), ((6, 5), (5,)), ((5,), (5, 3))]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
def test_split_matmul_equals_numpy(eager, sa, sb, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose(parallel.matmul(a, b), np.matmul(a, b), rtol=1e-12, atol=1e-12)
    if a.ndim == 2 and b.ndim == 2:  # into a given output, also a column slice of a wider one
        out = np.zeros((a.shape[0], b.shape[1] + 2))
        parallel.matmul(a, b, out=out[:, 1:-1])
        np.testing.assert_allclose(out[:, 1:-1], a @ b, rtol=1e-12, atol=1e-12)
        assert (out[:, [0, -1]] == 0).all()


def test_matmul_of_transposed_operands(eager, rng):
    a, b = rng.standard_normal((40, 9)), rng.standard_normal((40, 7))
    np.testing.assert_allclose(parallel.matmul(a.T, b), a.T @ b, rtol=1e-12, atol=1e-12)


def test_the_blas_stays_on_one_thread_at_any_thread_setting():
    if parallel._blas is None:
        pytest.skip("the BLAS is not OpenBLAS: its threads are left alone")
    set_blas, get_blas = parallel._blas
    threads = parallel.get_num_threads()
    try:
        for n in (2, 1, 3):
            parallel.set_num_threads(n)
            assert get_blas() == 1
            parallel.parallel_for(4, lambda lo, hi: None, nbytes=1 << 30)
            assert get_blas() == 1
    finally:
        parallel.set_num_threads(threads)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2"])
def test_set_num_threads_refuses_bad_counts(bad):
    with pytest.raises(ValueError, match="set_num_threads: expected a positive int"):
        parallel.set_num_threads(bad)


def test_torch_style_names_at_the_top_level():
    assert glassgrad.get_num_threads() == parallel.get_num_threads()
    assert glassgrad.set_num_threads is parallel.set_num_threads


# ---- the ops, forced through the chunked path ----------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", test_nn_conv.CONV2D_CASES)
def test_conv2d_in_blocks_matches_torch(eager, case, dtype, rng):
    test_nn_conv.test_conv2d_matches_torch(case, dtype, True, rng)


def test_conv2d_in_blocks_on_a_bigger_batch(eager, rng):
    # both column layouts (K = 9 per sample, K = 72 channels last), 5 samples over 3 threads
    for c in (1, 8):
        check_layer_parity(lambda x, w, b: F.conv2d(x, w, b, padding=1),
                             lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=1),
                             [rng.standard_normal((5, c, 6, 5)), rng.standard_normal((4, c, 3, 3)),
                              rng.standard_normal(4)], np.float64, rng)


def test_conv_transpose2d_and_double_backward_in_blocks(eager, rng):
    for case in [(2, 4, 5, 5, 6, 3, 2, 1, 0, 1, 2)]:
        test_nn_conv.test_conv_transpose2d_matches_torch(case, np.float64, rng)
    test_nn_conv.test_conv_double_backward_matches_torch(rng)


@pytest.mark.parametrize("kw", test_nn_pool.MAX2D)
def test_max_pool2d_in_chunks_matches_torch(eager, kw, rng):
    test_nn_pool.test_max_pool2d_matches_torch(kw, np.float64, rng)


def test_relu_and_linear_in_chunks_match_torch(eager, rng):
    x, w, b = rng.standard_normal((5, 7)), rng.standard_normal((3, 7)), rng.standard_normal(3)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    xg, wg, bg = (glassgrad.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.relu(torch.nn.functional.linear(xt, wt, bt))
    yg = F.relu(F.linear(xg, wg, bg))
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(yt.shape)
    yt.backward(torch.tensor(dy))
    yg.backward(glassgrad.tensor(dy))
    for g, t in ((xg, xt), (wg, wt), (bg, bt)):
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_the_thread_count_comes_from_the_environment():
    code = "import glassgrad; print(glassgrad.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, GLASSGRAD_NUM_THREADS="3"),
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"
    bad = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, GLASSGRAD_NUM_THREADS="two"),
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "GLASSGRAD_NUM_THREADS must be a positive integer, got 'two'" in bad.stderr
