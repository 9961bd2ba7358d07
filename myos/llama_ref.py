"""llama.cpp (llama-cpp-python) as the project's reference engine: the one
place that opens a model in it for decoding.

On CPUs with AMX (Intel Xeon, Sapphire Rapids and later) the llama.cpp of
llama-cpp-python 0.3.36 repacks the weights into its AMX buffer type and
crashes in its first decode (seen on a 2-core Xeon VM whose CPUID lists
amx_tile). The models here are opened without llama.cpp's extra buffer
types, which computes with its ordinary CPU kernels everywhere."""
from __future__ import annotations

from pathlib import Path


def open_model(model_path: str | Path, **kwargs):
    """llama_cpp.Llama(model_path, **kwargs), without the extra buffer types."""
    import llama_cpp
    import llama_cpp.llama_cpp as low

    defaults = low.llama_model_default_params

    def params():
        p = defaults()
        p.use_extra_bufts = False
        return p

    low.llama_model_default_params = params
    try:
        return llama_cpp.Llama(model_path=str(model_path), **kwargs)
    finally:
        low.llama_model_default_params = defaults
