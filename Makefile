# nfbox build.  Three flavours of the same portable sources:
#
#   build/rel/    hosted, optimised: the nfbox command and the benchmarks
#   build/asan/   hosted, -O1 with ASan+UBSan: everything `make test` runs
#   build/image/  freestanding objects linked into unikernel images
#
# Sources are found by wildcard: adding a .c file to a component needs no
# edit here.  Every directory's public headers are included as
# "component/file.h" from the top.

CC      ?= gcc
CLANG   ?= clang
PREFIX  ?= /usr/local
B       := build

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
COMMON  := -std=gnu11 -I. -Iinclude -march=x86-64-v2 -g $(WARN) -MMD -MP -fno-strict-aliasing
REL_CFLAGS  := $(COMMON) -O3 -DNDEBUG
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS := $(COMMON) -O1 $(ASAN_FLAGS)

# ---- sources ---------------------------------------------------------------
PORTABLE_SRC := $(wildcard dataplane/*.c config/*.c control/*.c)
NF_SRC       := $(wildcard nf/*.c) $(wildcard nf/*/*.c)
# Each driver folder says which flavours it belongs to (drivers/*/driver.mk:
# HOSTED_DRIVER_SRC, IMAGE_DRIVER_SRC), so a new driver edits nothing here.
HOSTED_DRIVER_SRC :=
IMAGE_DRIVER_SRC  :=
include $(sort $(wildcard drivers/*/driver.mk))
HOSTED_SRC   := $(HOSTED_DRIVER_SRC)
TOOL_SRC     := $(wildcard tools/*.c)
TOPO_SRC     := $(wildcard topology/*.c)
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
TESTLIB_SRC  := $(wildcard tests/lib/*.c)
BENCH_SRC    := $(wildcard bench/*.c)
TOOLLIB_SRC  := tools/cfgfile.c

LIB_SRC := $(PORTABLE_SRC) $(NF_SRC) $(HOSTED_SRC)

obj = $(patsubst %.c,$(B)/$(1)/%.o,$(2))

REL_LIB  := $(call obj,rel,$(LIB_SRC))
ASAN_LIB := $(call obj,asan,$(LIB_SRC))
PCAP_LIBS := -lpcap

# DPDK (bench only): rte_hash, rte_acl side by side with ours.  A bench whose
# name contains "_vs_rte" is linked with DPDK.
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null | sed 's/-march=[^ ]*//')
DPDK_LIBS   := $(shell pkg-config --libs libdpdk 2>/dev/null)

.PHONY: all test unit golden bench fuzz install clean images help
# Objects made through chained pattern rules are not throw-away intermediates.
.SECONDARY:
all: $(B)/nfbox $(B)/nfbox-gen $(B)/asan/nfbox unit-bins bench-bins fuzz-bins images

help:
	@echo "make            build the nfbox command (build/nfbox), tests and benchmarks"
	@echo "make test       run every test (ASan+UBSan hosted; image tests when possible)"
	@echo "make bench      run the benchmarks (tables on stdout, CSV in build/bench/)"
	@echo "make fuzz       run every libFuzzer target for FUZZ_SECONDS (default 300) each"
	@echo "make fuzz-long  each target FUZZ_S seconds (3600): executions, coverage, crashes"
	@echo "make install    install nfbox into $(PREFIX)/bin"

# ---- compile rules ---------------------------------------------------------
$(B)/rel/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

# Bench files that talk to DPDK need its headers.
$(B)/rel/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $(DPDK_CFLAGS) -c $< -o $@

# ---- the command -----------------------------------------------------------
# The NF registry is a linker section: link the NF objects whole, never
# through an archive (an archive member nobody references would be dropped).
$(B)/nfbox: $(call obj,rel,$(TOOL_SRC) $(TOPO_SRC)) $(REL_LIB)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(PCAP_LIBS)

$(B)/asan/nfbox: $(call obj,asan,$(TOOL_SRC) $(TOPO_SRC)) $(ASAN_LIB)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(PCAP_LIBS)

# The generator `nfbox bench` drives (DPDK): build/nfbox-gen, next to nfbox.
GEN_SRC := $(wildcard tools/gen/*.c)
$(B)/rel/tools/gen/%.o: tools/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $(DPDK_CFLAGS) -c $< -o $@
$(B)/nfbox-gen: $(call obj,rel,$(GEN_SRC)) $(B)/rel/tools/rfc2544.o
	$(CC) $(REL_CFLAGS) -o $@ $^ $(PCAP_LIBS) $(DPDK_LIBS)
# The bench that measures images the same way links the same generator.
$(B)/rel/bench/tput_image_vs_rte: $(B)/rel/tools/gen/gen.o $(B)/rel/tools/rfc2544.o

# ---- unit tests (cmocka) ----------------------------------------------------
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/asan/tests/%,$(UNIT_SRC))
.PHONY: unit-bins
unit-bins: $(UNIT_BINS)
$(B)/asan/tests/%: $(B)/asan/tests/unit/%.o $(call obj,asan,$(TESTLIB_SRC)) $(ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -o $@ $^ -lcmocka $(PCAP_LIBS)

# A unit test of a host module links that module's objects too.
$(B)/asan/tests/test_chain_relay: $(B)/asan/topology/relay.o $(B)/asan/topology/ctl_sock.o
$(B)/asan/tests/test_opts: $(B)/asan/tools/opts.o
$(B)/asan/tests/test_capture: $(B)/asan/tools/capfile.o
$(B)/asan/tests/test_prom: $(B)/asan/tools/prom.o
$(B)/asan/tests/test_rfc2544: $(B)/asan/tools/rfc2544.o
$(B)/asan/tests/test_flows_match: $(B)/asan/tools/flows_match.o $(B)/asan/tools/flows_view.o

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

golden: $(B)/asan/nfbox
	@tests/golden/run.sh $(B)/asan/nfbox

test: unit golden fuzz-bins
	@tests/run-extra.sh

# ---- benchmarks --------------------------------------------------------------
BENCH_BINS := $(patsubst bench/%.c,$(B)/rel/bench/%,$(filter-out bench/common.c,$(BENCH_SRC)))
.PHONY: bench-bins
bench-bins: $(BENCH_BINS)
$(B)/rel/bench/%: $(B)/rel/bench/%.o $(call obj,rel,$(filter bench/common.c,$(BENCH_SRC)) $(TOOLLIB_SRC)) $(REL_LIB)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(PCAP_LIBS) $(if $(findstring _vs_rte,$*),$(DPDK_LIBS))

bench: bench-bins $(B)/nfbox
	@bench/run.sh

# ---- fuzzing (clang libFuzzer + ASan + UBSan) --------------------------------
# tests/fuzz/fuzz_NAME.c -> build/fuzz/bin/fuzz_NAME.  `make test` runs each
# briefly (tests/fuzz/run.sh); `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_CFLAGS := -std=gnu11 -I. -Iinclude -march=x86-64-v2 -g -O1 $(filter-out -Wshadow,$(WARN)) -MMD -MP \
               -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
               -fno-sanitize-recover=all
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(B)/fuzz/bin/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 300
# -MMD: a header change rebuilds the targets (inline pool functions); the
# Makefile prerequisite rebuilds objects made before that (they have no .d).
$(B)/fuzz/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@
$(B)/fuzz/bin/%: $(B)/fuzz/tests/fuzz/%.o $(call obj,fuzz,$(LIB_SRC) $(TOOLLIB_SRC))
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PCAP_LIBS)
# The packet-path targets share their harness (not named fuzz_*: no binary).
$(addprefix $(B)/fuzz/bin/fuzz_,firewall nat lb): $(B)/fuzz/tests/fuzz/nf_harness.o
.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)
# `make fuzz-long FUZZ_S=3600`: each target FUZZ_S seconds, a table of
# executions, coverage and crashes, the corpus kept across runs.
FUZZ_S ?= 3600
.PHONY: fuzz-long
fuzz-long: $(FUZZ_BINS)
	@tests/fuzz/long.sh --seconds $(FUZZ_S)

# ---- images (freestanding) ----------------------------------------------------
-include image/image.mk

install: $(B)/nfbox $(B)/nfbox-gen install-image
	install -D -m 0755 $(B)/nfbox $(DESTDIR)$(PREFIX)/bin/nfbox
	install -D -m 0755 $(B)/nfbox-gen $(DESTDIR)$(PREFIX)/bin/nfbox-gen

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
