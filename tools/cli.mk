# tools/cli.mk - the `reconsume` command (run, doctor), install, uninstall
# (included by the top-level Makefile; uses its B, CC, CSTD, WARN, OPT,
# POLICY_OBJ).
#
#   make cli          build/reconsume (finds the library next to itself)
#   make cli-test     python3 -m pytest tests/cli tests/docs (README's console blocks)
#   make install      PREFIX=/usr/local DESTDIR= LIBDIR BINDIR MANDIR
#   make uninstall    the same variables
#
# The installed command is linked again with the installed library's path
# compiled in (-DRECONSUME_LIBDIR, tools/cli/libpath.c), so it needs no
# variable to find it; DESTDIR is a staging root only and is not compiled in.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
INSTALL ?= install

CLI_SRC    := $(wildcard tools/cli/*.c)
CLI_OBJ    := $(CLI_SRC:%.c=$(B)/obj/%.o)
CFLAGS_CLI := $(CSTD) $(WARN) $(OPT) -I.
CLI_LIBS   := -ldl -lpthread
CLI_MAN    := man/reconsume.1 man/reconsume.7

.PHONY: cli cli-test install uninstall

cli: $(B)/reconsume

$(B)/obj/tools/cli/%.o: tools/cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_CLI) $(SAN) -MMD -MP -c $< -o $@

$(B)/reconsume: $(CLI_OBJ) $(POLICY_OBJ)
	$(CC) $(SAN) -o $@ $(CLI_OBJ) $(POLICY_OBJ) $(CLI_LIBS)

cli-test: lib programs $(B)/reconsume $(B)/reconsume-spool
	$(PYTEST) tests/cli tests/docs

# Rebuilt on every install: LIBDIR may differ from the last one.
install: $(B)/libreconsume.so $(B)/reconsume $(B)/reconsume-spool $(CLI_MAN)
	@mkdir -p $(B)/install
	$(CC) $(CFLAGS_CLI) -DRECONSUME_LIBDIR='"$(LIBDIR)"' -c tools/cli/libpath.c \
	    -o $(B)/install/libpath.o
	$(CC) -o $(B)/install/reconsume $(filter-out %/libpath.o,$(CLI_OBJ)) \
	    $(B)/install/libpath.o $(POLICY_OBJ) $(CLI_LIBS)
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man7
	$(INSTALL) -m 0644 $(B)/libreconsume.so $(DESTDIR)$(LIBDIR)/libreconsume.so
	$(INSTALL) -m 0755 $(B)/install/reconsume $(DESTDIR)$(BINDIR)/reconsume
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)/reconsume/report/reconsume_report
	$(INSTALL) -m 0644 tools/report/reconsume_report/*.py \
	    $(DESTDIR)$(LIBDIR)/reconsume/report/reconsume_report/
	sed 's|^PACKAGE_DIR = "".*|PACKAGE_DIR = "$(LIBDIR)/reconsume/report"|' \
	    tools/reconsume-report > $(B)/install/reconsume-report
	grep -q '^PACKAGE_DIR = "$(LIBDIR)/reconsume/report"$$' $(B)/install/reconsume-report
	$(INSTALL) -m 0755 $(B)/install/reconsume-report $(DESTDIR)$(BINDIR)/reconsume-report
	$(INSTALL) -m 0755 $(B)/reconsume-spool $(DESTDIR)$(BINDIR)/reconsume-spool
	$(INSTALL) -m 0644 man/reconsume.1 $(DESTDIR)$(MANDIR)/man1/reconsume.1
	$(INSTALL) -m 0644 man/reconsume-spool.1 $(DESTDIR)$(MANDIR)/man1/reconsume-spool.1
	$(INSTALL) -m 0644 man/reconsume-report.1 $(DESTDIR)$(MANDIR)/man1/reconsume-report.1
	$(INSTALL) -m 0644 man/reconsume.7 $(DESTDIR)$(MANDIR)/man7/reconsume.7

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libreconsume.so $(DESTDIR)$(BINDIR)/reconsume \
	    $(DESTDIR)$(BINDIR)/reconsume-report $(DESTDIR)$(BINDIR)/reconsume-spool \
	    $(DESTDIR)$(MANDIR)/man1/reconsume.1 $(DESTDIR)$(MANDIR)/man7/reconsume.7
	rm -f $(DESTDIR)$(MANDIR)/man1/reconsume-spool.1 $(DESTDIR)$(MANDIR)/man1/reconsume-report.1
	rm -f $(DESTDIR)$(LIBDIR)/reconsume/report/reconsume_report/*.py
	rm -rf $(DESTDIR)$(LIBDIR)/reconsume/report/reconsume_report/__pycache__
	rmdir $(DESTDIR)$(LIBDIR)/reconsume/report/reconsume_report \
	    $(DESTDIR)$(LIBDIR)/reconsume/report $(DESTDIR)$(LIBDIR)/reconsume 2>/dev/null || true

-include $(CLI_OBJ:.o=.d)
