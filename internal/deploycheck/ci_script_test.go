package deploycheck

import (
	"bufio"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/restamp"
)

// These tests run scripts/ci/release-gate.sh for real, as the action's gate
// step does: a built evalhouse, an embedded store in a temporary directory,
// the support agent's example events restamped to just before now, and
// GITHUB_STEP_SUMMARY and GITHUB_OUTPUT pointed at temporary files.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// evalhouseBin builds ./cmd/evalhouse once per test binary.
func evalhouseBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evalhouse-ci-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "evalhouse")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(gobin, "build", "-o", builtBin, "github.com/evalhouse/evalhouse/cmd/evalhouse").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build ./cmd/evalhouse: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// ciRun is one store and the example events, shared by a test's script runs.
type ciRun struct {
	t              *testing.T
	dir, store     string
	events         string // directory of the restamped events
	summary, ghOut string
}

func newCIRun(t *testing.T) *ciRun {
	t.Helper()
	dir := t.TempDir()
	r := &ciRun{t: t, dir: dir, store: "embedded://" + filepath.Join(dir, "store"), events: filepath.Join(dir, "events")}
	src := "../../examples/support-agent/"
	if _, err := restamp.Files(r.events, time.Now(), src+"events-2.3.1.ndjson", src+"events-2.4.0.ndjson", src+"events-2.4.1.ndjson"); err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs the script with args in the repository root, with a clean CI
// environment plus env, and returns its output and exit code. Each run gets
// fresh GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files.
func (r *ciRun) run(path string, env []string, args ...string) (string, int) {
	r.t.Helper()
	r.summary = filepath.Join(r.t.TempDir(), "summary.md")
	r.ghOut = filepath.Join(r.t.TempDir(), "github_output")
	for _, f := range []string{r.summary, r.ghOut} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", append([]string{scriptRel}, args...)...)
	cmd.Dir = "../.."
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "GATE_") || strings.HasPrefix(k, "EVALHOUSE_") || k == "PATH" || k == "CI" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "PATH="+path, "EVALHOUSE_BIN="+evalhouseBin(r.t), "EVALHOUSE_STORE="+r.store,
		"GITHUB_STEP_SUMMARY="+r.summary, "GITHUB_OUTPUT="+r.ghOut, "TMPDIR="+r.t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	return string(out), code
}

// outputs reads the GITHUB_OUTPUT file the last run wrote.
func (r *ciRun) outputs() map[string]string {
	r.t.Helper()
	f, err := os.Open(r.ghOut)
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			if _, dup := out[k]; dup {
				r.t.Errorf("GITHUB_OUTPUT: %s written twice", k)
			}
			out[k] = v
		}
	}
	return out
}

// minimalPath is a PATH of only the programs the script needs (no jq: the
// JSON evidence is then read with sed), so the script cannot lean on
// anything a plain runner image lacks.
func minimalPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"bash", "mktemp", "sed", "head", "dirname", "rm", "mkdir", "cp", "cat", "sleep"} {
		real, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if err := os.Symlink(real, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitSuites {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("JUnit evidence: %v", err)
	}
	var j junitSuites
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatalf("JUnit evidence %s does not parse: %v\n%s", path, err, b)
	}
	if len(j.Suites) == 0 || len(j.Suites[0].Cases) == 0 {
		t.Fatalf("JUnit evidence %s has no testcases", path)
	}
	return j
}

func (j junitSuites) count() (cases, failures, errs int) {
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			cases++
			if c.Failure != nil {
				failures++
			}
			if c.Error != nil {
				errs++
			}
		}
	}
	return
}

