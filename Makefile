# sluice build.  Plain GNU Make (see docs/build.md for why):
#   make            release build  -> build/release/sluice
#   make asan       ASan+UBSan     -> build/asan/sluice
#   make tests      unit tests for release and asan builds
#   make fuzz       libFuzzer targets (clang) -> build/fuzz/
#   make clean
CC      ?= cc
PKGS    := zlib libzstd liblz4 libbrotlidec libbrotlienc snappy sqlite3 libmicrohttpd yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lz -lzstd -llz4 -lbrotlidec -lbrotlienc -lsnappy -lsqlite3 -lmicrohttpd -lyaml)
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wvla -Wformat=2
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc $(WARN) $(PKG_CFLAGS)
LIBS    := $(PKG_LIBS) -lm -lpthread

MODE ?= release
ifeq ($(MODE),release)
  OPT := -O2 -g
else ifeq ($(MODE),asan)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDOPT := -fsanitize=address,undefined
endif

B := build/$(MODE)
LIB_SRC  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
LIB_OBJ  := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRC))
MAIN_OBJ := $(B)/obj/cli/main.o
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(TEST_SRC))

CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
# the commit /metrics reports (sluice_build_info); "unknown" outside git
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
$(B)/obj/serve/prom.o build/fuzz/obj/serve/prom.o: CFLAGS_ALL += -DSLUICE_COMMIT='"$(GIT_COMMIT)"'

.PHONY: all release asan tests unit fuzz clean
all: $(B)/sluice

# The dashboard (docs/dashboard.md): web/build.mjs (node, no network) turns web/src
# and the npm packages of web/package-lock.json into C byte arrays defining
# src/serve/assets.h, compiled into the library (and the fuzz library) like a source.
WEB_DEPS := web/build.mjs web/package-lock.json $(wildcard web/src/*) web/node_modules/.package-lock.json
build/%/gen/web_assets.c: $(WEB_DEPS)
	node web/build.mjs $@
web/node_modules/.package-lock.json:
	@echo "error: web/node_modules is missing: run scripts/setup.sh --deps (installs the dashboard's npm packages)" >&2; exit 1
$(B)/obj/web/web_assets.o: $(B)/gen/web_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@
LIB_OBJ += $(B)/obj/web/web_assets.o

# The example pipeline files (examples/*.yaml) are compiled in as C string
# literals (`sluice config --example NAME`), one line of text per line.
EXAMPLES := $(wildcard examples/*.yaml)
define example_inc
	@mkdir -p $(dir $@)
	sed -e 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $< > $@
endef
$(B)/gen/plugins/%_example.inc: examples/%.yaml
	$(example_inc)
build/fuzz/gen/plugins/%_example.inc: examples/%.yaml
	$(example_inc)
EXAMPLE_INC := $(patsubst examples/%.yaml,$(B)/gen/plugins/%_example.inc,$(EXAMPLES))
$(patsubst src/%.c,$(B)/obj/%.o,$(wildcard src/plugins/*.c)): $(EXAMPLE_INC)

$(B)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I$(B)/gen -MMD -MP -c $< -o $@

$(B)/libsluice.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/sluice: $(MAIN_OBJ) $(B)/libsluice.a
	$(CC) $(OPT) $(LDOPT) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libsluice.a tests/unit/t.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit $(LDOPT) -o $@ $< $(B)/libsluice.a $(LIBS)

unit: $(TEST_BIN)

release:
	$(MAKE) MODE=release all unit
asan:
	$(MAKE) MODE=asan all unit
tests: release asan

# libFuzzer targets need clang.  The library is compiled once with coverage
# instrumentation (fuzzer-no-link) and linked into every target.
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g -fsanitize=address,undefined
FUZZ_OBJ := $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIB_SRC)) build/fuzz/obj/web/web_assets.o
fuzz: $(FUZZ_BIN)
FUZZ_EXAMPLE_INC := $(patsubst examples/%.yaml,build/fuzz/gen/plugins/%_example.inc,$(EXAMPLES))
$(patsubst src/%.c,build/fuzz/obj/%.o,$(wildcard src/plugins/*.c)): $(FUZZ_EXAMPLE_INC)
build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -Ibuild/fuzz/gen -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
build/fuzz/obj/web/web_assets.o: build/fuzz/gen/web_assets.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
build/fuzz/libsluice_fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
build/fuzz/%: fuzz/%.c build/fuzz/libsluice_fuzz.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libsluice_fuzz.a $(LIBS)

clean:
	rm -rf build

-include $(wildcard $(B)/obj/*/*.d) $(wildcard build/fuzz/obj/*/*.d)
