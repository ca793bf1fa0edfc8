/*
 * libpath.c - where `reconsume run` finds libreconsume.so (see cli.h).
 * `make install` compiles this one file again with
 * -DRECONSUME_LIBDIR='"$(LIBDIR)"', so the installed command finds the
 * installed library without any variable; the build-tree binary has no
 * compiled-in path and looks next to itself.
 */
#include "tools/cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBNAME "libreconsume.so"

const char *cli_installed_lib(void)
{
#ifdef RECONSUME_LIBDIR
    return RECONSUME_LIBDIR "/" LIBNAME;
#else
    return NULL;
#endif
}

int cli_absolute(const char *path, char *out, size_t cap)
{
    int n;
    if (path[0] == '/') {
        n = snprintf(out, cap, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return -1;
        const char *p = path;
        while (p[0] == '.' && p[1] == '/')
            p += 2;
        n = snprintf(out, cap, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, p);
    }
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int cli_find_lib(const char *opt, char *out, size_t cap, const char **how, char *err,
                 size_t errlen)
{
    const char *env = getenv("RECONSUME_LIB");
    const char *pick = NULL;
    if (opt) {
        pick = opt;
        *how = "--lib";
    } else if (env && env[0]) {
        pick = env;
        *how = "RECONSUME_LIB";
    } else if (cli_installed_lib()) {
        pick = cli_installed_lib();
        *how = "the installed path";
    }
    if (pick) {
        if (cli_absolute(pick, out, cap) != 0) {
            snprintf(err, errlen, "%s: %s", pick, strerror(errno));
            return -1;
        }
        return 0;
    }
    /* Next to this binary: <prefix>/bin/reconsume -> <prefix>/lib, or build/. */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(err, errlen, "cannot find %s: /proc/self/exe: %s; use --lib PATH or "
                 "RECONSUME_LIB", LIBNAME, strerror(errno));
        return -1;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    static const char *const rel[] = {"/../lib/" LIBNAME, "/" LIBNAME};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        char cand[PATH_MAX + 32];
        snprintf(cand, sizeof cand, "%s%s", self, rel[i]);
        if (access(cand, R_OK) == 0) {
            char *real = realpath(cand, NULL); /* drop the "bin/.." */
            snprintf(out, cap, "%s", real ? real : cand);
            free(real);
            *how = "next to the binary";
            return 0;
        }
    }
    snprintf(err, errlen, "cannot find %s (looked in %s/../lib and %s); use --lib PATH or "
             "RECONSUME_LIB", LIBNAME, self, self);
    return -1;
}

void cli_put_quoted(FILE *f, const char *s)
{
    bool plain = s[0] != '\0';
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("_-./:,=@%+", c)))
            plain = false;
    }
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    }
    fputc('\'', f);
}
