# tools/spool.mk - reconsume-spool: inspect and replay diverted messages
# (included by the top-level Makefile; uses its B, CSTD, WARN, POLICY_OBJ).
#
#   make tools            build/reconsume-spool
#   unit tests tests/unit/test_spooltool_*.c link the tool's parts too.

SPOOLTOOL_SRC  := $(wildcard tools/spool/*.c)
SPOOLTOOL_OBJ  := $(SPOOLTOOL_SRC:%.c=$(B)/obj/%.o)
# Everything but main(), for the unit tests.
SPOOLTOOL_PART := $(filter-out $(B)/obj/tools/spool/main.o,$(SPOOLTOOL_OBJ))
CFLAGS_TOOL    := $(CSTD) $(WARN) $(OPT) -I.

.PHONY: tools
tools: $(B)/reconsume-spool

$(B)/obj/tools/spool/%.o: tools/spool/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TOOL) $(SAN) -MMD -MP -c $< -o $@

$(B)/reconsume-spool: $(SPOOLTOOL_OBJ) $(POLICY_OBJ)
	$(CC) $(SAN) -o $@ $(SPOOLTOOL_OBJ) $(POLICY_OBJ) -ldl -lpthread

$(B)/unit/test_spooltool_%: tests/unit/test_spooltool_%.c $(SPOOLTOOL_PART) $(POLICY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g -I. $(SAN) -o $@ $< $(SPOOLTOOL_PART) $(POLICY_OBJ) -lcmocka -lpthread -ldl

-include $(SPOOLTOOL_OBJ:.o=.d)
