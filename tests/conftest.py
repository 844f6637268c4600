"""Test fixtures: seeded RNGs, the committed data samples and the full data sets.

Data: ``sample_dir`` is ``tests/data`` (small real-data samples committed with the repository, so
every clone runs its reader and learning tests). ``data_dir`` is the folder that ``GLASSGRAD_DATA``
names, holding the full data sets; a test that takes it is a full-data test (marker ``full_data``)
and is skipped with ``FULL_DATA_REASON`` when the variable is unset. When ``GLASSGRAD_SKIP_REPORT``
names a file, the session writes there the full-data tests it skipped (one node id a line; empty
when none), which is how ``.ci/run`` fails a CI run that skipped them.
"""
import os
import pathlib

import numpy as np
import pytest

import glassgrad

SAMPLES = pathlib.Path(__file__).resolve().parent / "data"
FULL_DATA_REASON = ("set GLASSGRAD_DATA to the folder holding mnist/, cifar10-subset/, fsdd/, "
                    "sms-spam-collection/ and tinyshakespeare/ to run the full-data tests")
_skipped = []  # node ids of the full-data tests skipped in this session


@pytest.fixture(autouse=True)
def _seed():
    glassgrad.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def sample_dir():
    """``tests/data``: the committed samples (same file names and formats as the full sets)."""
    return SAMPLES


@pytest.fixture(scope="session")
def data_dir():
    """The full data folder from ``GLASSGRAD_DATA``; skips the test when the variable is unset."""
    value = os.environ.get("GLASSGRAD_DATA")
    if not value:
        pytest.skip(FULL_DATA_REASON)
    path = pathlib.Path(value)
    if not path.is_dir():
        pytest.fail(f"GLASSGRAD_DATA={value} is not a folder; point it at the folder holding mnist/, "
                    "cifar10-subset/, ... or unset it to skip the full-data tests", pytrace=False)
    return path


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "data_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.full_data)


def pytest_runtest_logreport(report):
    # Runs in the controlling process under xdist too: workers send their reports there.
    if report.skipped and FULL_DATA_REASON in str(report.longrepr):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session):
    out = os.environ.get("GLASSGRAD_SKIP_REPORT")
    if not out or hasattr(session.config, "workerinput"):  # only the controller writes the report
        return
    tmp = f"{out}.{os.getpid()}.part"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("".join(f"{nodeid}\n" for nodeid in sorted(set(_skipped))))
    os.replace(tmp, out)
