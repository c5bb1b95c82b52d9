# callcast front door. `make demo` and `make test` each do all the set-up they need on a fresh
# Debian 12 machine (they install packages with apt-get, as root or through sudo).
PRESET ?= dev
JOBS ?= $(shell nproc)
BUILD_DIR := build/$(PRESET)

# Every Debian package the project needs to build, test, fuzz and run its demo.
DEB_PACKAGES := \
  cmake ninja-build g++ pkg-config make git ca-certificates python3 curl procps \
  clang-14 libclang-rt-14-dev clang-format clang-tidy \
  libboost-dev libssl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev \
  libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev \
  ffmpeg fonts-dejavu-core gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp \
  gstreamer1.0-x libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev xvfb \
  libsofia-sip-ua-dev libsqlite3-dev libavcodec-dev libavutil-dev libswresample-dev sipsak sip-tester iproute2 iptables prometheus \
  baresip baresip-ffmpeg linphone-cli libsrtp2-dev libre-dev chromium chromium-driver kamailio \
  redis-server libhiredis-dev

# Unity builds (CMake batches a target's sources into a few translation units): a clean build
# of everything takes about half the time. A developer's own `cmake --preset dev` builds each file
# alone unless CALLCAST_UNITY=ON is exported (single-file rebuilds stay small).
export CALLCAST_UNITY ?= ON

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build web test demo cluster-demo asan fuzz format tidy clean

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else echo "make deps: every package is installed"; fi

build:
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET) -j $(JOBS)

# The browser pages (issue 14): web/dist, served by callcastd at /, /watch and /broadcast, and
# what tests/browser drives. npm ci (the exact versions of web/package-lock.json, from the npm
# registry) runs when the lock file changed, the build when a page did: `make web` is a no-op,
# and offline, once both are done.
WEB_SOURCES := $(shell find web/src web/scripts -type f 2>/dev/null)
web: web/dist/.built
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "make web: npm is not installed (apt-get install npm)"; exit 1; }
	cd web && npm ci --no-audit --no-fund
web/dist/.built: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build
	touch $@

# Every test runs on the AddressSanitizer + UBSan build: the plain debug build's checks and the
# sanitizers' besides, in one build and one run (CI ran both before, twice the time for nothing
# more). TEST_PRESET=dev runs them on the plain debug build instead.
TEST_PRESET ?= asan
test: deps web
	$(MAKE) PRESET=$(TEST_PRESET) build
	ctest --preset $(TEST_PRESET) -j $(JOBS)

demo: deps build web
	python3 scripts/demo.py $(BUILD_DIR)

# Issue 15's cluster on this machine (Redis, Kamailio, two signaling and three media nodes in
# network namespaces; needs root): the cluster lab test, narrated, its logs in demo-out/cluster.
# It builds only the two programs and the e2e test binary it runs.
cluster-demo: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET) -j $(JOBS) --target callcastd callcast e2e_tests
	scripts/cluster-demo.sh $(BUILD_DIR) demo-out/cluster

asan:
	$(MAKE) TEST_PRESET=asan test

# Short libFuzzer runs over the committed corpora (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 20
fuzz:
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	scripts/fuzz.sh build/fuzz $(FUZZ_SECONDS) $(JOBS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

tidy:
	git ls-files 'src/*.cpp' | xargs clang-tidy -p build/$(PRESET) --quiet

clean:
	rm -rf build demo-out
