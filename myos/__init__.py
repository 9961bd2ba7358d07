"""MyOS host-side tools: build, disk images, QEMU driver, reference math, benchmarks."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SHARED_MODELS = ROOT.parent / "shared" / "models"
