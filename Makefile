# The two entry points of the README: `make run` and `make test`.
# Everything else is cmake; this file only orders the steps.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
# inputs per fuzz target: `make fuzz` runs millions, `make test` a smoke run
FUZZ_RUNS ?= 2000000
JOBS ?= 2
DATA_DIR ?= ./k1s-data
PORT ?= 6443
# containerd (real pods, needs root) or simulated
KUBELET ?= containerd
NGINX_IMAGE = $(DATA_DIR)/images/nginx-slim.tar

.PHONY: all deps build asan buildtypes fuzz compat run test unit conformance bench clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DK1S_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# The decoders of network input under libFuzzer (clang, ASan/UBSan).
fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DK1S_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_all >/dev/null
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_RUNS)

# The other build types must compile with -Werror too (their optimisers
# warn about different things); built, not run.
buildtypes: deps
	@for t in RelWithDebInfo MinSizeRel; do \
		cmake -S . -B build-types/$$t -DCMAKE_BUILD_TYPE=$$t >/dev/null && \
		cmake --build build-types/$$t -j$(JOBS) >/dev/null || exit 1; \
		echo "build type $$t: built"; \
	done

# Without a reachable registry the scenario's image is built from Debian's
# nginx and left where k1s imports images at start.
run: build
	@if [ "$(KUBELET)" = containerd ] && [ ! -f $(NGINX_IMAGE) ] && \
	    ! curl -s -o /dev/null --max-time 3 https://registry.k8s.io/v2/; then \
		echo "no container registry reachable: building k8s.gcr.io/nginx-slim:0.8 from Debian's nginx"; \
		mkdir -p $(DATA_DIR)/images && bash scripts/build-nginx-image.sh $(NGINX_IMAGE); \
	fi
	$(BUILD)/k1s server --data-dir $(DATA_DIR) --port $(PORT) --kubelet $(KUBELET)

# Unit tests under the sanitizers, then the kubectl conformance suite
# against both builds (Release and the sanitizer build).
test: build asan buildtypes
	$(MAKE) --no-print-directory fuzz FUZZ_RUNS=200000
	cd $(ASAN_BUILD) && ctest --output-on-failure
	K1S_BIN=$(abspath $(ASAN_BUILD))/k1s python3 conformance/run.py
	K1S_EXEC_PROTOCOLS=1 K1S_BIN=$(abspath $(BUILD))/k1s python3 conformance/run.py --all-kubectl

# docs/compatibility.md from the client cases (real clients, real pods as root)
compat: build
	@rm -rf $(BUILD)/compat && mkdir -p $(BUILD)/compat
	K1S_COMPAT_DIR=$(abspath $(BUILD))/compat K1S_BIN=$(abspath $(BUILD))/k1s \
		python3 conformance/run.py -k client
	K1S_COMPAT_DIR=$(abspath $(BUILD))/compat K1S_BIN=$(abspath $(BUILD))/k1s \
		python3 conformance/run.py -k test_scenario_with_real_containers
	python3 scripts/gen-compat.py $(BUILD)/compat docs/compatibility.md

bench: build
	python3 bench/run.py --k1s $(BUILD)/k1s

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-types
