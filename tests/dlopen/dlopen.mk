# tests/dlopen/dlopen.mk - issue 8: the client dlopen()ed and looked up on
# its handle (Python's ctypes). Included by the top-level Makefile (which
# provides B, CC, CSTD, WARN, PYTEST); also usable alone from the repo root:
#   make -f tests/dlopen/dlopen.mk dlopen-build
#
#   make dlopen-check   build the shim, the test double and the programs
#                       below, then run the pytest suite in tests/dlopen
#
# Outputs under $(B)/dlopen/: dlopen_consumer (a consumer that dlopen()s the
# client), dlopen_probe (lookups compared with and without the shim) and its
# helper libraries libprobe_{a,b,dep,local}.so, and versioned/librocketmq.so:
# the test double with every symbol at version "librocketmq.so", for dlvsym.

B      ?= build
CC     ?= cc
CSTD   ?= -std=c11 -D_GNU_SOURCE
WARN   ?= -Wall -Wextra -Werror
PYTEST ?= python3 -m pytest -q -p no:cacheprovider
DLB    := $(B)/dlopen
DL_CFLAGS := $(CSTD) $(WARN) -O2 -g
# The probe libraries must call dlsym themselves (a tail call would make the
# program the caller glibc sees, and the test meaningless).
PROBE_CFLAGS := $(DL_CFLAGS) -fno-optimize-sibling-calls -fPIC -shared

DLOPEN_BIN := $(DLB)/dlopen_consumer $(DLB)/dlopen_probe $(DLB)/libprobe_local.so \
              $(DLB)/versioned/librocketmq.so

.PHONY: dlopen-build dlopen-check
dlopen-build: $(DLOPEN_BIN)

$(DLB)/dlopen_consumer: tests/dlopen/dlopen_consumer.c
	@mkdir -p $(dir $@)
	$(CC) $(DL_CFLAGS) -o $@ $< -ldl -lpthread

$(DLB)/libprobe_%.so: tests/dlopen/probe_lib.c
	@mkdir -p $(dir $@)
	$(CC) $(PROBE_CFLAGS) -DPROBE_$(shell echo $* | tr a-z A-Z) -o $@ $< -ldl

$(DLB)/libprobe_local.so: tests/dlopen/probe_lib.c $(DLB)/libprobe_dep.so
	@mkdir -p $(dir $@)
	$(CC) $(PROBE_CFLAGS) -DPROBE_LOCAL -o $@ $< -L$(DLB) -Wl,--no-as-needed -lprobe_dep \
	    -Wl,-rpath,'$$ORIGIN' -ldl

$(DLB)/versioned/librocketmq.so: tests/double/rocketmq_double.c tests/capi/rocketmq_c.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O2 -g -fPIC -fvisibility=hidden -fexceptions -pthread -I. -shared \
	    -Wl,-soname,librocketmq.so -Wl,--default-symver -o $@ $< -pthread

# Linked with a before b: RTLD_NEXT from a must find b's probe_sym.
$(DLB)/dlopen_probe: tests/dlopen/dlopen_probe.c $(DLB)/libprobe_a.so $(DLB)/libprobe_b.so
	@mkdir -p $(dir $@)
	$(CC) $(DL_CFLAGS) -o $@ $< -L$(DLB) -Wl,--no-as-needed -lprobe_a -lprobe_b \
	    -Wl,-rpath,'$$ORIGIN' -ldl

dlopen-check: lib double dlopen-build
	$(PYTEST) tests/dlopen
