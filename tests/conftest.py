"""Shared test fixtures: seeded RNGs, PyTorch as the reference, the shared data folder."""
import os
import pathlib

import numpy as np
import pytest

import glassgrad

DATA = pathlib.Path(os.environ.get("GLASSGRAD_DATA", pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(autouse=True)
def _seed():
    glassgrad.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def data_dir():
    if not DATA.is_dir():
        pytest.fail(f"the shared data folder {DATA} is missing (set GLASSGRAD_DATA)")
    return DATA
