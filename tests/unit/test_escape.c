/*
 * test_escape.c - util/escape: what is kept, what becomes \xNN, and that a
 * small buffer never gets half an escape or half a character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/escape.h"

static char out[1024];

static const char *esc(const char *s, size_t n, unsigned flags)
{
    size_t used = 0;
    size_t o = rc_escape(out, sizeof out, s, n, flags, &used);
    assert_int_equal(used, n);
    assert_int_equal(o, strlen(out));
    return out;
}
#define ESC(lit) esc(lit, sizeof lit - 1, 0)

static void ascii_printable_is_kept(void **state)
{
    (void)state;
    assert_string_equal(ESC("msgId=OK1 topic=T group=G \\x41 ~"), "msgId=OK1 topic=T group=G \\x41 ~");
    assert_string_equal(ESC(""), "");
}

static void c0_and_del_are_escaped(void **state)
{
    (void)state;
    assert_string_equal(ESC("a\nb\rc\td\x1b[31me\x7f"), "a\\x0ab\\x0dc\\x09d\\x1b[31me\\x7f");
    assert_string_equal(esc("a\0b", 3, 0), "a\\x00b");
}

static void c1_controls_are_escaped_raw_and_as_utf8(void **state)
{
    (void)state;
    assert_string_equal(ESC("x\x9b" "31m"), "x\\x9b31m");        /* raw CSI: invalid UTF-8 */
    assert_string_equal(ESC("x\xc2\x9b" "31m"), "x\\xc2\\x9b31m"); /* U+009B */
    assert_string_equal(ESC("\xc2\x80\xc2\x85\xc2\x9f"), "\\xc2\\x80\\xc2\\x85\\xc2\\x9f");
    assert_string_equal(ESC("\xc2\xa0"), "\xc2\xa0"); /* U+00A0, the first one kept */
}

