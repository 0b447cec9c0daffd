# Two commands set up everything on a fresh machine:
#   make demo   installs, then runs the demo job on bundled synthetic data
#   make test   installs, starts what the tests need, runs every test
# Both are idempotent: a second run installs nothing new (stamp files keyed on the install inputs: the
# hash is in the stamp's name, so a fresh clone with the same pyproject.toml reuses an existing venv).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
ARGILLA_STAMP := .venv-argilla/.installed-$(shell cat scripts/setup_argilla_venv.sh scripts/argilla-requirements.txt 2>/dev/null | sha256sum | cut -c1-12)
ARGILLA_PORT ?= 6900
DEMO_STORE ?= thinkset-store
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install demo demo-iterate test argilla argilla-venv lint bench clean

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch, pinned: a looser spec pulls a multi-GB CUDA build. Never torchvision here.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[all]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

$(ARGILLA_STAMP):
	bash scripts/setup_argilla_venv.sh
	rm -f .venv-argilla/.installed-*
	touch $@

# argilla-server 2.8.0 pins versions that clash with the toolkit: it gets its own venv.
argilla-venv: $(ARGILLA_STAMP)

argilla: argilla-venv
	.venv-argilla/bin/python scripts/argilla_server.py --port $(ARGILLA_PORT) --data-dir .argilla-home

# Writes the default store ./thinkset-store, so the README's commands work as printed; outputs in demo-out/.
demo: install
	bash scripts/demo.sh $(DEMO_STORE)

# The self-improvement loop in miniature: 2 iterations of SFT + GRPO with the tiny model, on CPU.
demo-iterate: install
	$(BIN)/thinkset iterate recipes/demo-iterate.yaml --iterations 2 --store $(DEMO_STORE)
	@echo "report: $(DEMO_STORE)/loops/demo-iterate/report/report.md (plots beside it)"

# pytest exits 5 when it collected no test: that is a failure here, not a pass.
test: install argilla-venv
	$(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

# The Ray executor, distributed generation and the store on a URL alone (a local Ray, 2 CPUs; moto's S3 server).
# `make test` runs them too: Ray is in the `all` extra and these take a few minutes.
test-distributed: install
	$(BIN)/python -m pytest -q tests/executors tests/store/test_remote_store.py tests/generate/test_ray_llm_backend.py

lint: install
	$(BIN)/ruff check curation training tests benchmarks

bench: install
	$(BIN)/python benchmarks/store_bench.py

clean:
	rm -rf demo-out .pytest_cache
