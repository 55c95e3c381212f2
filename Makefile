# Each target bootstraps .venv itself: a fresh clone needs nothing else first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-full report bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

test-full: $(STAMP)
	FWDREV_HYPOTHESIS_PROFILE=full $(BIN)/python -m pytest

report: $(STAMP)
	$(BIN)/fwdrev report

# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, where a machine sets them for old OpenBLAS
# builds, force a slower kernel on NumPy's current one: measure without them.
# glibc's malloc thresholds are fixed, so that no ratio rests on the page faults
# another contender pays (benchmarks/PERFORMANCE.md).
BENCH_MALLOC := MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456
bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_MALLOC) $(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info fwdrev-report fwdrev-draw
