# The two commands a newcomer runs on Debian 12, as root:
#   make test   install what is missing, build, run every test (CTest)
#   make bench  the same set-up, then the main benchmark on the default device
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PACKAGES = cmake gcc make ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo \
           libclblast-dev libopenblas-dev python3 python3-numpy \
           clang libclang-rt-14-dev gnuplot-nox clang-format cppcheck help2man \
           python3-torch python3-sklearn python3-pytest python3-pyopencl \
           python3-venv python3-pip python3-setuptools python3-wheel python3-build \
           doxygen
MAKEFLAGS += --no-print-directory
# bash with pipefail: a recipe that pipes a test run through a filter fails
# when the test run does
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# CTest's report without its "Start N: name" lines (one line per test stays)
CTEST_REPORT = ctest --output-on-failure -j $(JOBS) 2>&1 | grep --line-buffered -v '^ *Start  *[0-9]*: '

.PHONY: all deps build test bench clean format format-check lint docs

all: build

deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "winsum needs these Debian packages; as root run:"; \
	    echo "  apt-get update && apt-get install -y$$missing"; exit 1; \
	  fi; \
	  echo "installing:$$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$$missing || exit 1; \
	fi

# $(call logged,WHAT,LOG,COMMAND): COMMAND's output goes to LOG; one line
# says it went well, or the end of LOG is shown and make stops. (Configure and
# compiler chatter stays out of the report.)
logged = @mkdir -p $(dir $(2)) && if ( $(3) ) >$(2) 2>&1; then echo "$(1): ok (log: $(2))"; \
  else echo "$(1): FAILED; the end of $(2):"; tail -60 $(2); exit 1; fi

build: deps
	$(call logged,build (gcc -Werror),$(BUILD)/make-build.log,cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DWINSUM_WERROR=ON && cmake --build $(BUILD) -j $(JOBS))

# Each stage stops make on failure; the closing line counts what ran: the
# CTest tests (gcc build, then again under ASan+UBSan with clang), the TSan
# run, the fuzzers, the format check and the static analysis.
test: build format-check lint
	cd $(BUILD) && $(CTEST_REPORT)
	$(MAKE) check-reliability
	@n=$$(cd $(BUILD) && ctest -N | sed -n 's/^Total Tests: *//p'); \
	  a=$$(cd $(ASAN_BUILD) && ctest -N | sed -n 's/^Total Tests: *//p'); \
	  f=$$(echo $(FUZZERS) | wc -w); \
	  echo "stages: $$n CTest tests, $$a under ASan+UBSan, 1 under TSan, $$f fuzzers, format check, cppcheck"; \
	  echo "winsum: $$((n + a + 1 + f + 2)) passed, 0 failed"

# ------------------------------------------------------------------ habits
# The C and OpenCL sources of the project, as git knows them (generated and
# third-party files are not in git).
SOURCES = $(shell git ls-files '*.c' '*.h' '*.cl' 2>/dev/null)
format:
	clang-format -i --style=file $(SOURCES)
format-check: deps
	@bad=$$(for f in $(SOURCES); do clang-format --style=file "$$f" | cmp -s - "$$f" || echo "  $$f"; done); \
	if [ -n "$$bad" ]; then echo "format check: FAILED (make format fixes it); these files differ:"; \
	  echo "$$bad"; exit 1; fi; echo "format check: ok ($(words $(SOURCES)) files)"
