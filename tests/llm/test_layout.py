"""The shape of the source tree, checked on every commit: the engine's folders
keep their one-way include rules (docs/engine.md, "Layers"), the matrix
product files depend on each other in one direction only, no source file
grows past 800 lines, and every source file opens with what it is for."""
import re
import subprocess
from pathlib import Path

from myos import ROOT

LLM = ROOT / "llm"
# Headers any engine file may include.
LEAVES = {"platform.h", "params.h", "profile.h", "cancel.h", "bytes.h"}
# What each folder may include besides its own files and the leaves.
ALLOWED = {
    "text": set(),
    "matmul": set(),
    # llm.h: the probe (formats/probe.c) implements its part of the API.
    "formats": {"model.h", "llm.h", "arch.h", "text/", "matmul/"},
    # LoRA training runs the model's layers with the shared pieces of the
    # forward pass and reads and writes GGUF adapters.
    "train": {"model.h", "llm.h", "ops.h", "sampler.h", "settings.h", "buffers.h", "formats/", "matmul/",
              "text/"},
}
MAX_LINES = 800
SOURCE_SUFFIXES = {".c", ".h", ".asm", ".inc", ".py", ".mk"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def tracked_files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in out.stdout.splitlines() if (ROOT / line).is_file()]


def includes(path: Path):
    return INCLUDE.findall(path.read_text())


def test_engine_folders_include_one_way():
    bad = []
    for folder, allowed in ALLOWED.items():
        for path in sorted((LLM / folder).glob("*.[ch]")):
            for inc in includes(path):
                ok = (inc in LEAVES or inc.startswith(folder + "/") or inc in allowed
                      or any(inc.startswith(a) for a in allowed if a.endswith("/")))
                if not ok:
                    bad.append(f"{path.relative_to(ROOT)} includes {inc}")
    assert not bad, "includes against the folder rules:\n" + "\n".join(bad)


def module_graph(folder: Path):
    """Module A (A.c and A.h) depends on module B when A.c or A.h includes
    B.h; modules and includes of `folder` only."""
    graph = {}
    for path in sorted(folder.glob("*.[ch]")):
        deps = graph.setdefault(path.stem, set())
        for inc in includes(path):
            target = LLM / inc
            if target.parent == folder and target.stem != path.stem:
                deps.add(target.stem)
    return graph


def find_cycle(graph):
    """One dependency cycle as a list of modules (first = last), or None."""
    done, path = set(), []

    def visit(node):
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            cycle = visit(dep)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle:
            return cycle
    return None


def test_find_cycle_sees_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_matmul_modules_depend_one_way():
    graph = module_graph(LLM / "matmul")
    assert {"quant", "repack", "kernels", "matmul", "select"} <= graph.keys()
    cycle = find_cycle(graph)
    assert cycle is None, "include cycle among llm/matmul: " + " -> ".join(cycle)


def test_engine_never_includes_kernel_headers():
    bad = [f"{p.relative_to(ROOT)} includes {inc}"
           for p in sorted(LLM.rglob("*.[ch]")) if "host" not in p.parts
           for inc in includes(p)
           if not (LLM / inc).is_file()]
    assert not bad, "\n".join(bad)


def test_no_source_file_over_800_lines():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in tracked_files() if p.suffix in SOURCE_SUFFIXES
            for n in [len(p.read_text(errors="replace").splitlines())] if n > MAX_LINES]
    assert not long, "\n".join(long)


def test_every_source_file_says_what_it_is_for():
    missing = []
    for p in tracked_files():
        text = p.read_text(errors="replace").lstrip()
        if p.suffix in {".c", ".h"}:
            ok = text.startswith("/*")
        elif p.suffix in {".asm", ".inc"}:
            ok = text.startswith(";")
        elif p.suffix == ".py":
            ok = p.name == "__init__.py" and not text or text.startswith(('"""', "#"))
        elif p.suffix == ".mk":
            ok = text.startswith("#")
        else:
            continue
        if not ok:
            missing.append(str(p.relative_to(ROOT)))
    assert not missing, "files without a first comment:\n" + "\n".join(missing)
