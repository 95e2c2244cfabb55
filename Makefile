# Sluice — the two commands a new machine needs:
#   make run    install what is missing, build (Release), run `sluice bench` on the blog workload
#   make test   install what is missing, build, run every test (plus the ThreadSanitizer run)
# Other targets: make build | install [PREFIX=/usr/local] | micro-bench | format | clean

SHELL      := /bin/bash
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
BUILD      := build/release
TSAN_BUILD := build/tsan
BENCH_ARGS ?=

# Debian 12 packages the build needs (compiler, CMake, and the libraries Sluice links).
APT_PACKAGES := g++ make cmake libsqlite3-dev nlohmann-json3-dev libcli11-dev libfmt-dev \
                libgtest-dev libgmock-dev libbenchmark-dev \
                chromium

.PHONY: run test deps build tsan install micro-bench format clean

deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
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

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p data
	./$(BUILD)/sluice bench $(BENCH_ARGS)

# Engine and multi-process tests under ThreadSanitizer, in their own build directory (GCC cannot
# mix TSan with other sanitizers); only the library and those two test binaries are built there.
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=thread \
	  -DSLUICE_BUILD_TOOLS=OFF -DSLUICE_BUILD_BENCHMARKS=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target engine_tests multiprocess_tests
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./$(TSAN_BUILD)/tests/engine_tests --gtest_brief=1
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./$(TSAN_BUILD)/tests/multiprocess_tests --gtest_brief=1

test: build tsan
	ctest --test-dir $(BUILD) --output-on-failure -j 1

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

micro-bench: build
	./$(BUILD)/bench/micro_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf build
