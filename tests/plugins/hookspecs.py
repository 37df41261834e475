"""Hooks the core plugin adds to pytest, for the domain plugins to implement."""
from __future__ import annotations

import pytest


@pytest.hookspec
def pytest_schoolhub_factory_parts() -> type:
    """A mixin class of factory methods for one domain (e.g. `lesson(...)`), made through its services.

    The `factory` fixture (and the browser harness's `live_factory`) is one class built from the core
    Factory and every plugin's part. A part's methods use `self.db`, `self.app` and `self._next()`; each
    public method runs inside the app's context; two parts may not define the same method.
    """