static void bidi_controls_are_escaped(void **state)
{
    (void)state;
    static const char *const bidi[] = {
        "\xd8\x9c",                                                 /* U+061C ALM */
        "\xe2\x80\x8e", "\xe2\x80\x8f",                             /* U+200E LRM, U+200F RLM */
        "\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae", /* 202A-E */
        "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9", /* U+2066..U+2069 */
        "\xe2\x80\xa8", "\xe2\x80\xa9",                             /* U+2028 LS, U+2029 PS */
    };
    for (size_t i = 0; i < sizeof bidi / sizeof *bidi; i++) {
        char want[32];
        const unsigned char *b = (const unsigned char *)bidi[i];
        int n = 0;
        for (size_t k = 0; b[k]; k++)
            n += snprintf(want + n, sizeof want - (size_t)n, "\\x%02x", b[k]);
        assert_string_equal(esc(bidi[i], strlen(bidi[i]), 0), want);
    }
    /* Their neighbours are ordinary characters. */
    assert_string_equal(ESC("\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"),
                        "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
}

static void valid_utf8_is_kept(void **state)
{
    (void)state;
    const char *s = "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
    assert_string_equal(esc(s, strlen(s), 0), s);
}

static void invalid_utf8_is_escaped_byte_by_byte(void **state)
{
    (void)state;
    assert_string_equal(ESC("\xff\xfe"), "\\xff\\xfe");
    assert_string_equal(ESC("\x80x"), "\\x80x");                       /* lone continuation */
    assert_string_equal(ESC("\xc0\xaf"), "\\xc0\\xaf");                /* overlong '/' */
    assert_string_equal(ESC("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");       /* overlong, 3 bytes */
    assert_string_equal(ESC("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf"); /* overlong, 4 bytes */
    assert_string_equal(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");       /* a surrogate */
    assert_string_equal(ESC("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
    assert_string_equal(ESC("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
    assert_string_equal(ESC("\xe4\xb8"), "\\xe4\\xb8");                /* truncated at the end */
    assert_string_equal(ESC("\xe4\xb8x"), "\\xe4\\xb8x");              /* truncated inside */
    assert_string_equal(ESC("\xc3\xc3\xa9"), "\\xc3\xc3\xa9");         /* resynchronises */
}

static void printable_len_reports_each_kind(void **state)
{
    (void)state;
    const unsigned char a[] = "A", e[] = "\xc3\xa9", cjk[] = "\xe4\xb8\xad", emoji[] = "\xf0\x9f\x98\x80";
    assert_int_equal(rc_printable_len(a, 1), 1);
    assert_int_equal(rc_printable_len(e, 2), 2);
    assert_int_equal(rc_printable_len(cjk, 3), 3);
    assert_int_equal(rc_printable_len(emoji, 4), 4);
    assert_int_equal(rc_printable_len(emoji, 3), 0); /* the rest is beyond n */
    const unsigned char nl[] = "\n", rlo[] = "\xe2\x80\xae";
    assert_int_equal(rc_printable_len(nl, 1), 0);
    assert_int_equal(rc_printable_len(rlo, 3), 0);
}

static void backslash_flag_makes_it_reversible(void **state)
{
    (void)state;
    assert_string_equal(esc("a\\x1b\x1b", 6, 0), "a\\x1b\\x1b"); /* ambiguous without it */
    assert_string_equal(esc("a\\x1b\x1b", 6, RC_ESC_BACKSLASH), "a\\\\x1b\\x1b");
}

static void ascii_flag_escapes_all_high_bytes(void **state)
{
    (void)state;
    assert_string_equal(esc("caf\xc3\xa9", 5, RC_ESC_ASCII), "caf\\xc3\\xa9");
    assert_string_equal(esc("a\x01", 2, RC_ESC_ASCII), "a\\x01");
}

/* Whatever the room, the output is a prefix of the full output that ends on
 * a boundary: never half an escape, never half a character. */
static void small_buffers_cut_on_a_boundary(void **state)
{
    (void)state;
    const char *s = "ab\x1b\xc3\xa9\xe4\xb8\xad\x9b" "z";
    size_t n = strlen(s);
    char full[128];
    size_t all = rc_escape(full, sizeof full, s, n, 0, NULL);
    assert_string_equal(full, "ab\\x1b\xc3\xa9\xe4\xb8\xad\\x9bz");
    /* The boundaries: after a, b, \x1b, é, 中, \x9b, z. */
    const size_t cuts[] = {0, 1, 2, 6, 8, 11, 15, 16};
    for (size_t cap = 1; cap <= all + 1; cap++) {
        char buf[128];
        memset(buf, 'Q', sizeof buf);
        size_t used = 99;
        size_t o = rc_escape(buf, cap, s, n, 0, &used);
        assert_true(o <= cap - 1);
        assert_int_equal(buf[o], '\0');
        assert_memory_equal(buf, full, o);
        size_t best = 0;
        for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++)
            if (cuts[k] <= cap - 1)
                best = cuts[k];
        assert_int_equal(o, best);
        assert_true(used <= n);
        assert_int_equal(buf[cap], 'Q'); /* nothing written beyond cap */
        char again[128];
        assert_int_equal(rc_escape(again, sizeof again, s, used, 0, NULL), o);
    }
    /* cap 0 writes nothing at all. */
    char z = 'Q';
    size_t used = 99;
    assert_int_equal(rc_escape(&z, 0, s, n, 0, &used), 0);
    assert_int_equal(z, 'Q');
    assert_int_equal(used, 0);
}

static void every_output_is_valid_utf8_without_controls(void **state)
{
    (void)state;
    /* All 2-byte inputs, and 3-byte ones with a fixed lead: the output must
     * be printable ASCII or kept characters only. */
    unsigned char in[3];
    char buf[32];
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            in[0] = (unsigned char)a;
            in[1] = (unsigned char)b;
            in[2] = 0x80;
            for (size_t n = 2; n <= 3; n++) {
                size_t o = rc_escape(buf, sizeof buf, (const char *)in, n, 0, NULL);
                for (size_t i = 0; i < o;) {
                    size_t k = rc_printable_len((const unsigned char *)buf + i, o - i);
                    assert_true(k > 0);
                    i += k;
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ascii_printable_is_kept),
        cmocka_unit_test(c0_and_del_are_escaped),
        cmocka_unit_test(c1_controls_are_escaped_raw_and_as_utf8),
        cmocka_unit_test(bidi_controls_are_escaped),
        cmocka_unit_test(valid_utf8_is_kept),
        cmocka_unit_test(invalid_utf8_is_escaped_byte_by_byte),
        cmocka_unit_test(printable_len_reports_each_kind),
        cmocka_unit_test(backslash_flag_makes_it_reversible),
        cmocka_unit_test(ascii_flag_escapes_all_high_bytes),
        cmocka_unit_test(small_buffers_cut_on_a_boundary),
        cmocka_unit_test(every_output_is_valid_utf8_without_controls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
