# ipslink: `make demo` runs the pipeline on synthetic data, `make test` runs the tests.
SHELL := /bin/bash
NPM_STAMP := node_modules/.package-lock.json
CONFIG ?= config/demo.yaml
PERSONS ?= 20000
SEED ?= 20261121
IPSLINK := node --import tsx src/cli/main.ts
# The installed entry point: the compiled CLI under dist/ (see `build`).
IPSLINK_BUILT := node bin/ipslink.js
DIST_MAIN := dist/src/cli/main.js

.PHONY: demo test lint format tables bench simulate validate reference clean install fuzz build wasm

install: $(NPM_STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

# Compiles src/ and pipelines/ to dist/ (ES modules with source maps), which bin/ipslink.js runs
# without tsx, so `ipslink --help` starts in a fraction of a second. Rebuilt only when a source changed
# (the directories are prerequisites too, for a file added or removed); dist/ is removed first so that
# no file of an earlier build is left (the run fingerprint hashes dist/). The WebAssembly binaries under src/
# are copied beside the compiled modules that load them.
build: $(DIST_MAIN)

$(DIST_MAIN): $(NPM_STAMP) tsconfig.json tsconfig.build.json $(shell find src pipelines -name '*.ts' -o -name '*.wasm' -o -type d)
	rm -rf dist
	npx tsc -p tsconfig.build.json
	cd src && find . -name '*.wasm' -exec cp --parents {} ../dist/src \;

# Assembles each WebAssembly text file under src/ (*.wat) into the binary beside it (*.wasm), which is
# committed: run it after editing a .wat (a test fails until then).
wasm: install
	node --import tsx tools/assemble-wasm.ts

# The synthetic world is made once, as two deliveries (the second corrects
# the first); with nothing new, a second `make demo` is a no-op (publishes
# nothing; `ipslink run --force` recomputes).
demo: build
	@if [ ! -f data/demo/landing/synth-$(SEED).2/delivery.json ]; then \
		$(IPSLINK_BUILT) synth --out data/demo/landing/synth-$(SEED) --persons $(PERSONS) --seed $(SEED) --deliveries 2; fi
	$(IPSLINK_BUILT) run --config config/demo.yaml

test: install
	npx tsc --noEmit
	npx biome ci .
	NO_COLOR=1 npx vitest run

# Biome (biome.jsonc) formats and lints TypeScript: `make lint` checks, `make format` rewrites.
lint: install
	npx biome ci .

format: install
	npx biome check --write .

tables: install
	$(IPSLINK) tables --config $(CONFIG)

# Simulation study: bias, RMSE and CI coverage over many synthetic seeds
# (not `ipslink validate`, which checks deliveries).
SEEDS ?= 50
simulate: install
	$(IPSLINK:src/cli/main.ts=src/simulation/main.ts) --seeds $(SEEDS) --persons $(PERSONS) --config $(CONFIG)

# The same simulation study under the name issue reports use; `ipslink validate` checks deliveries.
validate: simulate

# Property-based fuzzing of ingest at length (make test runs a few cases per property);
# a counterexample found goes into test/ingest/fuzz-regressions.json. FUZZ_SEED replays a run.
FUZZ_RUNS ?= 2000
fuzz: install
	FUZZ_RUNS=$(FUZZ_RUNS) NO_COLOR=1 npx vitest run test/ingest/ingest-fuzz.test.ts

bench: build
	node --import tsx bench/run.ts

clean:
	rm -rf data out .tmp test/output dist

# Regenerates the committed R fixtures (needs R, plm, sandwich from Debian, and MatchIt 4.7.2
# from ../shared/r-reference/install.sh in MATCHIT_LIB); CI compares against the committed files without R.
reference: MATCHIT_LIB ?= $(HOME)/.local/lib/R-matchit
reference:
	@R_LIBS_USER='$(MATCHIT_LIB)' Rscript -e 'quit(status = !(requireNamespace("MatchIt", quietly = TRUE) && packageVersion("MatchIt") == "4.7.2"))' 2>/dev/null \
		|| { echo 'MatchIt 4.7.2 not found in $(MATCHIT_LIB); run ../shared/r-reference/install.sh' >&2; exit 1; }
	R_LIBS_USER='$(MATCHIT_LIB)' Rscript test/reference/matching/make-fixtures.R
	Rscript test/reference/did/make-fixtures.R
	Rscript test/reference/matched-att/make-fixtures.R
	git diff --exit-code test/reference
