# BPF programs and their tests, included by the main Makefile after its own
# variables (BUILD, CFLAGS, LDLIBS, LIBXFR, LIBXT, TEST_CFLAGS, UNIT_BINS) are set.
#
#   bpf/x.bpf.c -> $(BUILD)/bpf/x.bpf.o -> $(BUILD)/bpf/x.skel.h
#   tests/bpf/test_x.c + libxt.a -> $(BUILD)/tests/test_bpf_x (run by tests/run.sh)
#
# BPF objects are never sanitized: SANFLAGS only reach user code.

CLANG        ?= clang
BPFTOOL      ?= bpftool
BPF_ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)
# ISA v3: atomic compare-and-exchange (the counter's lock), 32-bit jumps; kernel 5.12+.
BPF_CFLAGS   := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror -I common \
		-I$(BUILD)/bpf -I$(BPF_ARCH_INC)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)

BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(BPF_TEST_SRCS:tests/bpf/test_%.c=$(BUILD)/tests/test_bpf_%)

LIBBPF_CFLAGS := $(shell pkg-config --cflags libbpf libxdp 2>/dev/null)
LIBBPF_LIBS   := $(shell pkg-config --libs libxdp libbpf 2>/dev/null)

CFLAGS += -I$(BUILD)/bpf $(LIBBPF_CFLAGS)
LDLIBS += $(LIBBPF_LIBS)

# CO-RE tracing programs include vmlinux.h, generated from the running kernel's
# BTF (XDP programs use UAPI headers only and ignore it).
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
$(BUILD)/bpf/vmlinux.h:
	@mkdir -p $(dir $@)
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard common/*.h) | $(BUILD)/bpf/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# User objects that include a skeleton. Declared for ours; every library object
# also waits for all skeletons (order-only) so a new user of one builds from
# clean, and -MMD tracks the real dependency after the first build.
$(BUILD)/user/bpf/xdp_count.o: $(BUILD)/bpf/xdp_count.skel.h
$(LIB_OBJS) $(MAIN_OBJ): | $(BPF_SKELS)

$(BUILD)/tests/test_bpf_%: tests/bpf/test_%.c tests/lib/xt.h $(LIBXT) $(LIBXFR)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LIBS)

.SECONDARY: $(BPF_OBJS)
.PHONY: bpf bpf-test
bpf: $(BPF_SKELS)
unit: $(BPF_TEST_BINS)

# Only the BPF_PROG_RUN and veth attach tests (root; they print SKIP otherwise).
bpf-test: $(BPF_TEST_BINS)
	@BUILD=$(BUILD) tests/run.sh -k 'unit/test_bpf_'

# make bench's bare XDP_DROP sink ceiling (tests/bench/xdp_ceiling.c).
XDP_CEILING := $(BUILD)/tests/bench/xdp_ceiling
$(XDP_CEILING): tests/bench/xdp_ceiling.c $(LIBXFR)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $< $(LIBXFR) $(LDFLAGS) $(LDLIBS)
