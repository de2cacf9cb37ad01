#!/usr/bin/env bash
# release-gate.sh — the one place evalhouse's CI logic lives: migrate,
# ingest, eval, then `evalhouse gate --config FILE` (a release gate, or a
# stage gate when FILE has a `stage:` key), with the evidence where CI shows
# it and the gate's exit code as this script's. The GitHub Action
# (action.yml) and the GitLab example (examples/ci/gitlab-ci.yml) both run
# it; it runs the same on a laptop. `release-gate.sh --help` lists every
# setting; docs/rollout.md#in-ci-and-deploy-pipelines explains them.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: scripts/ci/release-gate.sh --config FILE [options]

Runs, against one store: evalhouse migrate; ingest (--events); dataset
create (--dataset-file, only when the dataset does not exist yet); eval
(--dataset, and --environment for production runs); then
evalhouse gate --config FILE. FILE is a release gate (docs/gates.md) or a
stage gate, whose `stage:` key evalhouse detects (docs/rollout.md).

Every option can also be set by the environment variable after it; an
option given on the command line wins.

  --config FILE          gate config                              GATE_CONFIG
  --events "PATTERN..."  files or globs to ingest, space- or newline-
                         separated; repeat to add more            GATE_EVENTS
  --dataset NAME@vN      score the release's runs on this dataset
                         version before the gate                  GATE_DATASET
  --dataset-file FILE    cases to create the dataset from when the store
                         does not have it (a fresh embedded store) GATE_DATASET_FILE
  --environment ENV      also score ENV's recent runs (production
                         rules), for a stage gate              GATE_ENVIRONMENT
  --since D              with --environment: how far back (default
                         24h)                                     GATE_SINCE
  --rules DIR            rule files for eval (default: rules beside
                         the config)                              GATE_RULES
  --release R            the release judged (overrides the config) GATE_RELEASE
  --baseline R           the baseline release                     GATE_BASELINE
  --change-type LIST     kinds of change (release gates)          GATE_CHANGE_TYPE
  --commit SHA           commit for the evidence (default: the CI's) GATE_COMMIT
  --markdown FILE        also keep the Markdown evidence here     GATE_MARKDOWN
  --junit FILE           JUnit XML evidence (default
                         evalhouse-gate.xml)                      GATE_JUNIT
  --json FILE            JSON evidence (default: a temporary file) GATE_JSON
  --dotenv FILE          write GATE_VERDICT, GATE_EXIT_CODE and
                         GATE_DECISION_ID as KEY=VALUE lines (GitLab's
                         artifacts:reports:dotenv)                GATE_DOTENV
  --hold-retries N       on hold, wait and run ingest, eval and the gate
                         again, up to N more times (default 0)   GATE_HOLD_RETRIES
  --hold-wait D          wait between those tries: 90s, 10m, 1h
                         (default 5m)                             GATE_HOLD_WAIT
  --allow-rejected       go on to the gate when ingest rejected
                         lines (default: that is an error, exit 3)
                                                            GATE_ALLOW_REJECTED=true
  --bin PATH             the evalhouse binary (default: evalhouse on
                         PATH, else bin/evalhouse of this checkout) EVALHOUSE_BIN
  -h, --help             this help

The store is $EVALHOUSE_STORE (default: evalhouse's, embedded://.evalhouse/data);
it is never printed.

When $GITHUB_STEP_SUMMARY is set, the Markdown evidence is appended to it;
when $GITHUB_OUTPUT is set, the outputs verdict, exit-code, decision-id,
junit, markdown and json are written to it.

Exit codes (the gate's, unchanged):
  0  release gate pass; stage gate expand
  1  release gate fail; stage gate rollback (a blocking check breached)
  2  hold: evidence incomplete (after any --hold-retries)
  3  error: invalid config or input, store down, a step before the gate
     failed, the decision not recorded
  4  stage gate narrow: a warning check breached
EOF
}

# --- settings: the environment first, then the command line -----------------

bin=${EVALHOUSE_BIN:-}
config=${GATE_CONFIG:-}
events=${GATE_EVENTS:-}
events_flag=false
dataset=${GATE_DATASET:-}
dataset_file=${GATE_DATASET_FILE:-}
environment=${GATE_ENVIRONMENT:-}
since=${GATE_SINCE:-24h}
rules=${GATE_RULES:-}
release=${GATE_RELEASE:-}
baseline=${GATE_BASELINE:-}
change_type=${GATE_CHANGE_TYPE:-}
commit=${GATE_COMMIT:-}
markdown=${GATE_MARKDOWN:-}
junit=${GATE_JUNIT:-}
json=${GATE_JSON:-}
dotenv=${GATE_DOTENV:-}
hold_retries=${GATE_HOLD_RETRIES:-0}
hold_wait=${GATE_HOLD_WAIT:-5m}
allow_rejected=${GATE_ALLOW_REJECTED:-false}

die_usage() {
	echo "release-gate.sh: $*" >&2
	echo "run release-gate.sh --help for the options" >&2
	exit 3
}

while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	-h | --help) usage; exit 0 ;;
	--allow-rejected) allow_rejected=true; shift; continue ;;
	--*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
	--*)
		[ $# -ge 2 ] || die_usage "$opt needs a value"
		val=$2; shift 2 ;;
	*) die_usage "unexpected argument '$opt'" ;;
	esac
	case $opt in
	--config) config=$val ;;
	--events) # the flag replaces GATE_EVENTS; repeated, each adds to the last
		if [ "$events_flag" = true ]; then events="$events
