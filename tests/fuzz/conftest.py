"""Hypothesis profiles for the fuzz tests, and the limits they run under.

``ci`` (the default) is brief and deterministic: every run tries the same examples, so the
suite cannot fail by chance, and the fuzz tests add about 13 s to ``pytest`` on two idle
cores (25 s when other work shares them; about 1,500 examples in all). ``long``
(``HYPOTHESIS_PROFILE=long``) is for a run before a release or after a change to a reader:
random examples, :data:`LONG_FACTOR` times as many, and failures remembered in a database
outside the repository so that a rerun tries them first::

    HYPOTHESIS_PROFILE=long pytest tests/fuzz -m fuzz -p no:cacheprovider

Each test names its own number of examples (:func:`examples`), since a session restore costs
tens of times what a CSV read does.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.fuzz.budget import SCALED_INFLATE_FLOOR, SCALED_RATIO_FREE

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
#: How many times more examples each test runs under the long profile.
LONG_FACTOR = 150

_COMMON = {
    "deadline": None,  # a first call imports pyarrow or sklearn: timing says nothing here
    "print_blob": True,  # a failure prints the @reproduce_failure line to replay it
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        # tests/conftest.py's autouse fixture only points settings at a temporary folder,
        # which every example may share
        HealthCheck.function_scoped_fixture,
    ],
}
settings.register_profile("ci", derandomize=True, database=None, **_COMMON)
settings.register_profile(
    "long",
    derandomize=False,
    database=DirectoryBasedExampleDatabase(Path(tempfile.gettempdir()) / "embexplorer-hypothesis"),
    **_COMMON,
)
settings.load_profile(PROFILE)


def examples(ci: int) -> settings:
    """Settings for a test that tries ``ci`` examples under the ci profile."""
    return settings(max_examples=ci * LONG_FACTOR if PROFILE == "long" else ci)


@pytest.fixture(scope="session", autouse=True)
def _scaled_limits():
    """The limits of core.io.limits at sizes a test can reach (see tests/fuzz/budget.py)."""
    from embexplorer.core.io import limits

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(limits, "INFLATE_FLOOR_BYTES", SCALED_INFLATE_FLOOR)
        mp.setattr(limits, "RATIO_FREE_BYTES", SCALED_RATIO_FREE)
        yield


@pytest.fixture(scope="session")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")
