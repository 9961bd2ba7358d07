"""Shared pytest fixtures: project paths and model files. Each area keeps its own
fixtures (e.g. a booted QEMU machine) in tests/<area>/conftest.py."""
import pytest

from myos import BUILD, ROOT
from myos.models import default_model, stories260k


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
def stories260k_path():
    return stories260k()
