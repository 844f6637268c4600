"""glassgrad.distributed and DistributedDataParallel on 2 and 4 MPI ranks (mpiexec from tests)."""
import os

import pytest

from mpi_launch import run_ranks

SCRIPTS = os.path.join(os.path.dirname(__file__), "distributed_scripts")


def _check(result, ranks, marker):
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(marker) == ranks, result.stdout + result.stderr


@pytest.mark.parametrize("ranks", [2, 4])
def test_collectives_match_numpy(ranks):
    _check(run_ranks(ranks, os.path.join(SCRIPTS, "collectives.py")), ranks, "collectives ok")


@pytest.mark.parametrize("ranks", [2, 4])
def test_ddp_gives_the_weights_of_one_process_with_the_whole_batch(ranks):
    result = run_ranks(ranks, os.path.join(SCRIPTS, "same_weights.py"))
    _check(result, ranks, "same_weights ok")
    assert f"mlp: {ranks} ranks" in result.stdout and f"cnn: {ranks} ranks" in result.stdout


def test_a_dying_rank_takes_the_job_down_with_its_traceback():
    result = run_ranks(2, os.path.join(SCRIPTS, "dying_rank.py"), timeout=60)
    assert result.returncode != 0
    assert "ValueError: rank 1 ran out of data" in result.stderr
    assert "rank 1 of 2 failed with ValueError" in result.stderr


def test_distributed_sampler_and_loader_workers_under_mpi():
    _check(run_ranks(2, os.path.join(SCRIPTS, "sampler_workers.py")), 2, "sampler_workers ok")


def test_glassgrad_train_under_mpiexec(tmp_path):
    """Two ranks train together; only rank 0 prints and writes the checkpoint, which holds the
    plain model (loadable by `glassgrad evaluate` without MPI)."""
    from glassgrad.cli import main
    out = tmp_path / "digits.safetensors"
    result = run_ranks(2, "-m", "glassgrad.cli", "train", "--dataset", "digits", "--epochs", "3",
                       "--batch-size", "32", "--out", out, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("training mlp on digits") == 1, result.stdout
    assert result.stdout.count("checkpoint saved to") == 1, result.stdout
    assert "2 ranks" in result.stdout, result.stdout
    accuracy = float(result.stdout.split("test accuracy ")[1].split("%")[0])
    assert accuracy > 80.0, result.stdout
    assert main(["evaluate", str(out)]) == 0
