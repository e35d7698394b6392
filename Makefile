# burnrate's front door. Everything goes through CMake; these targets only
# install what is missing, configure once, and run.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
PORT       ?= 8080
CMAKE_GEN  := -G Ninja

.PHONY: all deps build test test-fast asan fuzz bench bench-org demo cluster-demo web clean format

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DBURNRATE_SANITIZE=ON -DBURNRATE_BENCH=OFF

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

$(FUZZ_BUILD)/build.ninja:
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBURNRATE_FUZZ=ON -DBURNRATE_BENCH=OFF

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

# Every test: the release suite (unit + end-to-end + fuzz smoke), then the
# unit suite again under ASan/UBSan. Ends with ctest's count line.
test: build asan fuzz
	bash scripts/run-tests.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bash scripts/bench.sh $(BUILD)

# Only the Meta-sized day (40 M events; BENCH_ORG_DAY_EVENTS to resize).
bench-org: build
	bash scripts/bench.sh $(BUILD) org-day

web: deps
	bash scripts/build-web.sh

# The build compiles web/dist into the binary, so the dashboard is built first.
demo: web
	$(MAKE) build
	bash scripts/demo.sh $(BUILD) $(PORT)

# PostgreSQL, Redis, three nodes and nginx in front, all on a temporary
# directory with no root daemons (docs/scale-out.md, "make cluster-demo").
cluster-demo: web
	$(MAKE) build
	bash scripts/cluster-demo.sh $(BUILD) $(PORT)

format:
	clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'bench/*.cc' 'fuzz/*.cc' 'tools/*.cc')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
