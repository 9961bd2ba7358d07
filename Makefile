# MyOS build: `make` builds everything, `make run` boots it, `make test` runs every
# test, `make bench` measures, `make serve` serves the OpenAI API. Each part
# keeps its rules in its own fragment (boot/boot.mk, kernel/kernel.mk,
# llm/llm.mk, kernel/net/net.mk, tests/tests.mk); this file holds
# what they share. Every rule that needs a tool depends on $(SETUP) (order-only),
# which installs the build tools, QEMU and the default model on a fresh machine;
# `make test` and `make bench` add $(TEST_SETUP), the reference packages
# (myos/bootstrap.py), and $(TEST_MODELS_STAMP), every catalogue model the tests
# and benchmarks compare against.
SHELL := /bin/bash
.DEFAULT_GOAL := all
BUILD := build
PY := .venv/bin/python
SETUP := .venv/.run-installed
TEST_SETUP := .venv/.test-installed

# Freestanding 32-bit code: the kernel and the engine as built into it.
# SSE2 is the floor (core2duo and newer); wider kernels are chosen at run time.
# -ffp-contract=off in both builds: no fused multiply-adds, so the kernel and the
# host program round every float operation the same way and generate the same tokens.
KERNEL_CC := gcc
KERNEL_CFLAGS := -m32 -march=i686 -msse -msse2 -mfpmath=sse -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-ffp-contract=off -std=gnu11 -O2 -g -Wall -Wextra -Werror
# The engine and unit-test harnesses built as Linux programs.
HOST_CC := gcc
HOST_CFLAGS := -std=gnu11 -O2 -g -march=native -ffp-contract=off -Wall -Wextra -Werror

.PHONY: all setup image host test-programs run serve test bench clean
all: image host

setup: $(TEST_SETUP)
$(SETUP): requirements-run.txt myos/bootstrap.py
	python3 -m myos.bootstrap run
$(TEST_SETUP): requirements.txt $(SETUP)
	python3 -m myos.bootstrap test

HOST_PROGRAMS :=
TEST_PROGRAMS :=
KERNEL_OBJS :=

include boot/boot.mk
include kernel/lib/lib.mk
include kernel/fs/fs.mk
include kernel/net/net.mk
include kernel/kernel.mk
include llm/llm.mk
include kernel/llm.mk
include tests/tests.mk

# The catalogue models (`python -m myos models`) in the image's /MODELS, e.g.
# `make run MODELS="smollm2 qwen2.5-coder-0.5b gemma3-270m"`; each is installed
# first when it is missing. The default stays SmolLM2 alone, so `make run` is quick.
MODELS := smollm2
image: $(BUILD)/myos.img
# myos-llm writes the models' prepared weights (myos/image.py).
$(BUILD)/myos.img: $(BOOT_BINS) $(KERNEL_BIN) $(MYOS_LLM) $(wildcard myos/*.py) $(BUILD)/image-models | $(SETUP)
	$(PY) -m myos models add $(MODELS)
	$(PY) -m myos image -o $@ $(addprefix --model ,$(MODELS))
# The model list the image was built with: rewritten (and the image rebuilt)
# only when MODELS changes.
$(BUILD)/image-models: FORCE
	@mkdir -p $(dir $@)
	@echo "$(MODELS)" | cmp -s - $@ || echo "$(MODELS)" > $@
.PHONY: FORCE

host: $(HOST_PROGRAMS)
# The harnesses and fuzz targets the tests run, without running them.
test-programs: $(TEST_PROGRAMS)

run: all
	$(PY) -m myos run --image $(BUILD)/myos.img

# The OpenAI-compatible API at http://127.0.0.1:$(PORT)/v1 until Ctrl+C.
PORT ?= 8080
serve: all
	$(PY) -m myos serve --port $(PORT)

# Every catalogue model, installed once (the tests fail, never skip, without one).
TEST_MODELS := smollm2 qwen2.5-coder-0.5b gemma3-270m
TEST_MODELS_STAMP := .venv/.test-models-installed
$(TEST_MODELS_STAMP): myos/models.py | $(SETUP)
	$(PY) -m myos models add $(TEST_MODELS) && touch $@

test: all $(TEST_PROGRAMS) $(TEST_MODELS_STAMP) | $(TEST_SETUP)
	$(PY) -m pytest -q --durations=25 tests

bench: all $(TEST_MODELS_STAMP) | $(TEST_SETUP)
	$(PY) -m myos bench

clean:
	rm -rf $(BUILD)
