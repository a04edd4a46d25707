# salespipe: one core library, one binary per cmd/*.c, man pages, tests.
#
#   make            build lib/libsalespipe.a (installed), lib/libsalespipe-cli.a
#                   (the program side, not installed) and bin/*
#   make check      install missing build packages, build, run every suite
#                   (unit, fuzz corpus replay, end-to-end, man examples,
#                   mandoc lint, usage vs SYNOPSIS, ...) plain, under
#                   ASan+UBSan, and tests/threads.sh under ThreadSanitizer,
#                   at smaller sizes
#   make check-valgrind  the suites under valgrind memcheck
#   make check-full every pass at full sizes (plain, valgrind, ASan+UBSan,
#                   TSan): what CI runs
#   make fuzz       libFuzzer on every parser (FUZZ_SECONDS, FUZZ_JOBS)
#   make deps-browser  install chromium and python3 for tests/browser.sh
#   make demo       install missing packages, build, run the demo pipeline
#   make install    PREFIX=/usr/local DESTDIR=
#   make bench      the benchmark (bench/run.sh)
#
# B is the build root: the plain build lives in ., the sanitizer build in
# build/san (make B=build/san SAN=1).

VERSION = 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
B ?= .
SAN ?=

CFLAGS ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# ThreadSanitizer build, for tests/threads.sh: make B=build/tsan SAN=thread
ifeq ($(SAN),thread)
CFLAGS = -O1 -g -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif
# libFuzzer build (clang): make B=build/fuzz SAN=fuzz CC=clang fuzzers
ifeq ($(SAN),fuzz)
CFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
ALL_CFLAGS = -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude \
	-DSALESPIPE_VERSION='"$(VERSION)"' $(CFLAGS)
LIBS = -lcsv -ljansson -lz -lzstd -lm -lpthread

# The program side of lib/ (it prints and exits: the one error voice,
# usage, the drivers) builds into its own archive, which the programs link
# and make install does not install; neither are its headers.  The rest is
# the installed library, libsalespipe.a, where nothing exits or prints
# (tests/cases/install/no-exit checks its undefined symbols).  Each
# archive depends on the Makefile, which decides its members.
PROG_SRC = lib/cli.c lib/append.c $(wildcard lib/drive.c) lib/fcledger.c \
	lib/progress.c
PROG_HDRS = include/salespipe/cli.h include/salespipe/append.h \
	$(wildcard include/salespipe/drive.h)
