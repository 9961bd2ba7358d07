"""Fixtures for the runtime-library tests: run a host test program that make
built under build/tests/ and hand back its completed process."""
import subprocess

import pytest


@pytest.fixture(scope="session")
def run_lib_program(build_dir):
    def run(name, *args, timeout=120):
        path = build_dir / "tests" / name
        if not path.exists():
            pytest.fail(f"{path} is missing: build it with `make {path.relative_to(build_dir.parent)}`")
        return subprocess.run([str(path), *args], capture_output=True, text=True, timeout=timeout)
    return run
