# Thin wrapper over CMake for the README's commands.
BUILD ?= build
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB_BUILD := build-essential cmake ninja-build pkg-config python3 libstb-dev
DEB_TEST := clang libclang-rt-14-dev valgrind libonnx-testdata python3 python3-skimage curl ca-certificates

.PHONY: all build deps deps-test demo demo-shapes test test-asan test-zoo clean

all: build

deps:
	@if ! dpkg -s $(DEB_BUILD) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_BUILD); fi

deps-test: deps
	@if ! dpkg -s $(DEB_TEST) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_TEST); fi

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# The README's main job: read the text of a bundled image with PaddleOCR's models (see demo-ocr below).
demo: demo-ocr

# The small bundled classifier, no download: names the shape in each sample drawing.
demo-shapes: build
	sh demo/run_demo.sh $(BUILD)/cort

# The OCR models are fetched first so that the apps' end-to-end tests run rather than skip.
test: deps-test build
	sh demo/ocr/fetch_models.sh "$(OCR_MODELS)" || echo "OCR models could not be fetched: the OCR end-to-end tests will skip"
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE 'zoo|slow'

test-asan: deps-test
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCORT_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -LE 'zoo|slow|python'

clean:
	rm -rf $(BUILD) build-asan

# Model zoo: export PyTorch models, record ONNX Runtime's outputs, compare cort with them (and bench).
# tools/zoo/make_tests.sh installs python3-torch, python3-torchvision, python3-onnx and npm packages.
# Serial ctest: the tests also time cort, and the largest models hold ~1 GB each.
test-zoo: deps-test build
	sh tools/zoo/make_tests.sh
	cd $(BUILD) && ctest --output-on-failure -L zoo

# ONNX backend suites against tests/conformance/known_failures.txt (also part of `make test`).
.PHONY: test-conformance
test-conformance: deps-test build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L conformance

# The OCR demo: installs stb and curl, fetches PaddleOCR's PP-OCRv4 models once (sha256-checked) into
# OCR_MODELS, builds, and reads the text of the bundled demo/ocr/hello.png.
OCR_MODELS ?= $(HOME)/.cache/cort/models
DEB_DEMO_OCR := libstb-dev curl ca-certificates
.PHONY: demo-ocr
demo-ocr: deps
	@if ! dpkg -s $(DEB_DEMO_OCR) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_DEMO_OCR); fi
	sh demo/ocr/fetch_models.sh "$(OCR_MODELS)"
	$(MAKE) --no-print-directory build
	$(BUILD)/cort-ocr demo/ocr/hello.png --models "$(OCR_MODELS)" -o $(BUILD)/hello_ocr.png
	@echo "boxes drawn on the image: $(BUILD)/hello_ocr.png"

# Side-by-side latency, session creation and peak RSS of cort and ONNX Runtime on the model zoo
# (alternated runs; see bench/README.md). Needs make_tests.sh's models. BENCH_ARGS passes options,
# e.g. BENCH_ARGS='--only resnet50,bert_base --threads 1'. Report: $(BUILD)/bench/RESULTS.md.
.PHONY: bench
bench: deps
	@[ -d tools/zoo/out/models ] || sh tools/zoo/make_tests.sh
	python3 bench/compare --build $(BUILD) --out $(BUILD)/bench/RESULTS.md $(BENCH_ARGS)

