# bench/bench.mk - the cost of the shim (issue 6); included by the top-level
# Makefile, so B, CC, CXX, CSTD, WARN and the $(B)/libreconsume.so rule are
# those of the product build.
#
#   make bench         the full table: per call (a..e, with callgrind
#                      instructions), scale (tracked messages 1k/100k/1M),
#                      end to end (real broker when tests/real is there, else
#                      the test double, labelled), the C++ listener wrapper
#                      per batch of 32 (bench/batch_bench.cc, each real client
#                      build in build/real); also written to
#                      build/bench/results.md
#   make bench BENCH_ARGS="--only batch"
#                      the C++ listener part alone (build/bench/results-batch.md)
#   make bench-check   fast (CI): the success path makes no allocation, takes
#                      no lock and makes no system call; fails if any appear
#
# BENCH_ARGS passes options to bench/bench.py, e.g.
#   make bench BENCH_ARGS="--trials 31 --e2e-messages 50000 --e2e double"

BB := $(B)/bench
BENCH_CFLAGS := $(CSTD) $(WARN) -O2 -g -I.
BENCH_ARGS ?=

BENCH_BINS := $(BB)/percall $(BB)/percall_static $(BB)/libfakeclient.so $(BB)/libcount.so $(BB)/e2e_consumer

.PHONY: bench bench-check bench-bins
bench-bins: $(BENCH_BINS)

$(BB)/libfakeclient.so: bench/fakeclient.c bench/fakeclient.h tests/capi/rocketmq_c.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -fPIC -fvisibility=hidden -shared -Wl,-soname,libfakeclient.so -o $@ $<

$(BB)/libcount.so: bench/count.c bench/count.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -fPIC -fvisibility=hidden -shared -o $@ $<

$(BB)/obj/cbs.o: bench/cbs.cc bench/cbs.h bench/fakeclient.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(WARN) -O2 -g -I. -c -o $@ $<

# The driver: percall.c (options), percall_setup.c and percall_rows.c (what
# is called, the rows), one file per mode.
PERCALL_SRC := $(wildcard bench/percall*.c)
PERCALL_HDR := bench/percall.h bench/cbs.h bench/count.h bench/fakeclient.h tests/capi/rocketmq_c.h
PERCALL_OBJ := $(PERCALL_SRC:bench/%.c=$(BB)/obj/%.o)
PERCALL_STATIC_OBJ := $(PERCALL_SRC:bench/%.c=$(BB)/obj/static/%.o)

$(PERCALL_OBJ): $(BB)/obj/%.o: bench/%.c $(PERCALL_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -fexceptions -c -o $@ $<

# Linked with the C++ driver for the throwing callback; finds the fake client
# next to itself.
$(BB)/percall: $(PERCALL_OBJ) $(BB)/obj/cbs.o $(BB)/libfakeclient.so
	$(CXX) -o $@ $(PERCALL_OBJ) $(BB)/obj/cbs.o -L$(BB) -lfakeclient \
	    -Wl,-rpath,'$$ORIGIN' -lffi -ldl -lpthread

# An unmodified consumer; linked against the double (same SONAME as the
# real client), LD_LIBRARY_PATH chooses at run time.
$(BB)/e2e_consumer: bench/e2e_consumer.c tests/capi/rocketmq_c.h
	$(MAKE) -C tests/double
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -pthread -o $@ $< -L$(B)/double -lrocketmq -pthread

# The C++ listener wrapper per batch (bench/batch_bench.cc), once per real
# client build that is there (build/real/client-VERSION, fetched by
# tests/real; no fetch here): built as tests/real/cxx_consumer.cc is, run with
# LD_LIBRARY_PATH=build/real/client-VERSION, with and without the shim.
# -fno-devirtualize-speculatively: the loop calls the stored listener through
# its vtable as the client's consume service does; GCC would otherwise guess
# the application's class there and inline it (the unwrapped side only).
BATCH_CLIENTS := $(patsubst $(B)/real/client-%/librocketmq.so,%,$(wildcard $(B)/real/client-1.2.3/librocketmq.so $(B)/real/client-2.1.0/librocketmq.so))
BATCH_BINS := $(BATCH_CLIENTS:%=$(BB)/batch_bench-%)
BATCH_CXXAPI_1.2.3 := -DRC_CXX_CLIENT=1 -D_GLIBCXX_USE_CXX11_ABI=0
BATCH_CXXAPI_2.1.0 := -DRC_CXX_CLIENT=2
$(BB)/batch_bench-%: bench/batch_bench.cc tests/cxxapi/rocketmq_cxx.h bench/bench.mk $(B)/real/client-%/librocketmq.so
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(WARN) -O2 -g -fno-devirtualize-speculatively -I. $(BATCH_CXXAPI_$*) -o $@ $< \
	    -L$(B)/real/client-$* -Wl,-rpath-link,$(B)/real/client-$*/.libs -Wl,-rpath-link,$(B)/real/client-$* \
	    -lrocketmq -lpthread
bench-bins: $(BATCH_BINS)

bench: $(B)/libreconsume.so bench-bins
	python3 bench/bench.py --build $(B) $(BENCH_ARGS)

bench-check: $(B)/libreconsume.so $(BB)/percall $(BB)/libcount.so
	@mkdir -p $(BB)/spool
	LD_PRELOAD="$(CURDIR)/$(BB)/libcount.so $(CURDIR)/$(B)/libreconsume.so" \
	RECONSUME_SPOOL_DIR=$(CURDIR)/$(BB)/spool RECONSUME_LOG=$(CURDIR)/$(BB)/check.log \
	RECONSUME_MAX_RETRIES=1000 \
	    $(BB)/percall check --calls 100000
	@echo "bench-check: again with RECONSUME_STATS (the stats-on success path)"
	LD_PRELOAD="$(CURDIR)/$(BB)/libcount.so $(CURDIR)/$(B)/libreconsume.so" \
	RECONSUME_SPOOL_DIR=$(CURDIR)/$(BB)/spool RECONSUME_LOG=$(CURDIR)/$(BB)/check.log \
	RECONSUME_MAX_RETRIES=1000 RECONSUME_STATS=$(CURDIR)/$(BB)/check-stats.prom \
	    $(BB)/percall check --calls 100000

# The same driver with the shim's objects linked in (no preload): adds row f,
# the shim's handler behind a static thunk instead of a libffi closure, so the
# alternative to libffi is measured side by side with c in one process.
$(PERCALL_STATIC_OBJ): $(BB)/obj/static/%.o: bench/%.c $(PERCALL_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -fexceptions -DBENCH_STATIC_SHIM -c -o $@ $<

$(BB)/percall_static: $(PERCALL_STATIC_OBJ) $(BB)/obj/cbs.o $(LIB_OBJ) $(BB)/libfakeclient.so
	$(CXX) -o $@ $(PERCALL_STATIC_OBJ) $(BB)/obj/cbs.o $(LIB_OBJ) -L$(BB) -lfakeclient \
	    -Wl,-rpath,'$$ORIGIN' -lffi -ldl -lpthread
