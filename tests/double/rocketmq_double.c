/*
 * rocketmq_double.c - the whole test double as one translation unit, for the
 * builds that compile it from a single source: the symbol-versioned copy in
 * tests/dlopen/dlopen.mk and the static archive in tests/cli/test_doctor.py.
 * tests/double/Makefile builds librocketmq.so from the parts themselves, and
 * checks that this list names every one of them.
 */
#include "tests/double/util.c"
#include "tests/double/log.c"
#include "tests/double/fields.c"
#include "tests/double/message.c"
#include "tests/double/script.c"
#include "tests/double/delivery.c"
#include "tests/double/consumer.c"
#include "tests/double/producer.c"
