# reconsume - build, test, demo, bench.
#
#   make            build/libreconsume.so
#   make check      the whole suite: unit, integration (test double), sanitizers,
#                   valgrind, end to end against the real client and broker
#   make demo       a real consumer with the shim against a local broker
#
# Everything built goes under build/.

CC      ?= cc
CXX     ?= c++
B       := build
WARN    := -Wall -Wextra -Werror
CSTD    := -std=c11 -D_GNU_SOURCE
OPT     ?= -O2 -g
# -fexceptions: with catching switched off, a C++ exception from the callback
# must unwind through our C frames exactly as it would without the shim.
CFLAGS_LIB := $(CSTD) $(WARN) $(OPT) -fPIC -fvisibility=hidden -fexceptions -I.
CXXFLAGS_LIB := -std=c++17 $(WARN) $(OPT) -fPIC -fvisibility=hidden -I.
SAN     ?=
# The library's folders, top layer first; each uses only those after it.
LIB_DIRS   := shim hooks sink state client obs io policy util
LIB_SRC_C  := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_SRC_CC := $(wildcard hooks/*.cc)
LIB_OBJ := $(LIB_SRC_C:%.c=$(B)/obj/%.o) $(LIB_SRC_CC:%.cc=$(B)/obj/%.o)
# The parts without interposed entry points, process state or logging,
# linked into the unit tests and the tools (the sinks' backends and chain
# log and ask the client: they are the library's own).
POLICY_OBJ := $(filter-out $(B)/obj/sink/chain.o $(B)/obj/sink/%_backend.o,\
              $(filter $(foreach d,sink state io policy util,$(B)/obj/$(d)/%),$(LIB_OBJ)))

.PHONY: layout-test all lib deps demo-deps unit double programs integration tools-test sanitize valgrind e2e e2e-matrix check demo clean
all: lib tools cli
lib: $(B)/libreconsume.so

# Debian packages (libffi, uthash, cmocka, valgrind, pytest), when missing.
deps:
	@scripts/install-deps.sh test
demo-deps:
	@scripts/install-deps.sh demo

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) $(SAN) -MMD -MP -c $< -o $@
$(B)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_LIB) $(SAN) -MMD -MP -c $< -o $@

# The version script, from the one list of client symbols: the INTERPOSED
# rows of client/symbols.def, dlsym and dlvsym. -std=c11 keeps GNU's
# predefined names (linux, unix) out of the output.
$(B)/exports.map: shim/exports.map.in client/symbols.def client/symbols.h
	@mkdir -p $(dir $@)
	$(CC) -E -P -x c -std=c11 -I. -o $@.tmp shim/exports.map.in
	{ echo '/* Generated from shim/exports.map.in and client/symbols.def. */'; \
	  sed '/^[[:space:]]*$$/d' $@.tmp; } > $@ && rm -f $@.tmp

# libstdc++ is linked only for the exception guard (hooks/*.cc); the host
# process of a C++ consumer has it loaded already.
$(B)/libreconsume.so: $(LIB_OBJ) $(B)/exports.map
	$(CXX) -shared $(SAN) -o $@ $(LIB_OBJ) -Wl,--version-script=$(B)/exports.map \
	    -Wl,-z,nodelete -Wl,--no-undefined -lffi -ldl -lpthread

# ---- unit tests (cmocka) -------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
$(B)/unit/%: tests/unit/%.c $(POLICY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g -I. $(SAN) -o $@ $< $(POLICY_OBJ) -lcmocka -lpthread
# The pipeline's tests link the library's layers but shim/ (whose exports
# would interpose in the test itself), with the client, the sinks and the
# pause replaced at link time.
PIPELINE_OBJ  := $(filter-out $(B)/obj/shim/%,$(LIB_OBJ))
PIPELINE_WRAP := -Wl,--wrap=rc_client -Wl,--wrap=rc_sink_store -Wl,--wrap=rc_pause_ms \
                 -Wl,--wrap=rc_topic_retry_send
$(B)/unit/test_pipeline: tests/unit/test_pipeline.c $(PIPELINE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g -I. $(SAN) -c -o $@.o $<
	$(CXX) $(SAN) -o $@ $@.o $(PIPELINE_OBJ) $(PIPELINE_WRAP) -lcmocka -lffi -ldl -lpthread
unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# ---- the test double of the client ABI and unmodified consumer programs ----
double:
	$(MAKE) -C tests/double
programs: double
	$(MAKE) -C tests/programs

PYTEST := python3 -m pytest -q -p no:cacheprovider

# Integration: the programs under LD_PRELOAD against the test double.
# RECONSUME_TEST_SHIM / RECONSUME_TEST_PRELOAD pick the shim build under test.
integration: lib programs cli
	$(PYTEST) tests/integration

# The same suites with the shim built under AddressSanitizer+UBSan (the
# sanitizer runtime must come first in LD_PRELOAD), and under valgrind.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# ASan must leave the fatal signals alone: the tests check what they do.
sanitize: programs
	$(MAKE) B=build/asan SAN="$(ASAN_FLAGS)" lib unit
	ASAN_OPTIONS=detect_leaks=0:exitcode=66:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:allow_user_segv_handler=1 \
	RECONSUME_TEST_SHIM=$(CURDIR)/build/asan/libreconsume.so \
	RECONSUME_TEST_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	    $(PYTEST) tests/integration -m "not nosan"

VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --suppressions=$(CURDIR)/tests/valgrind.supp
valgrind: lib programs $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; $(VALGRIND) $$t >/dev/null; done
	RECONSUME_TEST_WRAPPER="$(VALGRIND)" $(PYTEST) tests/integration -m valgrind

# End to end: the real client library and a real name server and broker
# (broker 4.9.7 and client 1.2.3 by default), then the core scenarios on the
# other broker line (5.3.3) and the other client generation (2.1.0).
e2e: lib programs
	$(PYTEST) tests/real
E2E_MATRIX := tests/real/test_shim_e2e.py tests/real/test_cxx_api_shim.py tests/real/test_backoff_e2e.py \
    tests/real/test_retry_copy_e2e.py \
    -k "cap_versus or cap_above or orderly_exception or bad_status or segfaulting or cxx_listener_poison_capped or backoff_schedule or schedules_delay_level or exact_timers or broadcasting_consumer_is_seen or its_own_outcome or fail_once_then"
e2e-matrix: lib programs
	RECONSUME_BROKER_LINE=5 $(PYTEST) $(E2E_MATRIX)
	RECONSUME_CLIENT_VERSION=2.1.0 $(PYTEST) $(E2E_MATRIX)

# The demo: a real consumer with the shim against a local broker.
demo: demo-deps all programs
	python3 scripts/demo.py

# The layers depend on each other one way (tests/layout: the order is LIB_DIRS).
layout-test:
	$(PYTEST) tests/layout

# The command-line tools' tests (tools/).
tools-test: lib programs tools
	$(PYTEST) tests/tools

check: deps
	$(MAKE) lib
	$(MAKE) layout-test
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) tools-test
	$(MAKE) dlopen-check
	$(MAKE) sanitize
	$(MAKE) valgrind
	$(MAKE) bench-check
	$(MAKE) hardening
	$(MAKE) e2e
	$(MAKE) e2e-matrix
	$(MAKE) cli-test

clean:
	rm -rf build

# Parts with their own rules: bench/ (make bench), tests/hardening/
# (make hardening), tests/dlopen/ (make dlopen-check), tools/.
include $(wildcard bench/*.mk tests/hardening/*.mk tests/dlopen/*.mk tools/*.mk)

-include $(LIB_OBJ:.o=.d)
