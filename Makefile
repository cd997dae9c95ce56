# cluetrain: one binary, built with make.
#
#   make run     install missing packages, build, initialise ./data, serve :8080
#   make test    every test suite (unit, integration, sanitizers, checks)
#   make bench   benchmarks, printing JSON
#
# BUILD names the output folder, so several builds can live side by side
# (build/ plain, build-asan/ with sanitizers). SAN=1 builds with ASan+UBSan.

BUILD ?= build
CC ?= cc
PKGS := libmicrohttpd jansson sqlite3 libpq libsodium libcurl libutf8proc liboath gmime-3.0 zlib \
	yaml-0.1 libpcre2-8 icu-i18n libexttextcat libgit2
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lstemmer -lcrack -lpthread -lm

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# FUZZ=1: clang with coverage for libFuzzer plus ASan+UBSan (make fuzz uses build-fuzz/).
ifeq ($(FUZZ),1)
CC := clang
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc -I$(BUILD)/gen $(PKG_CFLAGS) -MMD -MP

SRC := $(sort $(shell find src -name '*.c'))
LIB_SRC := $(filter-out src/main.c,$(SRC))
OBJ := $(SRC:%.c=$(BUILD)/%.o)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded.o
EMBED := $(sort $(wildcard src/store/sql/*/*.sql)) $(sort $(wildcard demo/*.jsonl demo/*.yaml)) \
	$(sort $(wildcard web/static/*.css web/static/*.js))
# htmx comes from npm (web/package.json); scripts/deps.sh runs npm ci.
HTMX := web/node_modules/htmx.org/dist/htmx.min.js
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
FMT_SRC = $(SRC) $(wildcard src/*.h src/*/*.h) tools/embed.c $(UNIT_SRC) $(FUZZ_SRC) \
	bench/triage_bench.c

.PHONY: all po run test test-all unit bench fuzz fuzz-build lint format format-check cppcheck clean

LANGS := de en
MO := $(LANGS:%=$(BUILD)/locale/%/LC_MESSAGES/cluetrain.mo)

all: $(BUILD)/cluetrain $(MO)

# Message catalogues: the binary finds them in locale/ next to itself.
$(BUILD)/locale/%/LC_MESSAGES/cluetrain.mo: po/%.po
	@mkdir -p $(dir $@)
	@msgfmt -c -o $@ $<

# Refresh po/cluetrain.pot from the sources and merge it into each language.
po:
	xgettext --language=C --keyword=_ --keyword=N_ --from-code=UTF-8 \
		--package-name=cluetrain --msgid-bugs-address=dev@cluetrain.invalid \
		-o po/cluetrain.pot $(SRC)
	for l in $(LANGS); do msgmerge --quiet --update --backup=none po/$$l.po po/cluetrain.pot; done
	msgattrib --clear-fuzzy --empty po/en.po | msgen -o po/en.po - # English: the source text

$(BUILD)/cluetrain: $(OBJ) $(BUILD)/gen/embedded.o
	@echo "  LD  $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	@$(CC) -std=c11 -O1 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/gen/embedded.c: $(BUILD)/tools/embed $(EMBED) $(HTMX)
	@mkdir -p $(dir $@)
	@echo "  GEN $@"
	@$(BUILD)/tools/embed $@ $(foreach f,$(EMBED),$(patsubst src/%,%,$(f))=$(f)) \
		web/htmx.min.js=$(HTMX)

$(HTMX): web/package-lock.json
	@echo "  NPM web/node_modules (npm ci)"
	@npm ci --prefix web --no-audit --no-fund --silent
	@touch $@

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c
	@$(CC) -std=c11 -O1 -Isrc -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

unit: $(UNIT_BIN)

# The triage benchmark links the library like a unit test (bench/run.sh runs it).
$(BUILD)/bench/triage_bench: bench/triage_bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS)

$(BUILD)/fuzz/%: fuzz/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(PKG_LIBS)

fuzz-build: $(FUZZ_BIN)

# Fuzz each target for FUZZ_SECONDS (new inputs: build-fuzz/fuzz/corpus/).
fuzz:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory -j2 FUZZ=1 BUILD=build-fuzz fuzz-build
	@fuzz/run.sh fuzz build-fuzz $(FUZZ_SECONDS)

run:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@scripts/run.sh $(BUILD)/cluetrain

# run-all.sh prints the summary and, last, the total; on a failure make adds
# one "Error 1" line of its own on stderr.
test:
	@scripts/deps.sh test
	@tests/run-all.sh

test-all:
	@tests/run-all.sh

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BUILD)/bench/triage_bench
	@CLUETRAIN=$(BUILD)/cluetrain TRIAGE_BENCH=$(BUILD)/bench/triage_bench bench/run.sh

lint:
	@scripts/lint.sh

format:
	clang-format -i $(FMT_SRC)

format-check:
	@clang-format --dry-run --Werror $(FMT_SRC)

cppcheck:
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--std=c11 --library=posix --library=tests/cppcheck/jansson.cfg --inline-suppr \
		-Isrc -I$(BUILD)/gen -D__GNUC__ \
		--suppress=missingIncludeSystem $(SRC)

clean:
	rm -rf build build-*

-include $(OBJ:.o=.d) $(UNIT_BIN:=.d) $(FUZZ_BIN:=.d) $(BUILD)/bench/triage_bench.d