# cppcheck over the library, the tools, the examples and the tests. A
# finding that is not a bug is suppressed where it stands, with the reason
# (// cppcheck-suppress ID).
CPPCHECK_ARGS = --quiet --error-exitcode=1 --std=c11 --inline-suppr \
  --enable=warning,performance,portability --suppress=missingIncludeSystem \
  -D__GNUC__ -DCL_TARGET_OPENCL_VERSION=120 -Iinclude $(addprefix -I,$(wildcard host/*)) -Icli -Itools/common \
  --template='{file}:{line}: {severity}: {message} [{id}]'
lint: deps
	@cppcheck $(CPPCHECK_ARGS) host cli bench tools examples tests && echo "cppcheck: ok, no findings"

bench: build
	$(BUILD)/winsum-bench

# The API reference from the public headers' doc comments (Doxygen,
# docs/Doxyfile.in): $(BUILD)/docs/html/index.html. Any doxygen warning (a
# function, parameter or return value without its doc) fails it; the CTest
# test test_docs checks the same in make test.
docs: deps
	$(call logged,configure,$(BUILD)/make-configure.log,cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DWINSUM_WERROR=ON)
	cmake --build $(BUILD) --target docs

clean:
	rm -rf $(BUILD)

# ------------------------------------------------------------ reliability
# make check-reliability: the whole project again with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang) in $(ASAN_BUILD), its CTest suite run on
# PoCL there; then each libFuzzer target (tests/fuzz_*.c) built in
# $(FUZZ_BUILD) and run on a copy of its seed corpus (tests/corpus/NAME).
# Any sanitizer report, leak, test failure or fuzzer crash fails the target.
#
# Two ways to fuzz, on purpose:
#   check-fuzz (in make test, so in CI): a fixed seed and a fixed number of
#     executions ($(FUZZ_RUNS) each, about 15-30 s here), on a fresh copy
#     of the seed corpus, with address randomisation off (setarch -R, from
#     util-linux; the target's coverage depends on pointer values otherwise)
#     and no corpus reloads: the same commit explores the same inputs on
#     every run (checked: identical coverage and corpus counts).
#     A time-boxed random run in CI would fail a later, unrelated change the
#     day it stumbles on an old bug (it did: stop 8).
#   fuzz (make fuzz): exploration, a random seed for $(FUZZ_TIME) s each
#     (default 300). A crash input lands in $(FUZZ_BUILD)/artifacts/; fix the
#     library and keep the input as tests/corpus/NAME/regress-*, which then
#     runs in every check-fuzz.
# clang and libclang-rt-14-dev (libFuzzer and clang's sanitizer runtimes)
# are in PACKAGES. SAN_CC=gcc builds the sanitizer tree with gcc instead, but
# gcc 12's LeakSanitizer crashes in its tracer thread at the exit of
# test_limits (PoCL's threads), so clang is the default.
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME ?= 300
FUZZ_RUNS ?= 2000000
FUZZ_SEED ?= 20261125
NO_ASLR := $(shell setarch -R true >/dev/null 2>&1 && echo setarch -R)
SAN_CC ?= clang
FUZZERS = parse npy
# use_sigaltstack=0: LLVM (PoCL's kernel compiler) swaps in an alternate
#   signal stack of its own (malloc'd) on the threads that compile kernels;
#   at thread exit ASan would then unmap that as its own and abort with
#   "failed to deallocate ... unable to unmap" (test_threads). Without it
#   ASan only loses its stack-overflow report on those threads.
# detect_leaks stays on; tests/lsan.supp says what it lets through and why.
# -fno-sanitize-recover=undefined (CMakeLists.txt) makes any UB fatal.
SAN_ENV = ASAN_OPTIONS=use_sigaltstack=0:detect_leaks=1 \
          LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: check-reliability check-asan check-tsan check-fuzz fuzz fuzz-run

check-reliability: check-asan check-tsan check-fuzz

# ThreadSanitizer on the threads test: contexts on three threads, cold caches
# sharing one cache folder. tests/tsan.supp explains its suppressions.
TSAN_BUILD ?= build-tsan
check-tsan: deps
	$(call logged,build (clang + ThreadSanitizer),$(TSAN_BUILD)/make-build.log,cmake -S . -B $(TSAN_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWINSUM_SANITIZE_THREAD=ON && cmake --build $(TSAN_BUILD) -j $(JOBS) --target test_threads)
	$(call logged,test_threads under ThreadSanitizer,$(TSAN_BUILD)/test_threads.log,TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan.supp:halt_on_error=1:exitcode=66 $(TSAN_BUILD)/test_threads)

check-asan: deps
	$(call logged,build ($(SAN_CC) -Werror + ASan + UBSan),$(ASAN_BUILD)/make-build.log,cmake -S . -B $(ASAN_BUILD) -DCMAKE_C_COMPILER=$(SAN_CC) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWINSUM_SANITIZE=ON -DWINSUM_WERROR=ON && cmake --build $(ASAN_BUILD) -j $(JOBS))
	cd $(ASAN_BUILD) && $(SAN_ENV) $(CTEST_REPORT)

check-fuzz: deps
	$(MAKE) fuzz-run FUZZ_ARGS='-seed=$(FUZZ_SEED) -runs=$(FUZZ_RUNS) -reload=0' FUZZ_PREFIX='$(NO_ASLR)' FUZZ_WHAT='$(FUZZ_RUNS) runs, seed $(FUZZ_SEED)' FUZZ_CORPUS=$(FUZZ_BUILD)/corpus-ci FUZZ_FRESH=1

fuzz: deps
	$(MAKE) fuzz-run FUZZ_ARGS='-max_total_time=$(FUZZ_TIME)' FUZZ_WHAT='$(FUZZ_TIME) s, random seed' FUZZ_CORPUS=$(FUZZ_BUILD)/corpus

fuzz-run:
	$(call logged,build (clang libFuzzer targets),$(FUZZ_BUILD)/make-build.log,cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWINSUM_FUZZ=ON && cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZERS:%=fuzz_%))
	@rc=0; pids=""; \
	for f in $(FUZZERS); do \
	  if [ -n "$(FUZZ_FRESH)" ]; then rm -rf $(FUZZ_CORPUS)/$$f; fi; \
	  mkdir -p $(FUZZ_CORPUS)/$$f $(FUZZ_BUILD)/artifacts; \
	  cp tests/corpus/$$f/* $(FUZZ_CORPUS)/$$f/; \
	  echo "fuzz_$$f: $(FUZZ_WHAT) on $(FUZZ_CORPUS)/$$f (log: $(FUZZ_BUILD)/fuzz_$$f.log)"; \
	  $(FUZZ_PREFIX) $(FUZZ_BUILD)/fuzz_$$f $(FUZZ_ARGS) -timeout=30 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$f- $(FUZZ_CORPUS)/$$f \
	    > $(FUZZ_BUILD)/fuzz_$$f.log 2>&1 & pids="$$pids $$!"; \
	done; \
	set -- $(FUZZERS); \
	for p in $$pids; do \
	  f=$$1; shift; \
	  if wait $$p; then \
	    echo "fuzz_$$f: ok, $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_BUILD)/fuzz_$$f.log) executions"; \
	  else \
	    rc=1; echo "fuzz_$$f: FAILED; the end of $(FUZZ_BUILD)/fuzz_$$f.log:"; \
	    grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse|RELOAD)' $(FUZZ_BUILD)/fuzz_$$f.log | tail -40; \
	  fi; \
	done; \
	exit $$rc