$val"; else events=$val; events_flag=true; fi ;;
	--dataset) dataset=$val ;;
	--dataset-file) dataset_file=$val ;;
	--environment) environment=$val ;;
	--since) since=$val ;;
	--rules) rules=$val ;;
	--release) release=$val ;;
	--baseline) baseline=$val ;;
	--change-type) change_type=$val ;;
	--commit) commit=$val ;;
	--markdown) markdown=$val ;;
	--junit) junit=$val ;;
	--json) json=$val ;;
	--dotenv) dotenv=$val ;;
	--hold-retries) hold_retries=$val ;;
	--hold-wait) hold_wait=$val ;;
	--bin) bin=$val ;;
	*) die_usage "unknown option $opt" ;;
	esac
done

# --- outputs: written once, on every way out --------------------------------

verdict=error
code=3
decision_id=
release_seen=
subject_seen=
junit=${junit:-evalhouse-gate.xml}
work=$(mktemp -d "${TMPDIR:-/tmp}/evalhouse-gate.XXXXXX")
# Paths go into $GITHUB_OUTPUT as name=value lines: a newline in one
# would write an output of its own (exit-code=0, say).
nl='
'
for p in "$junit" "$markdown" "$json" "$dotenv"; do
	case $p in *"$nl"* | *$'\r'*) die_usage "an evidence path holds a line break" ;; esac
done
json_kept=$json
json=${json:-$work/evidence.json}
md_tmp=$work/evidence.md

# outputs writes the step's results where the CI reads them.
outputs() {
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		{
			echo "verdict=$verdict"
			echo "exit-code=$code"
			echo "decision-id=$decision_id"
			echo "junit=$junit"
			echo "markdown=$markdown"
			echo "json=$json_kept"
		} >>"$GITHUB_OUTPUT"
	fi
	if [ -n "$dotenv" ]; then
		mkdir -p "$(dirname "$dotenv")"
		printf 'GATE_VERDICT=%s\nGATE_EXIT_CODE=%s\nGATE_DECISION_ID=%s\n' "$verdict" "$code" "$decision_id" >"$dotenv"
	fi
}

trap 'rm -rf "$work"' EXIT

# xml_escape escapes text for an XML attribute or element.
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

