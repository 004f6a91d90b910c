# The two entry points of the README: `make run` and `make test`.
# Everything else is cmake; this file only orders the steps.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= 2
DATA_DIR ?= ./k1s-data
PORT ?= 6443
# The containerd kubelet is not written yet: pods run on the simulated one.
KUBELET ?= simulated

.PHONY: all deps build asan run test unit conformance bench clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DK1S_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

run: build
	$(BUILD)/k1s server --data-dir $(DATA_DIR) --port $(PORT) --kubelet $(KUBELET)

# Unit tests under the sanitizers, then the kubectl conformance suite
# against both builds.
test: build asan
	cd $(ASAN_BUILD) && ctest --output-on-failure
	K1S_BIN=$(abspath $(ASAN_BUILD))/k1s python3 conformance/run.py
	K1S_BIN=$(abspath $(BUILD))/k1s python3 conformance/run.py --all-kubectl

bench: build
	python3 bench/run.py --k1s $(BUILD)/k1s

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
