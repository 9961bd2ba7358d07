# soak.mk: `make soak` runs the soak (tests/soak/) for SOAK_SECONDS (10 minutes
# by default; SOAK_SEED=N replays a run). `make test` runs it for one minute.
SOAK_SECONDS ?= 600

.PHONY: soak
soak: all
	SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m pytest -q -s tests/soak
