# tests/fuzz/fuzz.mk: libFuzzer targets for the parsers of the setuid
# starter's untrusted input and of the importer's (see tests/fuzz/README.md).
# A GNU make fragment for the top-level GNUmakefile, included after BUILDDIR
# and COMMON_SRC are set:
#
#   include tests/fuzz/fuzz.mk
#
#   make fuzz           build each target, fuzz each for FUZZ_SECONDS
#   make fuzz-request   (or fuzz-config, fuzz-image_ref, ...) just one of them
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
# The same as a prefix for a source path ("" for ".", as COMMON_SRC has it).
FUZZ_TOPPREFIX := $(if $(filter .,$(FUZZ_TOPDIR)),,$(FUZZ_TOPDIR)/)

# The driver sources the importer's targets link: every module of ochre and
# ochre-import but the two main()s (the parsers under test, in
# driver/image/image_ref.c, registry_ref.c, image_select.c,
# import/registry/registry_http.c and import/unpack/layer_extract.c, need
# much of the rest), with the libraries of
# ochre-import. The one place that names driver/'s layout.
FUZZ_DRIVER_DIRS = $(addprefix $(FUZZ_TOPPREFIX)driver/,util image launch container devices oci import import/unpack import/registry import/sif)
FUZZ_DRIVER_SRC  = $(filter-out %/main.c %/import_main.c,$(wildcard $(addsuffix /*.c,$(FUZZ_DRIVER_DIRS))))
FUZZ_DRIVER_HDR  = $(wildcard $(addsuffix /*.h,$(FUZZ_DRIVER_DIRS)))
FUZZ_DRIVER_CFLAGS = $(or $(JSON_CFLAGS),$(shell pkg-config --cflags json-c libarchive libcrypto libcurl 2>/dev/null))
FUZZ_DRIVER_LIBS = $(or $(UNIT_LIBS),$(shell pkg-config --libs json-c yaml-0.1 libarchive libcrypto libcurl 2>/dev/null || \
                     echo -ljson-c -lyaml -larchive -lcrypto -lcurl))

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_MAX_LEN ?= 8192
FUZZ_TIMEOUT ?= 10
FUZZ_FLAGS   ?=

# The starter's targets (common/ only) and the importer's (driver/ too).
FUZZ_STARTER_TARGETS := request config
FUZZ_DRIVER_TARGETS  := image_ref registry_ref www_authenticate tar_path image_select cdi cgroups_toml sif
FUZZ_TARGETS    := $(FUZZ_STARTER_TARGETS) $(FUZZ_DRIVER_TARGETS)
# Absolute: fuzz_image_ref runs in a scratch dir of its own.
FUZZ_BUILDDIR    = $(abspath $(or $(BUILDDIR),build))/fuzz
FUZZ_COMMON_SRC  = $(or $(COMMON_SRC),$(wildcard $(FUZZ_TOPDIR)/common/*.c))
FUZZ_COMMON_HDR  = $(wildcard $(FUZZ_TOPDIR)/common/*.h)
FUZZ_BINS        = $(FUZZ_TARGETS:%=$(FUZZ_BUILDDIR)/fuzz_%)
# The driver and common objects, instrumented once for all the importer's
# targets.
FUZZ_DRIVER_OBJS = $(patsubst $(FUZZ_TOPPREFIX)%.c,$(FUZZ_BUILDDIR)/obj/%.o,$(FUZZ_DRIVER_SRC) $(FUZZ_COMMON_SRC))

# The project's warning flags (WARN from the GNUmakefile; the same list when
# included elsewhere). A -W flag that clang does not know is ignored rather
# than made an error by -Werror.
FUZZ_WARN_DEFAULT := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wswitch-enum -Werror=switch-default
FUZZ_WARN     = $(filter -W%,$(or $(WARN),$(FUZZ_WARN_DEFAULT))) -Wno-unknown-warning-option
FUZZ_SANITIZE = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_ALL_CFLAGS = -std=gnu11 $(FUZZ_WARN) -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZE) \
                  -DOCHRE_VERSION='"$(or $(VERSION),fuzz)"' \
                  -DOCHRE_SYSCONFDIR='"$(or $(SYSCONFDIR),/usr/local/etc)"'
# Objects linked into a target: instrumented, without libFuzzer's main().
FUZZ_OBJ_CFLAGS = $(subst -fsanitize=fuzzer,-fsanitize=fuzzer-no-link,$(FUZZ_ALL_CFLAGS)) $(FUZZ_DRIVER_CFLAGS)

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

# Each starter target is one program: the harness and the common sources,
# all instrumented.
$(FUZZ_STARTER_TARGETS:%=$(FUZZ_BUILDDIR)/fuzz_%): $(FUZZ_BUILDDIR)/fuzz_%: $(FUZZ_SRCDIR)/fuzz_%.c \
		$(wildcard $(FUZZ_SRCDIR)/*.h) $(FUZZ_COMMON_SRC) $(FUZZ_COMMON_HDR) $(FUZZ_BUILDDIR)/fuzz-flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -o $@ $< $(FUZZ_COMMON_SRC)

# An importer target: the harness and the shared driver objects.
$(FUZZ_DRIVER_TARGETS:%=$(FUZZ_BUILDDIR)/fuzz_%): $(FUZZ_BUILDDIR)/fuzz_%: $(FUZZ_SRCDIR)/fuzz_%.c \
		$(wildcard $(FUZZ_SRCDIR)/*.h) $(FUZZ_DRIVER_OBJS) $(FUZZ_BUILDDIR)/fuzz-flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) $(FUZZ_DRIVER_CFLAGS) -o $@ $< $(FUZZ_DRIVER_OBJS) $(FUZZ_DRIVER_LIBS)

$(FUZZ_BUILDDIR)/obj/%.o: $(FUZZ_TOPPREFIX)%.c $(FUZZ_DRIVER_HDR) $(FUZZ_COMMON_HDR) $(FUZZ_BUILDDIR)/fuzz-flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_OBJ_CFLAGS) -c -o $@ $<

fuzz: $(FUZZ_TARGETS:%=fuzz-%)

# Fuzz one target for FUZZ_SECONDS. New inputs go to the scratch corpus,
# crashes to artifacts/TARGET/; the full output is in TARGET.log. A crash,
# leak, sanitizer report, timeout or out-of-memory fails the target.
$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(FUZZ_BUILDDIR)/fuzz_%
	@set -e; \
	corpus=$(FUZZ_BUILDDIR)/corpus/$*; art=$(FUZZ_BUILDDIR)/artifacts/$*; log=$(FUZZ_BUILDDIR)/$*.log; \
	$(call FUZZ_SEED,$$corpus,$*); mkdir -p $$art; \
	echo "fuzz $*: $(FUZZ_SECONDS) s, corpus $$corpus, log $$log"; \
	if $(FUZZ_ENV) $< -max_total_time=$(FUZZ_SECONDS) -dict=$(abspath $(FUZZ_SRCDIR))/$*.dict \
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
