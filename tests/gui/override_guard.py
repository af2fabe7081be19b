"""A pytest hook that fails a GUI test when Qt called a Python override that failed.

When Qt calls a virtual through Python and the call fails (an attribute shadowing the virtual,
an exception in an event handler), Shiboken writes "Error calling Python override of …" to the
C-level stderr. It is not a Qt message (``qInstallMessageHandler`` and pytest-qt's
``qt_log_level_fail`` never see it), and the process often goes on, or dies later with SIGSEGV.
pytest captures file descriptor 2 for every test phase, so the hook reads that capture: a phase
that passed but printed the line is reported as failed, naming the override. (With ``-s`` there
is no capture to read; pytest-qt's exception capture still fails what reaches sys.excepthook.)
"""

from __future__ import annotations

import pytest

OVERRIDE_ERROR = "Error calling Python override"


def override_errors(stderr: str) -> list[str]:
    """The lines of ``stderr`` that report a failed call of a Python override."""
    return [line for line in stderr.splitlines() if OVERRIDE_ERROR in line]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.passed:
        own = f"Captured stderr {report.when}"
        errors = override_errors("".join(text for name, text in report.sections if name == own))
        if errors:
            report.outcome = "failed"
            report.longrepr = (
                f"Qt called a Python override that failed during {report.when} "
                "(see tests/gui/test_no_shadowing.py):\n" + "\n".join(errors)
            )
    return report
