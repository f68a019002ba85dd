"""A WSGI entry point for the crash test only: after a batch's lines are written (inside the
still-open transaction) it touches a marker file and sleeps, so the test can SIGKILL the server at
exactly that moment. Never imported by the application."""

import os
import time
from pathlib import Path

from config.wsgi import application  # sets Django up first

# isort: split
from billing import services

_apply_lines = services.apply_lines


def _apply_then_pause(**kwargs):  # type: ignore[no-untyped-def]
    result = _apply_lines(**kwargs)
    Path(os.environ["BILLING_TEST_MARKER"]).write_text(str(result.inserted))
    time.sleep(float(os.environ.get("BILLING_TEST_PAUSE_SECONDS", "60")))
    return result


services.apply_lines = _apply_then_pause

__all__ = ["application"]
