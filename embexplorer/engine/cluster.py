"""Connecting to a Ray cluster: an existing one (``--address``) or a local one started for the
run and stopped after it. Ray is imported here, lazily, with a clear message when the extra is
missing."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from embexplorer.core.errors import InputError

INSTALL_HINT = "pip install 'embexplorer[cluster]'"


def import_ray() -> Any:
    """Ray, or an InputError saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise InputError(
            f"--engine ray needs Ray, which is not installed ({exc}); install it with: "
            f"{INSTALL_HINT}"
        ) from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """Ray, connected for the block: to ``address`` (an existing cluster, e.g. ``ray://host:10001``
    or ``auto``), else to the cluster this process is already connected to (the tests' fixture),
    else a local one with ``num_cpus`` CPUs, started here and shut down on the way out."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    options: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
    }
    if address:
        options["address"] = address
    else:
        options["num_cpus"] = num_cpus or os.cpu_count() or 1
    try:
        ray.init(**options)
    except ConnectionError as exc:
        raise InputError(f"cannot connect to the Ray cluster at {address!r}: {exc}") from None
    try:
        yield ray
    finally:
        ray.shutdown()