# fail_before_gate ends the run with verdict error (exit 3) when a step
# before the gate failed: the gate did not run, so this script writes the
# evidence CI shows (a Markdown line, a JUnit error testcase).
fail_before_gate() {
	local step=$1 why=$2
	verdict=error code=3
	echo "release-gate.sh: $step: $why; the gate did not run" >&2
	if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
		printf '## evalhouse gate: error (exit 3)\n\n%s: %s; the gate did not run.\n' "$step" "$why" >>"$GITHUB_STEP_SUMMARY"
	fi
	mkdir -p "$(dirname "$junit")"
	local msg
	msg=$(printf '%s: %s; the gate did not run' "$step" "$why" | xml_escape)
	cat >"$junit" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="evalhouse gate" tests="1" failures="0" errors="1">
  <testsuite name="evalhouse gate" tests="1" failures="0" errors="1">
    <testcase classname="evalhouse.ci" name="$(printf '%s' "$step" | xml_escape)">
      <error message="$msg" type="error">$msg</error>
    </testcase>
  </testsuite>
</testsuites>
EOF
	outputs
	echo "evalhouse gate: error (exit 3) — $step failed, the gate did not run"
	exit 3
}

# --- checks -----------------------------------------------------------------

[ -n "$config" ] || die_usage "--config FILE (or GATE_CONFIG) is required"
[ -f "$config" ] || fail_before_gate config "no file $config"
case $hold_retries in '' | *[!0-9]*) die_usage "--hold-retries '$hold_retries': want a whole number" ;; esac

# seconds converts 90, 90s, 10m or 1h to seconds.
seconds() {
	case $1 in
	*[!0-9smh]* | '' | [smh]*) return 1 ;;
	*h) echo $((${1%h} * 3600)) ;;
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}
wait_s=$(seconds "$hold_wait") || die_usage "--hold-wait '$hold_wait': want seconds, or 90s, 10m, 1h"

if [ -z "$bin" ]; then
	here=$(cd "$(dirname "$0")/../.." && pwd)
	if command -v evalhouse >/dev/null 2>&1; then
		bin=$(command -v evalhouse)
	elif [ -x "$here/bin/evalhouse" ]; then
		bin=$here/bin/evalhouse
	fi
elif [ "${bin#*/}" = "$bin" ]; then
	bin=$(command -v "$bin" || true) # a name on PATH
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	fail_before_gate setup "no evalhouse binary (set --bin or EVALHOUSE_BIN, or run make build)"
fi

# eval reads the rules the gate reads: the config's top-level `rules:`
# (relative to the config), else rules beside it, unless --rules says.
if [ -z "$rules" ]; then
	rules=$(sed -n "s/^rules:[[:space:]]*[\"']\{0,1\}\([^\"'#[:space:]]*\).*/\1/p" "$config" | head -n 1)
	case ${rules:-rules} in
	/*) ;;
	*) rules=$(dirname "$config")/${rules:-rules} ;;
	esac
fi

# group and endgroup fold a step's log on GitHub Actions.
group() {
	if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::group::$*"; else echo "== $*"; fi
}
endgroup() {
	if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::endgroup::"; fi
}

# eh runs evalhouse, showing the command (the store, from the environment,
# is never on the command line).
eh() {
	echo "+ evalhouse $*"
	"$bin" "$@"
}

# --- the steps --------------------------------------------------------------

group "evalhouse migrate"
eh migrate || fail_before_gate migrate "evalhouse migrate exited $?"
endgroup

# ingest expands GATE_EVENTS' patterns (each must match a file) and loads
# them; a re-run stores nothing twice.
ingest() {
	[ -n "$events" ] || return 0
	local files=() pat matches
	local -a pats
	read -r -d '' -a pats <<<"$events" || true
	for pat in "${pats[@]}"; do
		mapfile -t matches < <(compgen -G "$pat" || true)
		[ ${#matches[@]} -gt 0 ] || fail_before_gate ingest "events pattern '$pat' matches no file"
		files+=("${matches[@]}")
	done
	group "evalhouse ingest (${#files[@]} files)"
	local rc=0
	eh ingest "${files[@]}" </dev/null || rc=$?
	endgroup
	if [ $rc -ne 0 ]; then
		if [ "$allow_rejected" = true ] && [ $rc -eq 1 ]; then
			echo "release-gate.sh: ingest rejected lines (named above); going on (--allow-rejected)" >&2
		else
			fail_before_gate ingest "evalhouse ingest exited $rc (rejected lines are named above; --allow-rejected goes on)"
		fi
	fi
}

ensure_dataset() {
	[ -n "$dataset_file" ] || return 0
	[ -n "$dataset" ] || die_usage "--dataset-file needs --dataset NAME@vN"
	local name=${dataset%@*}
	if "$bin" dataset show "$name" >/dev/null 2>&1; then
		echo "dataset $name exists; --dataset-file $dataset_file not used"
		return 0
	fi
	group "evalhouse dataset create $name"
	eh dataset create "$name" --from "$dataset_file" || fail_before_gate dataset "evalhouse dataset create $name exited $?"
	endgroup
}

score() {
	if [ -n "$dataset" ]; then
		local rel=$release
		[ -n "$rel" ] || fail_before_gate eval "--dataset needs --release (eval scores one release's runs)"
		group "evalhouse eval $dataset $rel"
		eh eval --dataset "$dataset" --release "$rel" --rules "$rules" || fail_before_gate eval "evalhouse eval exited $?"
		endgroup
	fi
	if [ -n "$environment" ]; then
		group "evalhouse eval --environment $environment"
		eh eval --environment "$environment" --since "$since" --rules "$rules" || fail_before_gate eval "evalhouse eval --environment exited $?"
		endgroup
	fi
}

# field prints a top-level string field of the JSON evidence (jq when there
# is one; else the first line at the top level's indentation, as
# evalhouse writes it).
field() {
	[ -s "$json" ] || return 0
	if command -v jq >/dev/null 2>&1; then
		jq -r --arg k "$1" '.[$k] // empty | tostring' "$json" 2>/dev/null || true
	else
		sed -n "s/^  \"$1\": \"\\([^\"]*\\)\".*/\\1/p" "$json" | head -n 1
	fi
}