func TestReleaseGateScriptPassesAndFails(t *testing.T) {
	r := newCIRun(t)
	a := loadAction(t)
	common := []string{"--config", "examples/gate.yaml", "--dataset", "support-bot@v1",
		"--dataset-file", "examples/datasets/support-bot-v1.jsonl"}

	// 2.3.1 passes, on the runner's PATH (jq reads the evidence where there is one).
	junit := filepath.Join(r.dir, "evidence", "pass.xml")
	dotenv := filepath.Join(r.dir, "evidence", "gate.env")
	out, code := r.run(os.Getenv("PATH"), []string{"GATE_EVENTS=" + r.events + "/events-2.3.1.ndjson " + r.events + "/events-2.4.0*.ndjson"},
		append(common, "--release", "2.3.1", "--junit", junit, "--dotenv", dotenv)...)
	if code != 0 {
		t.Fatalf("release 2.3.1: exit %d, want 0 (pass)\n%s", code, out)
	}
	if !strings.Contains(out, "created support-bot@v1") || !strings.Contains(out, "accepted 522") {
		t.Errorf("release 2.3.1: the dataset was not created or the events not ingested:\n%s", out)
	}
	if want := "evalhouse gate: pass (exit 0) — release 2.3.1 on support-bot@v1"; !strings.Contains(out, want) {
		t.Errorf("release 2.3.1: no one-line verdict %q in:\n%s", want, out)
	}
	summary := readText(t, r.summary)
	if !strings.Contains(summary, "## Release gate: ✅ PASS") || !strings.Contains(summary, "support-bot@v1") {
		t.Errorf("release 2.3.1: GITHUB_STEP_SUMMARY lacks the Markdown evidence:\n%s", summary)
	}
	if _, fails, errs := readJUnit(t, junit).count(); fails+errs != 0 {
		t.Errorf("release 2.3.1: JUnit has %d failures and %d errors, want none", fails, errs)
	}
	o := r.outputs()
	if o["verdict"] != "pass" || o["exit-code"] != "0" || o["junit"] != junit {
		t.Errorf("release 2.3.1: GITHUB_OUTPUT = %v, want verdict pass, exit-code 0, junit %s", o, junit)
	}
	// Every output the action reads from its gate step, the script writes
	// (bin is the step's own).
	for name, ao := range a.Outputs {
		m := stepOutRefRE.FindStringSubmatch(ao.Value)
		if m == nil || m[1] != "gate" || m[3] == "bin" {
			continue
		}
		if _, ok := o[m[3]]; !ok {
			t.Errorf("action.yml output %s reads steps.gate.outputs.%s, which the script does not write (wrote %v)", name, m[3], o)
		}
	}
	if env := readText(t, dotenv); env != "GATE_VERDICT=pass\nGATE_EXIT_CODE=0\nGATE_DECISION_ID=\n" {
		t.Errorf("release 2.3.1: dotenv = %q", env)
	}

	// 2.4.0 fails against 2.3.1, on a PATH without jq; the dataset exists now.
	junit = filepath.Join(r.dir, "evidence", "fail.xml")
	md := filepath.Join(r.dir, "evidence", "fail.md")
	out, code = r.run(minimalPath(t), nil, append(common, "--events", r.events+"/events-2.4.0.ndjson",
		"--release", "2.4.0", "--baseline", "2.3.1", "--junit", junit, "--markdown", md)...)
	if code != 1 {
		t.Fatalf("release 2.4.0: exit %d, want 1 (fail)\n%s", code, out)
	}
	if !strings.Contains(out, "dataset support-bot exists; --dataset-file") {
		t.Errorf("release 2.4.0: the existing dataset should be kept, not created again:\n%s", out)
	}
	if want := "evalhouse gate: fail (exit 1) — release 2.4.0 on support-bot@v1"; !strings.Contains(out, want) {
		t.Errorf("release 2.4.0: no one-line verdict %q in:\n%s", want, out)
	}
	if _, fails, _ := readJUnit(t, junit).count(); fails == 0 {
		t.Errorf("release 2.4.0: JUnit has no failing testcase")
	}
	summary = readText(t, r.summary)
	if !strings.Contains(summary, "FAIL") || summary != readText(t, md) {
		t.Errorf("release 2.4.0: the step summary and --markdown should both hold the failing evidence:\n%s", summary)
	}
	if o := r.outputs(); o["verdict"] != "fail" || o["exit-code"] != "1" {
		t.Errorf("release 2.4.0: GITHUB_OUTPUT = %v, want verdict fail, exit-code 1", o)
	}
}