LIB_SRC = $(filter-out $(PROG_SRC),$(wildcard lib/*.c))
CMD_SRC = $(wildcard cmd/*.c)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
HDRS = $(wildcard include/salespipe/*.h)
LIB_HDRS = $(wildcard lib/*.h)
PUB_HDRS = $(filter-out $(PROG_HDRS),$(HDRS))

LIB_OBJ = $(patsubst lib/%.c,$(B)/obj/lib/%.o,$(LIB_SRC))
PROG_OBJ = $(patsubst lib/%.c,$(B)/obj/lib/%.o,$(PROG_SRC))
LIBA = $(B)/lib/libsalespipe.a
CLIA = $(B)/lib/libsalespipe-cli.a
PROGS = $(patsubst cmd/%.c,$(B)/bin/%,$(CMD_SRC))
UNITS = $(patsubst tests/unit/%.c,$(B)/obj/tests/%,$(UNIT_SRC))
REPLAYS = $(patsubst tests/fuzz/%.c,$(B)/obj/replay/%,$(FUZZ_SRC))
FUZZERS = $(patsubst tests/fuzz/%.c,$(B)/obj/fuzz/%,$(FUZZ_SRC))
MANS = $(wildcard man/*.1 man/*.3 man/*.5 man/*.7)
# shell completions, generated from each program's --help (its option
# table): $(B)/completions/bash/P, zsh/_P, fish/P.fish
COMPLETIONS = $(B)/completions/.stamp
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d

all: $(LIBA) $(CLIA) $(PROGS) $(COMPLETIONS)

$(B)/obj/lib/%.o: lib/%.c $(HDRS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ) Makefile
	@mkdir -p $(dir $@)
	@rm -f $@
	@echo "AR $@"
	@ar rcs $@ $(LIB_OBJ)

$(CLIA): $(PROG_OBJ) Makefile
	@mkdir -p $(dir $@)
	@rm -f $@
	@echo "AR $@"
	@ar rcs $@ $(PROG_OBJ)

$(B)/bin/%: cmd/%.c $(CLIA) $(LIBA) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(CLIA) $(LIBA) $(LIBS)

# report runs these programs' entry points, linked in: each cmd/NAME.c
# again with main renamed sp_main_NAME (- as _), and entries.h lists them
REPORT_RUNS = cycle-time deal-diff deal-size forecast funnel lead-response \
	lint loss-reasons pipeline scorecard selling-time velocity win-rate
REPORT_OBJ = $(patsubst %,$(B)/obj/report/%.o,$(REPORT_RUNS))

$(B)/obj/report/%.o: cmd/%.c $(HDRS) Makefile
	@mkdir -p $(dir $@)
	@echo "CC $@"
	@$(CC) $(ALL_CFLAGS) -Dmain=sp_main_$(subst -,_,$*) -c -o $@ $<

$(B)/obj/report/entries.h: Makefile
	@mkdir -p $(dir $@)
	@for p in $(REPORT_RUNS); do \
	    echo "E(\"$$p\", sp_main_$$(echo $$p | tr - _))"; done > $@

$(B)/bin/report: cmd/report.c $(REPORT_OBJ) $(B)/obj/report/entries.h $(CLIA) $(LIBA) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) -I$(B)/obj/report $(LDFLAGS) -o $@ $< $(REPORT_OBJ) $(CLIA) $(LIBA) $(LIBS)

$(COMPLETIONS): $(PROGS) scripts/completions.sh
	@echo "GEN $(B)/completions"
	@rm -rf $(B)/completions
	@sh scripts/completions.sh $(B)/completions $(PROGS)
	@touch $@

$(B)/obj/tests/%: tests/unit/%.c $(CLIA) $(LIBA) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(CLIA) $(LIBA) $(LIBS) -lcmocka

# fuzz targets: with a replay main for make check (any compiler), and
# with libFuzzer for make fuzz (clang)
$(B)/obj/replay/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h tests/fuzz/stages_check.h $(LIBA) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIBA) $(LIBS)

$(B)/obj/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h tests/fuzz/stages_check.h $(LIBA) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBA) $(LIBS)

units: $(UNITS) $(REPLAYS)

fuzzers: $(LIBA) $(FUZZERS)

# make fuzz [FUZZ_SECONDS=60] [FUZZ_JOBS=2] [FUZZ_TARGETS="csv jsonl"]
fuzz:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory B=build/fuzz SAN=fuzz CC=clang fuzzers
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

deps:
	@sh scripts/deps.sh

# what the browser tests need (tests/browser.sh: chromium, python3), apart
# from deps: make check-full runs it before SUITES=browser
deps-browser:
	@sh scripts/deps.sh browser
.PHONY: deps-browser

# The suite: unit tests, end-to-end cases, man page examples, mandoc lint.
test: all units
	@sh tests/run.sh $(B)

# The test runs (tests/check.sh: the suites of every pass in one queue,
# two at a time on two processors, the longest first, a line per suite as
# it ends).  The builds use every processor unless make was given -j.
#   make check           plain, ASan+UBSan (build/san), TSan (build/tsan,
#                        threads.sh), at smaller sizes
#   make check-valgrind  the valgrind memcheck pass alone
#   make check-full      all four passes at full sizes and the suites only
#                        it runs (what .ci/run runs)
CHECK_J = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))

check-builds:
	@$(MAKE) --no-print-directory $(CHECK_J) all units
	@$(MAKE) --no-print-directory $(CHECK_J) B=build/san SAN=1 all units
	@$(MAKE) --no-print-directory $(CHECK_J) B=build/tsan SAN=thread all

check: deps
	@$(MAKE) --no-print-directory check-builds
	@sh tests/check.sh check

check-valgrind: deps
	@$(MAKE) --no-print-directory $(CHECK_J) all units
	@sh tests/check.sh valgrind

check-full: deps
	@$(MAKE) --no-print-directory deps-browser || \
	    echo "check-full: no browser packages: tests/browser.sh will skip"
	@$(MAKE) --no-print-directory check-builds
	@sh tests/check.sh full

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh bin

bench: all
	@sh bench/run.sh

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/salespipe \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	cp -f $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	cp -f $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	printf 'prefix=%s\nincludedir=$${prefix}/include\nlibdir=$${prefix}/lib\n\nName: salespipe\nDescription: sales-operations analytics core library (salespipe(3))\nVersion: %s\nRequires: jansson\nLibs: -L$${libdir} -lsalespipe -lcsv -lz -lzstd -lm -lpthread\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(VERSION)' > $(DESTDIR)$(PREFIX)/lib/pkgconfig/salespipe.pc
	cp -f $(PUB_HDRS) $(DESTDIR)$(PREFIX)/include/salespipe/
	for m in $(MANS); do s=$${m##*.}; cp -f $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done
	mkdir -p $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	for p in $(PROGS); do p=$${p##*/}; \
		cp -f $(B)/completions/bash/$$p $(DESTDIR)$(BASHCOMPDIR)/$$p; \
		cp -f $(B)/completions/zsh/_$$p $(DESTDIR)$(ZSHCOMPDIR)/_$$p; \
		cp -f $(B)/completions/fish/$$p.fish $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; \
	done

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(PREFIX)/bin/$${p##*/}; done
	rm -f $(DESTDIR)$(PREFIX)/lib/libsalespipe.a $(DESTDIR)$(PREFIX)/lib/pkgconfig/salespipe.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/salespipe
	for m in $(MANS); do s=$${m##*.}; rm -f $(DESTDIR)$(PREFIX)/share/man/man$$s/$${m##*/}; done
	for p in $(PROGS); do p=$${p##*/}; \
		rm -f $(DESTDIR)$(BASHCOMPDIR)/$$p $(DESTDIR)$(ZSHCOMPDIR)/_$$p \
		    $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; \
	done

clean:
	rm -rf obj bin lib/libsalespipe.a lib/libsalespipe-cli.a build completions

.PHONY: all units fuzzers fuzz deps test check check-builds check-valgrind check-full demo bench install uninstall clean
.SECONDARY:
