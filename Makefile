# xfr build. The only entry point: make, make deps, make test, make demo,
# make bench, make check-format, make install. Everything lands under $(BUILD).
#
# make SAN=1 builds with ASan+UBSan into build/san, make TSAN=1 with ThreadSanitizer
# into build/tsan (TSan cannot be combined with ASan); both are used by .ci/run.

BUILD    ?= build
PREFIX   ?= /usr/local
# systemd reads units from /usr/local/lib/systemd/system too; packagers set UNITDIR.
UNITDIR  ?= $(PREFIX)/lib/systemd/system
CC       ?= cc
PKGS     := jansson libcrypto libmicrohttpd libcurl libngtcp2 libngtcp2_crypto_gnutls gnutls
SAN      ?=
TSAN     ?=

ifeq ($(SAN)$(TSAN),11)
$(error SAN=1 and TSAN=1 cannot be combined: ASan and TSan exclude each other)
endif
ifeq ($(SAN),1)
BUILD    := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
# make FUZZ=1: clang 14 with libFuzzer's coverage and ASan+UBSan into build/fuzz (make fuzz).
ifeq ($(FUZZ),1)
BUILD    := build/fuzz
CC       := clang
CFLAGS   := -O1 -g
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer
# mk/bpf.mk finds the arch headers by $(CC) -dumpmachine, which is gcc's triplet only.
override BPF_ARCH_INC := /usr/include/$(shell clang -print-multiarch)
endif
ifeq ($(TSAN),1)
BUILD    := build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
endif

PKGS     += ncursesw # the TUI (user/tui/)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl: headers only; user/metrics/push.c opens it (dlopen) when a push gateway is set
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libcurl,$(PKGS)) 2>/dev/null)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers \
	    -D_GNU_SOURCE -Icommon -Iuser -I. $(PKG_CFLAGS) $(SANFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lmdnsd -lpthread -lm

LIB_SRCS := $(wildcard common/*.c) $(wildcard quic/*.c) $(filter-out user/main.c,$(shell find user -name '*.c' | sort))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/user/main.o
LIBXFR   := $(BUILD)/libxfr.a
XFR      := $(BUILD)/xfr

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# tests/lib: the helpers every C test links (included as "lib/xt.h").
XT_SRCS  := $(wildcard tests/lib/*.c)
XT_OBJS  := $(XT_SRCS:%.c=$(BUILD)/%.o)
LIBXT    := $(BUILD)/libxt.a
TEST_CFLAGS = $(filter-out -MMD -MP,$(CFLAGS)) -Itests
TEST_LIBS   = $(LIBXT) $(LIBXFR) $(LDFLAGS) $(LDLIBS) -lcmocka

C_FILES  := $(shell find common user tests bpf quic -name '*.[ch]' 2>/dev/null)

.PHONY: all deps deps-vmtest test unit integration demo bench bench-check fuzz fuzz-smoke fuzz-regress fuzz-bins check check-format check-layers check-cycles format install clean

all: $(XFR)

# BPF programs and their skeletons, BPF_PROG_RUN tests (after the objects above are set).
include mk/bpf.mk
# make vmtest: the BPF and XDP suites inside Debian 12's 6.1 kernel under qemu.
-include mk/vmtest.mk

# <libmdnsd/mdnsd.h> includes a "config.h" Debian's package does not ship (mk/mdnsd-compat).
MDNS_OBJS := $(BUILD)/user/base/mdns.o $(BUILD)/user/cmd/discover.o
$(MDNS_OBJS): CFLAGS += -Imk/mdnsd-compat

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBXFR): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(XFR): $(MAIN_OBJ) $(LIBXFR)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/lib/%.o: CFLAGS += -Itests
$(LIBXT): $(XT_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The run core's test slows the engine's build down (run_prepare_async) through a wrapper.
$(BUILD)/tests/test_run: TEST_LIBS += -Wl,--wrap=dataplane_engine
# The log file's test sets the wall clock (daily rotation).
$(BUILD)/tests/test_logfile: TEST_LIBS += -Wl,--wrap=clock_gettime

$(BUILD)/tests/%: tests/unit/%.c tests/lib/xt.h $(LIBXT) $(LIBXFR)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LIBS)

deps:
	@scripts/install-deps.sh

# make vmtest's qemu and initramfs tools as well (not needed for anything else).
deps-vmtest:
	@scripts/install-deps.sh --vmtest

# test_quic.sh's peer that opens fewer QUIC streams than its test asked for: an
# LD_PRELOAD shim, built plain (no sanitizer) so that it loads into any build.
XT_SHIM := $(BUILD)/tests/quic_streams_shim.so
$(XT_SHIM): tests/integration/quic_streams_shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC \
		$(shell pkg-config --cflags libngtcp2) -o $@ $< -ldl

unit: $(UNIT_BINS) $(XT_SHIM)

# The suite: installs, builds, runs unit and integration tests, prints
# "N passed, N failed, N skipped" last.
test: deps
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(XFR)

bench: deps
	@$(MAKE) --no-print-directory all $(XDP_CEILING)
	@XDP_CEILING=$(XDP_CEILING) BENCH_JSON=$(BUILD)/bench.json scripts/bench.sh $(XFR)

# The bench, then its ratios against the bench/baseline*.json of this CPU model:
# fails when one is more than 15 % below. Not in CI (noisy); run before a release.
bench-check: bench
	@scripts/bench-check.sh $(BUILD)/bench.json

# libFuzzer harnesses, one per attack surface (tests/fuzz/fuzz_*.c, docs/FUZZING.md), built
# with make FUZZ=1 into build/fuzz and run by scripts/fuzz.sh:
#   make fuzz          each harness FUZZ_SECONDS (60) from its corpus; prints the executions
#   make fuzz-regress  replay the checked-in corpus (seeds and every crash found) once
#   make fuzz-smoke    fuzz-regress, then each harness 10 s (CI)
# New inputs go to build/fuzz/corpus/<harness>, crashes to build/fuzz/artifacts/<harness>.
FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/%)

# The prober's harness answers each datagram inside the prober's own send(); the
# server's catches calls on closed file descriptors; the QUIC link's exchanges its
# connection's datagrams in memory, on its own clock.
FUZZ_LDFLAGS_mtu_prober := -Wl,--wrap=send
FUZZ_LDFLAGS_server     := -Wl,--wrap=close,--wrap=read,--wrap=write,--wrap=send,--wrap=recv
FUZZ_LDFLAGS_quic_link  := -Wl,--wrap=clock_gettime,--wrap=sendmsg,--wrap=recvmsg

FUZZ_EXTRA_quic_link    := tests/fuzz/quic_peer.c
$(BUILD)/fuzz_quic_link: tests/fuzz/quic_peer.c tests/fuzz/quic_peer.h

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIBXT) $(LIBXFR)
	$(CC) $(TEST_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_EXTRA_$*) $(LIBXT) $(LIBXFR) \
		$(LDFLAGS) $(FUZZ_LDFLAGS_$*) $(LDLIBS)

fuzz-bins: $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	@scripts/fuzz.sh run $(FUZZ_SECONDS)

fuzz-smoke: deps
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	@scripts/fuzz.sh regress
	@scripts/fuzz.sh run 10

fuzz-regress: deps
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	@scripts/fuzz.sh regress

# Static checks CI runs: the layer rule (scripts/check-layers.sh), no cycles between
# modules (scripts/module-cycles.py, over the built objects) and the format.
check: check-layers check-cycles check-format

check-layers:
	@scripts/check-layers.sh

check-cycles: $(LIB_OBJS)
	@python3 scripts/module-cycles.py $(BUILD)

check-format:
	@clang-format --dry-run --Werror $(C_FILES)

format:
	@clang-format -i $(C_FILES)

install: $(XFR)
	install -D -m 0755 $(XFR) $(DESTDIR)$(PREFIX)/bin/xfr
	install -D -m 0644 docs/xfr.1 $(DESTDIR)$(PREFIX)/share/man/man1/xfr.1
	@mkdir -p $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	sed 's|@BINDIR@|$(PREFIX)/bin|g' dist/systemd/xfr.service.in >$(DESTDIR)$(UNITDIR)/xfr.service
	sed 's|@BINDIR@|$(PREFIX)/bin|g' dist/systemd/xfr@.service.in >$(DESTDIR)$(UNITDIR)/xfr@.service
	$(XFR) --completions bash >$(DESTDIR)$(PREFIX)/share/bash-completion/completions/xfr
	$(XFR) --completions fish >$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/xfr.fish

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(XT_OBJS:.o=.d)
