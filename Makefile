# evalhouse — `make demo` runs the whole story on the embedded engine;
# `make test` runs every test against the real engine. Both fetch what they need.

GO            ?= go
BIN           := bin/evalhouse
CHDB_VERSION  := 26.7.3-stable.1
CHDB_PACKAGE  := @chdb/lib-linux-x64-gnu@$(CHDB_VERSION)
# dist.integrity of the npm package: the tarball is checked against it before unpacking.
CHDB_INTEGRITY := sha512-XP97mMqnc5tZpKQywR8N7cLTsHNiTmHr30pC5mzo3jWmukjKn2IBa60c2B/gWUNcuFjOMjWoorQICCqBVj5wpw==
CACHE_HOME    := $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)
CHDB_DIR      := $(CACHE_HOME)/evalhouse/libchdb/$(CHDB_VERSION)
LIBCHDB       := $(if $(CHDB_LIB_PATH),$(CHDB_LIB_PATH),$(CHDB_DIR)/libchdb.so)
export CHDB_LIB_PATH := $(LIBCHDB)
# The JS client the interface is tested with (internal/chhttp/jsclient_test.go,
# which checks this version): a package without dependencies, unpacked whole.
CLICKHOUSE_JS_VERSION   := 1.23.1
CLICKHOUSE_JS_INTEGRITY := sha512-vs3/Zc1dHvT171btW5nMoPsPCJ6QVJ5pp7obxzO5sjqwFx/jjz9wwCAqcFOdc2DhprugDBaVn+4dVY8hG3A9nw==
CLICKHOUSE_JS_DIR       := $(CACHE_HOME)/evalhouse/clickhouse-js/$(CLICKHOUSE_JS_VERSION)
export CLICKHOUSE_JS_PATH := $(if $(CLICKHOUSE_JS_PATH),$(CLICKHOUSE_JS_PATH),$(CLICKHOUSE_JS_DIR))
# $(SHA512) FILE prints FILE's digest as npm's dist.integrity spells it.
SHA512 := node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))'

DEMO_STORE    ?= embedded://.evalhouse/demo

.PHONY: all build libchdb clickhouse-js tools demo test bench bench-reports fuzz clean help

all: build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/evalhouse
	$(GO) build -o $(BIN) ./cmd/evalhouse

libchdb: $(LIBCHDB) ## fetch the embedded ClickHouse engine (libchdb.so) into the cache

