# tests/fuzz/fuzz.mk: libFuzzer targets for the parsers of the setuid
# starter's untrusted input (see tests/fuzz/README.md). A GNU make fragment
# for the top-level GNUmakefile, included after BUILDDIR and COMMON_SRC are
# set:
#
#   include tests/fuzz/fuzz.mk
#
#   make fuzz           build each target, fuzz each for FUZZ_SECONDS
#   make fuzz-request   (or fuzz-config) just one of them
#   make fuzz-regress   run each target once over its seed corpus (fast)
#
# Knobs: FUZZ_SECONDS (per target, default 60), FUZZ_CC (clang),
# FUZZ_MAX_LEN, FUZZ_TIMEOUT, FUZZ_FLAGS (more libFuzzer flags, e.g.
# -jobs=4 -workers=4). Everything is written under $(BUILDDIR)/fuzz: the
# binaries, a scratch corpus per target (kept between runs, seeded from
# tests/fuzz/corpus/TARGET), the logs and the crash artifacts. Nothing is
# written into the source tree.

# Included anywhere, this fragment leaves the includer's default goal alone.
FUZZ_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

# Where this fragment and the tree it belongs to are, whatever the includer's
# directory ("tests/fuzz" and "." from the top-level GNUmakefile).
FUZZ_SRCDIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
FUZZ_TOPDIR := $(or $(patsubst %/tests/fuzz,%,$(filter %/tests/fuzz,$(FUZZ_SRCDIR))),.)

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_MAX_LEN ?= 8192
FUZZ_TIMEOUT ?= 10
FUZZ_FLAGS   ?=

FUZZ_TARGETS    := request config cdi
# Targets beyond the common parsers name their extra sources and libraries.
FUZZ_EXTRA_cdi  = $(addprefix $(FUZZ_TOPDIR)/driver/,devices/cdi_parse.c devices/cdi_yaml.c \
                    devices/cdi_edits.c error.c xalloc.c strv.c)
