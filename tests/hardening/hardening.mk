# tests/hardening/hardening.mk - issue 7: fuzzing, crash consistency, full
# disk, hostile wire values and environment, concurrency. Included by the
# top-level Makefile; uses its B, LIB_OBJ, POLICY_OBJ, CSTD, WARN, PYTEST.
#
#   make hardening                 everything below (CI runs it; ~7 min on 2 cores)
#   make hardening-fuzz            build the libFuzzer targets, replay the seed corpus
#                                  and the regressions, then fuzz each FUZZ_SECONDS
#   make hardening-replay          only replay corpus + regressions (a few seconds)
#   make hardening-tests           the pytest harnesses in tests/hardening/
#   make FUZZ_SECONDS=3600 hardening-fuzz    a long local run
#
# Outputs under $(B)/hardening/: fuzz_* binaries, corpus/<target>/ (what the
# fuzzer found, seeded from tests/hardening/corpus/<target>/), artifacts/
# (crashing inputs: copy them to tests/hardening/regress/<target>/, where
# every CI run replays them), fuzz-<target>.log and figures/*.json (the
# numbers that go into tests/hardening/RESULTS.md).

HB           := $(B)/hardening
HSRC         := tests/hardening
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_TARGETS := config record safe_name
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The pure parts (policy/, sink/), rebuilt with clang and coverage for libFuzzer.
FUZZ_SRC     := $(patsubst $(B)/obj/%.o,%.c,$(POLICY_OBJ))
FUZZ_OBJ     := $(FUZZ_SRC:%.c=$(HB)/fuzzobj/%.o)
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(HB)/fuzz_%)
# -runs / -max_total_time are added per use; the rest is common.
FUZZ_OPTS    := -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1

# Unshare a private mount namespace when we can (root, or user namespaces):
# the full-disk and read-only tests mount a small tmpfs there, invisible to
# the rest of the machine and gone when pytest exits.
HARDENING_NS := $(shell unshare -m true 2>/dev/null && echo "unshare -m")
TSAN_SHIM    := $(CURDIR)/build/tsan/libreconsume.so

.PHONY: hardening hardening-fuzz hardening-fuzz-build hardening-replay hardening-tests \
        hardening-tools hardening-tsan hardening-summary

hardening:
	$(MAKE) hardening-fuzz
	$(MAKE) hardening-tests
	$(MAKE) hardening-summary

# ---- fuzzing ---------------------------------------------------------------

$(HB)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) $(WARN) -O1 -g -I. -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(HB)/fuzz_%: $(HSRC)/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) $(WARN) -O1 -g -I. -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_OBJ)

hardening-fuzz-build: $(FUZZ_BIN)

# kept between runs (make would delete them as intermediates)
.SECONDARY: $(FUZZ_OBJ)

# Every seed and every past crash, once (fails on any crash or leak).
hardening-replay: hardening-fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	    dirs="$(HSRC)/corpus/$$t"; \
	    [ -d $(HSRC)/regress/$$t ] && dirs="$$dirs $(HSRC)/regress/$$t"; \
	    echo "== replay $$t: $$(cat $$(find $$dirs -type f) /dev/null | wc -c) bytes in $$(find $$dirs -type f | wc -l) inputs"; \
	    mkdir -p $(HB)/artifacts/$$t; $(HB)/fuzz_$$t -runs=0 $(FUZZ_OPTS) -artifact_prefix=$(HB)/artifacts/$$t/ $$dirs > $(HB)/replay-$$t.log 2>&1 \
	        || { tail -40 $(HB)/replay-$$t.log; exit 1; }; \
	done

# Bounded fuzzing; a crash fails the target, the input is left in artifacts/.
hardening-fuzz: hardening-replay
	@set -e; mkdir -p $(HB)/figures; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(HB)/corpus/$$t $(HB)/artifacts/$$t; \
	    dict=""; [ -f $(HSRC)/$$t.dict ] && dict="-dict=$(HSRC)/$$t.dict"; \
	    echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	    if ! $(HB)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_OPTS) $$dict \
	            -artifact_prefix=$(HB)/artifacts/$$t/ \
	            $(HB)/corpus/$$t $(HSRC)/corpus/$$t > $(HB)/fuzz-$$t.log 2>&1; then \
	        tail -60 $(HB)/fuzz-$$t.log; \
	        echo "fuzz $$t: CRASH; input in $(HB)/artifacts/$$t/ (add it to $(HSRC)/regress/$$t/)"; \
	        exit 1; \
	    fi; \
	    execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(HB)/fuzz-$$t.log); \
	    cov=$$(grep -o 'cov: [0-9]*' $(HB)/fuzz-$$t.log | tail -1 | cut -d' ' -f2); \
	    printf '{"target": "%s", "seconds": %s, "executions": %s, "coverage": %s, "corpus": %s, "crashes": 0}\n' \
	        $$t $(FUZZ_SECONDS) $${execs:-0} $${cov:-0} $$(ls $(HB)/corpus/$$t | wc -l) \
	        > $(HB)/figures/fuzz-$$t.json; \
	    echo "fuzz $$t: $${execs:-0} executions, coverage $${cov:-0}, no crash"; \
	done

# ---- the pytest harnesses --------------------------------------------------

# Reads records back with the product's parser.
$(HB)/record_dump: $(HSRC)/record_dump.c $(POLICY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g -I. -o $@ $< $(POLICY_OBJ)

# A consumer that forks while deliveries run (the child consumes too).
$(HB)/fork_consumer: $(HSRC)/fork_consumer.c tests/capi/rocketmq_c.h | programs
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g -pthread -I. -o $@ $< -L$(B)/double -lrocketmq

# The ordinary consumer, linked to the shim and the double by absolute path
# (a set-uid program ignores LD_PRELOAD paths and LD_LIBRARY_PATH), for the
# set-uid test, which copies it and makes the copy set-uid root.
$(HB)/consumer_linked: tests/programs/consumer.c $(B)/libreconsume.so | programs
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O1 -g -pthread -I. -o $@ $< $(CURDIR)/$(B)/libreconsume.so \
	    -L$(B)/double -lrocketmq -Wl,-rpath,$(CURDIR)/$(B)/double -Wl,--disable-new-dtags

hardening-tools: lib programs $(HB)/record_dump $(HB)/fork_consumer $(HB)/consumer_linked

hardening-tsan:
	$(MAKE) B=build/tsan SAN="-fsanitize=thread" lib

hardening-tests: hardening-tools hardening-tsan
	@mkdir -p $(HB)/figures
	HARDENING_TSAN_SHIM=$(TSAN_SHIM) HARDENING_BUILD=$(CURDIR)/$(HB) \
	HARDENING_HOST_MNTNS=$$(readlink /proc/self/ns/mnt) \
	    $(HARDENING_NS) $(PYTEST) -rsx $(HSRC)

hardening-summary:
	@python3 $(HSRC)/summary.py $(HB)/figures