func TestReleaseGateScriptHoldRetriesAndErrors(t *testing.T) {
	r := newCIRun(t)
	base := []string{"--config", "examples/gate.yaml", "--dataset", "support-bot@v1",
		"--dataset-file", "examples/datasets/support-bot-v1.jsonl"}

	// 2.4.1's runs are on support-bot@v2, so on v1 its evidence is
	// incomplete: hold, tried twice.
	junit := filepath.Join(r.dir, "hold.xml")
	out, code := r.run(minimalPath(t), nil, append(base, "--events", r.events+"/events-2.4.1.ndjson", "--release", "2.4.1",
		"--junit", junit, "--hold-retries", "1", "--hold-wait", "0s")...)
	if code != 2 {
		t.Fatalf("release 2.4.1 on v1: exit %d, want 2 (hold)\n%s", code, out)
	}
	if n := strings.Count(out, "+ evalhouse gate "); n != 2 {
		t.Errorf("--hold-retries 1: the gate ran %d times, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "evalhouse gate: hold (exit 2) — release 2.4.1 on support-bot@v1, after 1 held tries") {
		t.Errorf("hold: no one-line verdict naming the retries:\n%s", out)
	}
	if s := readText(t, r.summary); strings.Count(s, "## Release gate") != 1 || !strings.Contains(s, "1 earlier tries held") {
		t.Errorf("hold: the step summary should hold the last try's evidence once, noting the earlier ones:\n%s", s)
	}
	if _, _, errs := readJUnit(t, junit).count(); errs == 0 {
		t.Errorf("hold: JUnit has no <error> testcase (evidence incomplete)")
	}

	// A pattern that matches nothing stops before the gate: error, with
	// evidence the script writes itself.
	junit = filepath.Join(r.dir, "error.xml")
	out, code = r.run(minimalPath(t), nil, "--config", "examples/gate.yaml", "--events", r.events+"/nothing-*.ndjson", "--junit", junit)
	if code != 3 {
		t.Fatalf("unmatched events: exit %d, want 3 (error)\n%s", code, out)
	}
	if !strings.Contains(out, "nothing-*.ndjson' matches no file") {
		t.Errorf("unmatched events: the message does not name the pattern:\n%s", out)
	}
	if _, _, errs := readJUnit(t, junit).count(); errs != 1 {
		t.Errorf("unmatched events: JUnit should hold one <error> testcase")
	}
	if o := r.outputs(); o["verdict"] != "error" || o["exit-code"] != "3" {
		t.Errorf("unmatched events: GITHUB_OUTPUT = %v, want verdict error, exit-code 3", o)
	}
	if s := readText(t, r.summary); !strings.Contains(s, "the gate did not run") {
		t.Errorf("unmatched events: the step summary does not say the gate did not run:\n%s", s)
	}

	// An invalid config is the gate's own error, exit 3.
	bad := filepath.Join(r.dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("dataset: support-bot@v1\nchecks: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = r.run(minimalPath(t), nil, "--config", bad, "--release", "2.3.1", "--junit", filepath.Join(r.dir, "bad.xml"))
	if code != 3 || !strings.Contains(out, "evalhouse gate: error (exit 3)") {
		t.Errorf("invalid config: exit %d, want 3 with a one-line error verdict:\n%s", code, out)
	}
}

// A stage gate flows through the script as a release gate does: the
// canary that fails one refund in three rolls back (exit 1) with its
// decision id in the outputs, and its fix expands (exit 0).
func TestReleaseGateScriptStageGate(t *testing.T) {
	r := newCIRun(t)
	src := "../../examples/rollout/"
	if _, err := restamp.FilesAt(r.events, time.Now().Add(-time.Minute), src+"events-stable-2.4.1.ndjson", src+"events-canary-2.5.0.ndjson", src+"events-canary-2.5.1.ndjson"); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(r.dir, "evidence", "stage.xml")
	out, code := r.run(minimalPath(t), nil, "--config", "examples/rollout/canary.yaml", "--release", "2.5.0", "--junit", junit,
		"--events", r.events+"/events-stable-2.4.1.ndjson", "--events", r.events+"/events-canary-2.5.0.ndjson")
	if code != 1 {
		t.Fatalf("canary 2.5.0: exit %d, want 1 (rollback)\n%s", code, out)
	}
	o := r.outputs()
	if o["verdict"] != "rollback" || o["exit-code"] != "1" || !strings.HasPrefix(o["decision-id"], "sd_") || !strings.Contains(out, "stage cohort") ||
		!strings.Contains(out, "accepted 700") {
		t.Errorf("canary 2.5.0: outputs %v\n%s", o, out)
	}
	if _, fails, _ := readJUnit(t, junit).count(); fails != 1 {
		t.Errorf("canary 2.5.0: JUnit failures = %d, want the error rate", fails)
	}
	if s := readText(t, r.summary); !strings.Contains(s, "ROLLBACK") || !strings.Contains(s, "issue_refund") {
		t.Errorf("canary 2.5.0: step summary:\n%s", s)
	}
	out, code = r.run(minimalPath(t), nil, "--config", "examples/rollout/canary.yaml", "--release", "2.5.1",
		"--events", r.events+"/events-canary-2.5.1.ndjson")
	if code != 0 || r.outputs()["verdict"] != "expand" {
		t.Fatalf("canary 2.5.1: exit %d, want 0 (expand), outputs %v\n%s", code, r.outputs(), out)
	}
}

// A line break in an evidence path would write an output line of its own
// into $GITHUB_OUTPUT (exit-code=0): the script refuses it.
func TestReleaseGateScriptRefusesOutputInjection(t *testing.T) {
	r := newCIRun(t)
	out, code := r.run(minimalPath(t), nil, "--config", "examples/gate.yaml", "--release", "2.3.1", "--junit", "x.xml\nexit-code=0")
	if code != 3 || !strings.Contains(out, "line break") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if o := r.outputs(); o["exit-code"] == "0" {
		t.Fatalf("GITHUB_OUTPUT was written: %v", o)
	}
}
