"""A local Ray cluster with 2 CPUs for the engine's tests, started once for the session and
stopped at its end (issue 13: tests run a real local cluster, not a mock)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    ray = pytest.importorskip("ray", reason="the cluster extra: pip install -e '.[cluster]'")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        _temp_dir=str(tmp_path_factory.mktemp("ray")),
    )
    yield ray
    ray.shutdown()
