"""Shared pytest fixtures: project paths and model files. Each area keeps its own
fixtures (e.g. a booted QEMU machine) in tests/<area>/conftest.py.

Every test that boots MyOS carries the `qemu` marker (pytest.ini), so that
`pytest -m "not qemu"` runs the host tests alone; a test without it that
tries to start QEMU (itself or through `python -m myos`) fails."""
import os
from pathlib import Path

import pytest

from myos import BUILD, ROOT
from myos.models import ModelError, default_model, model_path, stories260k
from myos.qemu import QEMU_FORBIDDEN_ENV


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Runs before the item's fixtures, module-scoped machines included.
    if item.get_closest_marker("qemu"):
        os.environ.pop(QEMU_FORBIDDEN_ENV, None)
    else:
        os.environ[QEMU_FORBIDDEN_ENV] = item.nodeid


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def build_dir():
    return BUILD


@pytest.fixture(scope="session")
def smollm2_path():
    return default_model()


@pytest.fixture(scope="session")
def catalog_model():
    """catalog_model(NAME) -> the installed file of catalogue model NAME
    (myos/models.py). A missing one fails the test, never skips it: `make
    test` installs every catalogue model."""
    def find(name: str) -> Path:
        try:
            return model_path(name)
        except ModelError as e:
            pytest.fail(str(e))
    return find


@pytest.fixture(scope="session")
def qwen_path(catalog_model):
    return catalog_model("qwen2.5-coder-0.5b")


@pytest.fixture(scope="session")
def gemma_path(catalog_model):
    return catalog_model("gemma3-270m")


@pytest.fixture(scope="session")
def stories260k_path():
    return stories260k()


@pytest.fixture(scope="session")
def built():
    """built("tests/NAME") -> the path of a program make builds under build/,
    failing with what to run when it is missing."""
    def find(relative: str) -> Path:
        path = BUILD / relative
        assert path.exists(), f"{path} is missing: run `make test` (or `make {path.relative_to(ROOT)}`)"
        return path
    return find