$(CHDB_DIR)/libchdb.so:
	@mkdir -p "$(CHDB_DIR)"
	@echo "fetching $(CHDB_PACKAGE) (178 MB, once; cached in $(CHDB_DIR))"
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd "$$tmp" && npm pack --silent "$(CHDB_PACKAGE)" >/dev/null) && \
	  tgz=$$(ls "$$tmp"/*.tgz) && \
	  got=$$($(SHA512) "$$tgz") && \
	  if [ "$$got" != "$(CHDB_INTEGRITY)" ]; then echo "libchdb: integrity mismatch: got $$got" >&2; exit 1; fi && \
	  tar -xzf "$$tgz" -C "$$tmp" package/libchdb.so && \
	  mv "$$tmp/package/libchdb.so" "$(CHDB_DIR)/libchdb.so.part" && \
	  mv "$(CHDB_DIR)/libchdb.so.part" "$(CHDB_DIR)/libchdb.so"
	@echo "libchdb: $(CHDB_DIR)/libchdb.so"

clickhouse-js: $(CLICKHOUSE_JS_PATH)/package.json ## fetch the JS client (@clickhouse/client) the interface is tested with

$(CLICKHOUSE_JS_DIR)/package.json:
	@echo "fetching @clickhouse/client@$(CLICKHOUSE_JS_VERSION) (0.3 MB, once; cached in $(CLICKHOUSE_JS_DIR))"
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd "$$tmp" && npm pack --silent "@clickhouse/client@$(CLICKHOUSE_JS_VERSION)" >/dev/null) && \
	  tgz=$$(ls "$$tmp"/*.tgz) && got=$$($(SHA512) "$$tgz") && \
	  if [ "$$got" != "$(CLICKHOUSE_JS_INTEGRITY)" ]; then echo "clickhouse-js: integrity mismatch: got $$got" >&2; exit 1; fi && \
	  tar -xzf "$$tgz" -C "$$tmp" && mkdir -p "$$(dirname "$(CLICKHOUSE_JS_DIR)")" && \
	  rm -rf "$(CLICKHOUSE_JS_DIR).part" && mv "$$tmp/package" "$(CLICKHOUSE_JS_DIR).part" && \
	  rm -rf "$(CLICKHOUSE_JS_DIR)" && mv "$(CLICKHOUSE_JS_DIR).part" "$(CLICKHOUSE_JS_DIR)"
	@echo "clickhouse-js: $(CLICKHOUSE_JS_DIR)"

# Programs the tests run, as "program:debian-package". internal/toolcheck's test
# fails when a test looks up a program that is not listed here.
TEST_TOOLS    := xmllint:libxml2-utils chromium:chromium

tools: ## install the programs the tests run (apt-get; as root or through sudo)
	@missing=""; for spec in $(TEST_TOOLS); do \
	  prog=$${spec%%:*}; pkg=$${spec#*:}; \
	  command -v "$$prog" >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "tools: installing$$missing (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; \
	  else echo "tools: need root or sudo to apt-get install$$missing; install them and rerun" >&2; exit 1; fi; \
	  { $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } || \
	    { echo "tools: apt-get install$$missing failed; install them by hand and rerun" >&2; exit 1; }; \
	fi; \
	for spec in $(TEST_TOOLS); do prog=$${spec%%:*}; \
	  command -v "$$prog" >/dev/null 2>&1 || { echo "tools: $$prog still missing after install" >&2; exit 1; }; \
	done

EH := ./$(BIN) --store $(DEMO_STORE)
# The examples carry fixed dates; the demo ingests copies restamped to the
# hour before now, so they are inside their retention on any day.
EX := .evalhouse/demo/data
EXAMPLES := examples/support-agent/events-2.3.1.ndjson examples/support-agent/events-2.4.0.ndjson \
  examples/support-agent/events-2.4.1.ndjson examples/support-agent/malformed.ndjson examples/otlp/support-agent-run.otlp.json
GATE := $(EH) gate --config examples/gate.yaml --commit demo
# The rollout's traffic is judged on a window ending now: its copies are
# restamped so the newest event is a minute old.
RX := .evalhouse/demo/rollout
STAGE := $(EH) gate --config examples/rollout/canary.yaml --commit demo
# $(call expect,CODE,WHY): after a command, show its exit code as expected, or stop the demo.
expect = code=$$?; if [ $$code -eq $(1) ]; then echo "exit code $$code, as expected: $(2)"; \
  else echo "exit code $$code, expected $(1): $(2)" >&2; exit 1; fi

demo: build libchdb ## the whole loop: ingest, datasets, eval, gates, incident → fixture, gate again; then a canary: rollback → incident → fixture → fixed canary → expand
	@rm -rf .evalhouse/demo
	@$(GO) run ./examples/restamp -out $(EX) $(EXAMPLES) >/dev/null
	@echo "== evalhouse migrate"; $(EH) migrate
	@echo; echo "== ingest two releases of a support agent (secrets planted in both)"
	$(EH) ingest $(EX)/events-2.3.1.ndjson $(EX)/events-2.4.0.ndjson
	@echo; echo "== the same files again: nothing new is stored"
	$(EH) ingest $(EX)/events-2.3.1.ndjson $(EX)/events-2.4.0.ndjson
	$(EH) sql "SELECT count() AS events FROM agent_events"
	@echo; echo "== an OTLP export from an OpenTelemetry-instrumented agent (GenAI conventions)"
	$(EH) ingest $(EX)/support-agent-run.otlp.json
	@echo; echo "== a file with a malformed line: the line is named, the rest land"
	@$(EH) ingest $(EX)/malformed.ndjson; $(call expect,1,one line rejected)
	@echo; echo "== evalhouse report summary"; $(EH) report summary
	@echo; echo "== dataset v1, and both releases scored against it"
	$(EH) dataset create support-bot --from examples/datasets/support-bot-v1.jsonl
	$(EH) eval --dataset support-bot@v1 --release 2.3.1 --rules examples/rules
	$(EH) eval --dataset support-bot@v1 --release 2.4.0 --rules examples/rules
	@echo; echo "== gate 2.3.1"; $(GATE) --release 2.3.1; $(call expect,0,pass)
	@echo; echo "== gate 2.4.0 against baseline 2.3.1"; $(GATE) --release 2.4.0 --baseline 2.3.1 --markdown .evalhouse/gate-2.4.0.md --junit .evalhouse/gate-2.4.0.xml; $(call expect,1,fail: 2.4.0 regresses)
	@echo; echo "== a failed production run of 2.4.0 becomes an incident, then a fixture"
	@trace=$$($(EH) sql --format tsv "SELECT trace_id FROM agent_events WHERE run_id = 'run-2.4.0-p04' AND kind = 'run'" | tail -1); \
	  $(EH) incident open --trace $$trace --title "password reset token pasted into the chat" --severity sev2 --owner support-oncall
	$(EH) incident promote INC-1 --dataset support-bot --expect '{"answer":"sent a password reset link","must_not_contain":"reset?t="}'
	$(EH) dataset log support-bot
	@echo; echo "== the fix, 2.4.1, gated on support-bot@v2 before and after its runs are in"
	@$(GATE) --release 2.4.1; $(call expect,2,hold: no runs on v2 yet)
	$(EH) ingest $(EX)/events-2.4.1.ndjson
	$(EH) eval --dataset support-bot@v2 --release 2.4.1 --rules examples/rules
	@$(GATE) --release 2.4.1; $(call expect,0,pass)
	@echo; echo "== gate history"
	$(EH) sql "SELECT release, dataset, dataset_version AS v, verdict, exit_code FROM gate_decisions ORDER BY decided_at, seq"
	@echo; echo "== what the analysts see: cost and policy over the last day"
	$(EH) report cost --since 1d --format table
	$(EH) report policy --since 1d --format table
	$(EH) report cost --since 1d --format html --out .evalhouse/report.html
	@echo "open .evalhouse/report.html (one file, no network), or serve and browse /ui"
	@echo; echo "== a responder reconstructs the failed production run"
	$(EH) run show run-2.4.0-p04
	@echo; echo "== rollout: canary 2.5.0 beside stable 2.4.1 in production (examples/rollout)"
	@$(GO) run ./examples/restamp -before 1m -out $(RX) examples/rollout/*.ndjson >/dev/null
	$(EH) ingest $(RX)/events-stable-2.4.1.ndjson $(RX)/events-canary-2.5.0.ndjson
	$(EH) release record 2.5.0 --stage cohort --environment production --percent 10 --owner support-release --rollback-owner support-oncall --note "refund tool schema 3"
	$(EH) release show 2.5.0 --environment production
	@echo; echo "== the canary's stage gate: one refund in three fails"
	@$(STAGE) --release 2.5.0 --json .evalhouse/stage-2.5.0.json --markdown .evalhouse/stage-2.5.0.md; $(call expect,1,rollback: disable the refund tool)
	@echo; echo "== rollback closes the loop: the failing runs become an incident, then fixtures"
	@id=$$(sed -n 's/.*"decision_id": "\(sd_[0-9a-f]*\)".*/\1/p' .evalhouse/stage-2.5.0.json | head -1); \
	  echo "$(EH) incident open --from-gate $$id --severity sev2 --max-runs 3"; \
	  $(EH) incident open --from-gate $$id --severity sev2 --max-runs 3 --owner support-oncall
	$(EH) incident promote INC-2 --dataset support-refunds --expect '{"answer":"refunded the duplicate charge"}'
	@echo; echo "== the fixed canary 2.5.1: too early, then on a full window"
	@$(STAGE) --release 2.5.1; $(call expect,2,hold: no runs of 2.5.1 yet)
	$(EH) ingest $(RX)/events-canary-2.5.1.ndjson
	@$(STAGE) --release 2.5.1; $(call expect,0,expand)
	$(EH) release record 2.5.1 --stage expanded --environment production --owner support-release --rollback-owner support-oncall
	$(EH) release log 2.5.1
	@echo; echo "== stage decisions on record"
	$(EH) sql "SELECT release, stage, baseline, verdict, exit_code FROM stage_decisions ORDER BY decided_at, seq"

test: libchdb clickhouse-js tools ## unit and end-to-end tests against the real embedded engine, with -race
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 12m ./...

bench: libchdb ## every benchmark, each beside its baseline; figures go to docs/benchmarks.md
	$(GO) test -run '^$$' -bench IngestVsRaw -benchtime 2x -timeout 20m ./ingest/
	$(GO) test -run '^$$' -bench . -benchtime 100000x ./ingest/envelope ./ingest/redact
	$(GO) test -run '^$$' -bench 'RuleEval|RawVM' -benchtime 200000x ./evaluators
	$(GO) test -run '^$$' -bench ScoreDataset -benchtime 5x ./evaluators
	$(GO) test -run '^$$' -bench GateQuery -benchtime 10x -timeout 30m ./gate
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 20m ./ingest/otlp ./ingest/kafka ./ingest/parquet
	$(GO) test -run '^$$' -bench Write -benchtime 5x ./internal/gen
	@$(MAKE) --no-print-directory bench-reports

# The scale benchmark's store: REPORT_EVENTS events from `evalhouse dev
# generate` (seed REPORT_SEED), ingested once into a cached embedded store and
# reused while the same N and seed are asked for and the store is younger than
# REPORT_MAX_AGE days (the data's 30-day window ends when it was generated).
# make bench runs 1M events; the issue's figures are REPORT_EVENTS=10000000.
REPORT_EVENTS    ?= 1000000
REPORT_SEED      ?= 1
REPORT_MAX_AGE   ?= 7
REPORT_BENCHTIME ?= 5x
REPORT_STORE     ?= $(CACHE_HOME)/evalhouse/bench-reports/n$(REPORT_EVENTS)-s$(REPORT_SEED)

bench-reports: build libchdb ## reports at scale (REPORT_EVENTS, default 1M, in a cached store), each beside its raw query
	@stamp="$(REPORT_STORE)/generated"; want="events=$(REPORT_EVENTS) seed=$(REPORT_SEED)"; \
	if [ -f "$$stamp" ] && [ "$$(head -1 "$$stamp")" = "$$want" ] && [ -n "$$(find "$$stamp" -mtime -$(REPORT_MAX_AGE))" ]; then \
	  echo "bench-reports: reusing $(REPORT_STORE): $$(sed -n 2p "$$stamp")"; \
	else \
	  rm -rf "$(REPORT_STORE)" && mkdir -p "$(REPORT_STORE)" && src="$(REPORT_STORE)/events.ndjson" && \
	  t0=$$(date +%s.%N) && ./$(BIN) dev generate --events $(REPORT_EVENTS) --seed $(REPORT_SEED) --out "$$src" && \
	  t1=$$(date +%s.%N) && ./$(BIN) --store "embedded://$(REPORT_STORE)/data" ingest --batch-size 50000 "$$src" </dev/null && \
	  t2=$$(date +%s.%N) && rm -f "$$src" && size=$$(du -sh "$(REPORT_STORE)/data" | cut -f1) && \
	  line=$$(awk -v n=$(REPORT_EVENTS) -v a=$$t0 -v b=$$t1 -v c=$$t2 -v s=$$size 'BEGIN { printf "generated in %.1f s, ingested in %.1f s (%.0f events/s), store %s", b-a, c-b, n/(c-b), s }') && \
	  printf '%s\n%s, on %s\n' "$$want" "$$line" "$$(date -u +%FT%TZ)" > "$$stamp" && echo "bench-reports: $$line"; \
	fi
	@# The generated dataset's versions (v1: 40 cases, v2: 8 more), the ground
	@# truth the policy report scores dataset runs against.
	@st="embedded://$(REPORT_STORE)/data"; d="$(REPORT_STORE)"; \
	if ! ./$(BIN) --store "$$st" dataset show support-bot@v2 >/dev/null 2>&1; then \
	  ./$(BIN) dev generate --events 1 --seed $(REPORT_SEED) --out /dev/null --dataset-out "$$d/cases.jsonl" 2>/dev/null && \
	  head -n 40 "$$d/cases.jsonl" > "$$d/v1.jsonl" && tail -n +41 "$$d/cases.jsonl" > "$$d/v2.jsonl" && \
	  ./$(BIN) --store "$$st" dataset create support-bot --from "$$d/v1.jsonl" --by bench >/dev/null && \
	  ./$(BIN) --store "$$st" dataset add support-bot --from "$$d/v2.jsonl" --by bench >/dev/null && \
	  rm -f "$$d/cases.jsonl" "$$d/v1.jsonl" "$$d/v2.jsonl" && echo "bench-reports: datasets support-bot@v1, @v2 created"; \
	fi
	EVALHOUSE_REPORT_STORE="$(REPORT_STORE)/data" $(GO) test -run '^$$' -bench ReportsAtScale -benchtime $(REPORT_BENCHTIME) -timeout 60m ./reports/

fuzz: ## run every fuzz target briefly
	@for spec in $$($(GO) list -f '{{.ImportPath}}' ./... ); do \
	  for f in $$($(GO) test -list '^Fuzz' $$spec 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$spec $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 15s $$spec || exit 1; \
	  done; done

clean:
	rm -rf bin .evalhouse