gate() {
	local args=(gate --config "$config" --json "$json" --markdown "$md_tmp" --junit "$junit")
	[ -z "$release" ] || args+=(--release "$release")
	[ -z "$baseline" ] || args+=(--baseline "$baseline")
	[ -z "$change_type" ] || args+=(--change-type "$change_type")
	[ -z "$commit" ] || args+=(--commit "$commit")
	mkdir -p "$(dirname "$junit")" "$(dirname "$json")"
	rm -f "$json" "$md_tmp"
	group "evalhouse gate --config $config"
	code=0
	eh "${args[@]}" || code=$?
	endgroup
	case $code in 0 | 1 | 2 | 3 | 4) ;; *) code=3 ;; esac
	verdict=$(field verdict)
	verdict=${verdict:-error}
	decision_id=$(field decision_id)
	release_seen=$(field release)
	subject_seen=$(field stage)
	if [ -n "$subject_seen" ]; then
		subject_seen="stage $subject_seen"
	else
		subject_seen=$(field dataset)
	fi
}

ensure_dataset
tries=0
while :; do
	ingest
	score
	gate
	if [ "$code" -ne 2 ] || [ "$tries" -ge "$hold_retries" ]; then
		break
	fi
	tries=$((tries + 1))
	echo "hold: evidence incomplete; waiting ${wait_s}s before try $((tries + 1)) of $((hold_retries + 1))"
	sleep "$wait_s"
done

# --- evidence where CI shows it ---------------------------------------------

if [ -s "$md_tmp" ]; then
	if [ -n "$markdown" ]; then
		mkdir -p "$(dirname "$markdown")"
		cp "$md_tmp" "$markdown"
	fi
	if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
		{
			cat "$md_tmp"
			[ "$tries" -eq 0 ] || printf '\n_%d earlier tries held; this is try %d._\n' "$tries" "$((tries + 1))"
		} >>"$GITHUB_STEP_SUMMARY"
	fi
fi
# A JSON file the caller asked for stays; the temporary one goes with $work.
outputs

line="evalhouse gate: $verdict (exit $code)"
[ -z "$release_seen" ] || line="$line — release $release_seen"
[ -z "$subject_seen" ] || line="$line on $subject_seen"
[ -z "$decision_id" ] || line="$line, decision $decision_id"
[ "$tries" -eq 0 ] || line="$line, after $tries held tries"
echo "$line"
exit "$code"