FUZZ_LIBS_cdi   = $(shell pkg-config --cflags --libs json-c yaml-0.1 2>/dev/null || echo -ljson-c -lyaml)
FUZZ_BUILDDIR    = $(or $(BUILDDIR),build)/fuzz
FUZZ_COMMON_SRC  = $(or $(COMMON_SRC),$(wildcard $(FUZZ_TOPDIR)/common/*.c))
FUZZ_COMMON_HDR  = $(wildcard $(FUZZ_TOPDIR)/common/*.h)
FUZZ_BINS        = $(FUZZ_TARGETS:%=$(FUZZ_BUILDDIR)/fuzz_%)

# The project's warning flags (WARN from the GNUmakefile; the same list when
# included elsewhere). A -W flag that clang does not know is ignored rather
# than made an error by -Werror.
FUZZ_WARN_DEFAULT := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wswitch-enum -Werror=switch-default
FUZZ_WARN     = $(filter -W%,$(or $(WARN),$(FUZZ_WARN_DEFAULT))) -Wno-unknown-warning-option
FUZZ_SANITIZE = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_ALL_CFLAGS = -std=gnu11 $(FUZZ_WARN) -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZE) \
                  -DOCHRE_VERSION='"$(or $(VERSION),fuzz)"' \
                  -DOCHRE_SYSCONFDIR='"$(or $(SYSCONFDIR),/usr/local/etc)"'

# Sanitizer reports with a stack trace; the caller's settings win.
FUZZ_ENV = UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
           ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1}

# $(call FUZZ_SEED,DIR,TARGET): copy TARGET's seeds into DIR. The config
# target also gets the tree's current etc/ochre.conf, as is and with every
# commented-out default enabled, so new directives are seeded as they are
# documented there.
define FUZZ_SEED
mkdir -p $(1) && cp -f $(FUZZ_SRCDIR)/corpus/$(2)/* $(1)/ \
$(if $(filter config,$(2)),&& if [ -f $(FUZZ_TOPDIR)/etc/ochre.conf ]; then \
	cp -f $(FUZZ_TOPDIR)/etc/ochre.conf $(1)/etc-ochre.conf && \
	sed 's/^#\([a-z][a-z0-9 -]* = \)/\1/' $(FUZZ_TOPDIR)/etc/ochre.conf > $(1)/etc-ochre-all-set.conf; \
	fi)
endef

.PHONY: fuzz fuzz-regress fuzz-build fuzz-flags-check $(FUZZ_TARGETS:%=fuzz-%) $(FUZZ_TARGETS:%=fuzz-regress-%)

fuzz-build: $(FUZZ_BINS)

# Rebuild when the compiler or flags change.
$(FUZZ_BUILDDIR)/fuzz-flags: fuzz-flags-check
	@mkdir -p $(@D)
	@echo '$(FUZZ_CC) $(FUZZ_ALL_CFLAGS)' | cmp -s - $@ || echo '$(FUZZ_CC) $(FUZZ_ALL_CFLAGS)' > $@

# Each target is one program: the harness and the common sources, all
# instrumented.
$(FUZZ_BUILDDIR)/fuzz_%: $(FUZZ_SRCDIR)/fuzz_%.c $(wildcard $(FUZZ_SRCDIR)/*.h) $(FUZZ_COMMON_SRC) $(FUZZ_COMMON_HDR) $(FUZZ_BUILDDIR)/fuzz-flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -o $@ $< $(FUZZ_COMMON_SRC) $(FUZZ_EXTRA_$*) $(FUZZ_LIBS_$*)

$(FUZZ_BUILDDIR)/fuzz_cdi: $(FUZZ_EXTRA_cdi) $(wildcard $(FUZZ_TOPDIR)/driver/devices/*.h)

fuzz: $(FUZZ_TARGETS:%=fuzz-%)

# Fuzz one target for FUZZ_SECONDS. New inputs go to the scratch corpus,
# crashes to artifacts/TARGET/; the full output is in TARGET.log. A crash,
# leak, sanitizer report, timeout or out-of-memory fails the target.
$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(FUZZ_BUILDDIR)/fuzz_%
	@set -e; \
	corpus=$(FUZZ_BUILDDIR)/corpus/$*; art=$(FUZZ_BUILDDIR)/artifacts/$*; log=$(FUZZ_BUILDDIR)/$*.log; \
	$(call FUZZ_SEED,$$corpus,$*); mkdir -p $$art; \
	echo "fuzz $*: $(FUZZ_SECONDS) s, corpus $$corpus, log $$log"; \
	if $(FUZZ_ENV) $< -max_total_time=$(FUZZ_SECONDS) -dict=$(FUZZ_SRCDIR)/$*.dict \
		-max_len=$(FUZZ_MAX_LEN) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
		-artifact_prefix=$$art/ $(FUZZ_FLAGS) $$corpus > $$log 2>&1; then \
		grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' $$log \
			| sed 's/^/  /'; \
		echo "fuzz $*: no crash ($$(ls $$corpus | wc -l) inputs in the corpus)"; \
	else \
		status=$$?; tail -n 60 $$log | cat -v; \
		echo "fuzz $*: FAILED (libFuzzer exit $$status); reproducer(s) in $$art:"; \
		ls -t $$art | head -n 5 | sed "s|^|  $$art/|"; \
		echo "replay: $< $$art/FILE"; \
		exit 1; \
	fi

fuzz-regress: $(FUZZ_TARGETS:%=fuzz-regress-%)

# Run a target once over exactly its seeds (a fresh copy), no fuzzing.
$(FUZZ_TARGETS:%=fuzz-regress-%): fuzz-regress-%: $(FUZZ_BUILDDIR)/fuzz_%
	@set -e; \
	corpus=$(FUZZ_BUILDDIR)/regress/$*; art=$(FUZZ_BUILDDIR)/artifacts/$*; log=$(FUZZ_BUILDDIR)/regress-$*.log; \
	rm -rf $$corpus; $(call FUZZ_SEED,$$corpus,$*); mkdir -p $$art; \
	if $(FUZZ_ENV) $< -runs=0 -max_len=$(FUZZ_MAX_LEN) -timeout=$(FUZZ_TIMEOUT) \
		-artifact_prefix=$$art/ $$corpus > $$log 2>&1; then \
		echo "fuzz-regress $*: $$(ls $$corpus | wc -l) inputs pass"; \
	else \
		status=$$?; tail -n 60 $$log | cat -v; \
		echo "fuzz-regress $*: FAILED (libFuzzer exit $$status), log $$log"; \
		exit 1; \
	fi

.DEFAULT_GOAL := $(FUZZ_SAVED_DEFAULT_GOAL)