# ARM64 Linux cross build (cmake/toolchains/aarch64-linux-gnu.cmake, NEON kernels), tested under
# qemu-user: unit tests through ctest, then all ONNX backend suites, whose pass/fail list must equal
# x86-64's known_failures.txt (tests/cross/run_arm64.sh; fails on any difference). See docs/platforms.md.
# Then the Android and iOS code paths are compile-checked with clang (tests/cross/check_mobile.sh).
DEB_ARM64 := gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user libonnx-testdata clang
ARM64_BUILD ?= build-arm64
.PHONY: test-arm64
test-arm64: deps
	@if ! dpkg -s $(DEB_ARM64) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_ARM64); fi
	cmake -S . -B $(ARM64_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DCORT_BUILD_APPS=OFF
	cmake --build $(ARM64_BUILD) -j $(JOBS)
	sh tests/cross/run_arm64.sh $(ARM64_BUILD)
	sh tests/cross/check_mobile.sh

# WebAssembly (emscripten, node): WASM_BUILD/cort.js + cort.wasm with the SIMD128 kernels, then the
# kernel unit tests and the backend suites under node against x86's known failures
# (tests/cross/run_wasm.sh). Run with node --no-experimental-fetch. See docs/platforms.md.
# WASM_THREADS=ON builds the CLI with threads (e.g. make build-wasm WASM_THREADS=ON WASM_BUILD=build-wasm-mt),
# and neither builds nor copies the JS package's module (js/dist stays the single-threaded one).
DEB_WASM := emscripten node-acorn nodejs libonnx-testdata
WASM_BUILD ?= build-wasm
WASM_THREADS ?= OFF
WASM_MT := $(filter ON,$(WASM_THREADS))
.PHONY: build-wasm
build-wasm:
	@if ! dpkg -s $(DEB_WASM) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_WASM); fi
	NODE_PATH=/usr/share/nodejs emcmake cmake -S . -B $(WASM_BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DCORT_BUILD_APPS=OFF -DCORT_BUILD_TESTS=OFF -DCORT_WASM_THREADS=$(WASM_THREADS) $(if $(WASM_MT),-DCORT_JS_DIST=OFF)
	NODE_PATH=/usr/share/nodejs cmake --build $(WASM_BUILD) -j $(JOBS) $(if $(WASM_MT),--target cort)
	sh tests/cross/run_wasm.sh $(WASM_BUILD)

# The JavaScript package (js/, onnxruntime-web's API): its WebAssembly module built with emscripten into
# build-js/js (copied into js/dist/), then its tests under node (js/test/*.test.js). See js/README.md.
DEB_JS := emscripten node-acorn nodejs libonnx-testdata
.PHONY: build-js test-js
build-js: deps
	@if ! dpkg -s $(DEB_JS) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_JS); fi
	NODE_PATH=/usr/share/nodejs emcmake cmake -S . -B build-js -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCORT_BUILD_APPS=OFF -DCORT_BUILD_TESTS=OFF
	NODE_PATH=/usr/share/nodejs cmake --build build-js -j $(JOBS) --target cort_js

# onnxruntime-web (bench/wasm's pinned copy) lets the parity tests compare both packages; without it they skip.
test-js: build-js
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	cd bench/wasm && npm install --ignore-scripts --no-audit --no-fund --loglevel=error || \
	  echo "onnxruntime-web could not be installed (no npm registry?): the parity tests will skip"
	cd js && node --test test/*.test.js

# The face app in the browser (examples/web/face, issue 7): Debian's Chromium, headless, with a fake
# camera playing skimage's astronaut.png; the page's boxes are checked against cort-face's on the same
# images (tests/web/face_web_test.mjs). Builds the JS package (build-js) and cort-face in $(BUILD);
# playwright-core goes into tests/web/node_modules (git-ignored). Models: ../shared/models or
# CORT_FACE_MODELS (absent: the test says so and is skipped). Screenshots: $(BUILD)/web/face_web_*.png.
DEB_WEB := chromium python3-skimage nodejs emscripten node-acorn
.PHONY: test-web
test-web: deps build-js
	@if ! dpkg -s $(DEB_WEB) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_WEB); fi
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	cd tests/web && npm install --no-audit --no-fund --no-package-lock --loglevel=error || \
	  echo "playwright-core could not be installed (no npm registry?): the browser test will skip"
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS) --target cort-face
	node tests/web/face_web_test.mjs --out $(BUILD)/web --face-cli $(BUILD)/cort-face; rc=$$?; \
	  if [ $$rc = 77 ]; then echo "test-web skipped (see above)"; else exit $$rc; fi
