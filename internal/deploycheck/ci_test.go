package deploycheck

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/rollout"
)

const (
	actionPath   = "../../action.yml"
	scriptPath   = "../../scripts/ci/release-gate.sh"
	scriptRel    = "scripts/ci/release-gate.sh"
	makefilePath = "../../Makefile"
	ghExample    = "../../examples/ci/github-actions.yml"
	glExample    = "../../examples/ci/gitlab-ci.yml"
	actionRepo   = "evalhouse/evalhouse"
)

// ---------------------------------------------------------------------------
// Typed views of action.yml and a GitHub workflow.

type actionFile struct {
	Name        string                  `yaml:"name"`
	Description string                  `yaml:"description"`
	Inputs      map[string]actionInput  `yaml:"inputs"`
	Outputs     map[string]actionOutput `yaml:"outputs"`
	Runs        struct {
		Using string   `yaml:"using"`
		Steps []ghStep `yaml:"steps"`
	} `yaml:"runs"`
	raw string
}

type actionInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

type actionOutput struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

// ghStep is a step of a composite action or of a workflow job.
type ghStep struct {
	ID              string            `yaml:"id"`
	Name            string            `yaml:"name"`
	If              string            `yaml:"if"`
	Uses            string            `yaml:"uses"`
	With            map[string]string `yaml:"with"`
	Run             string            `yaml:"run"`
	Shell           string            `yaml:"shell"`
	Env             map[string]string `yaml:"env"`
	ContinueOnError *bool             `yaml:"continue-on-error"`
}

func (s ghStep) label() string {
	for _, l := range []string{s.ID, s.Name, s.Uses} {
		if l != "" {
			return l
		}
	}
	return strings.SplitN(s.Run, "\n", 2)[0]
}

type workflowFile struct {
	Name string                `yaml:"name"`
	Jobs map[string]*ghWorkJob `yaml:"jobs"`
}

type ghWorkJob struct {
	Needs  stringList `yaml:"needs"`
	RunsOn string     `yaml:"runs-on"`
	Steps  []ghStep   `yaml:"steps"`
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s must exist: %v", strings.TrimPrefix(path, "../../"), err)
	}
	return string(b)
}

func loadAction(t *testing.T) *actionFile {
	t.Helper()
	raw := readText(t, actionPath)
	var a actionFile
	if err := yaml.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("action.yml does not parse: %v", err)
	}
	a.raw = raw
	if a.Runs.Using != "composite" {
		t.Fatalf("action.yml: runs.using = %q, want composite", a.Runs.Using)
	}
	return &a
}

func loadWorkflow(t *testing.T) *workflowFile {
	t.Helper()
	var w workflowFile
	if err := yaml.Unmarshal([]byte(readText(t, ghExample)), &w); err != nil {
		t.Fatalf("examples/ci/github-actions.yml does not parse: %v", err)
	}
	if len(w.Jobs) == 0 {
		t.Fatal("examples/ci/github-actions.yml has no jobs")
	}
	return &w
}

func (a *actionFile) step(t *testing.T, id string) ghStep {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("action.yml: no step with id %q", id)
	return ghStep{}
}

var (
	inputRefRE   = regexp.MustCompile(`\binputs\.([A-Za-z0-9_-]+)`)
	stepOutRefRE = regexp.MustCompile(`\bsteps\.([A-Za-z0-9_-]+)\.(outputs\.([A-Za-z0-9_-]+)|outcome|conclusion)`)
	usesRE       = regexp.MustCompile(`^([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@(\S+)$`)
	codeCmpRE    = regexp.MustCompile(`outputs\.exit-code\s*==\s*'(\d+)'`)
)

// documentedCodes are the exit codes the gates answer with: the release
// gate's verdicts (gate.ExitCode) and the stage gate's (rollout.ExitCode).
func documentedCodes() map[int]string {
	codes := map[int]string{}
	add := func(code int, what string) {
		if codes[code] != "" {
			what = codes[code] + ", " + what
		}
		codes[code] = what
	}
	for _, v := range []gate.Verdict{gate.Pass, gate.Fail, gate.Hold, gate.VerdictError} {
		add(gate.ExitCode(v), "release gate "+string(v))
	}
	for _, v := range []rollout.Verdict{rollout.Expand, rollout.Rollback, rollout.Hold, rollout.Narrow, rollout.VerdictError} {
		add(rollout.ExitCode(v), "stage gate "+string(v))
	}
	return codes
}

// scriptHelp is release-gate.sh --help.
func scriptHelp(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("bash", scriptPath, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", scriptRel, err, out)
	}
	return string(out)
}

// ---------------------------------------------------------------------------
// action.yml

func TestActionInputsDeclaredAndUsed(t *testing.T) {
	a := loadAction(t)
	if a.Name == "" || a.Description == "" {
		t.Errorf("action.yml: name and description are required by the Marketplace")
	}
	used := map[string]bool{}
	for _, m := range inputRefRE.FindAllStringSubmatch(a.raw, -1) {
		used[m[1]] = true
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml: inputs.%s is used but not declared under inputs:", m[1])
		}
	}
	for name, in := range a.Inputs {
		if !used[name] {
			t.Errorf("action.yml: input %q is declared but no step uses it", name)
		}
		if in.Description == "" {
			t.Errorf("action.yml: input %q has no description", name)
		}
		if in.Required && in.Default != nil && *in.Default != "" {
			t.Errorf("action.yml: input %q is required and has a default; pick one", name)
		}
	}
	if !a.Inputs["config"].Required {
		t.Errorf("action.yml: input config must be required (the gate has nothing to judge without it)")
	}
}

func TestActionSteps(t *testing.T) {
	a := loadAction(t)
	ids := map[string]int{}
	for i, s := range a.Runs.Steps {
		if s.ID != "" {
			if _, dup := ids[s.ID]; dup {
				t.Errorf("action.yml: two steps have id %q", s.ID)
			}
			ids[s.ID] = i
		}
	}
	for i, s := range a.Runs.Steps {
		where := "action.yml: step " + s.label()
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("%s: a step has exactly one of run and uses", where)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("%s: a composite run step needs shell:", where)
		}
		if s.Uses != "" {
			m := usesRE.FindStringSubmatch(s.Uses)
			if m == nil {
				t.Errorf("%s: uses %q is not OWNER/REPO@REF", where, s.Uses)
			} else if !regexp.MustCompile(`^v\d+(\.\d+)*$|^[0-9a-f]{40}$`).MatchString(m[2]) {
				t.Errorf("%s: uses %q: pin a release tag (vN) or a commit, not a branch", where, s.Uses)
			}
		}
		// A step may read the outputs only of a step before it.
		text := s.If + s.Run + strings.Join(mapValues(s.With), " ") + strings.Join(mapValues(s.Env), " ")
		for _, m := range stepOutRefRE.FindAllStringSubmatch(text, -1) {
			if j, ok := ids[m[1]]; !ok || j >= i {
				t.Errorf("%s refers to steps.%s, which is not an earlier step", where, m[1])
			}
		}
	}
	for name, o := range a.Outputs {
		m := stepOutRefRE.FindStringSubmatch(o.Value)
		if m == nil || m[3] == "" {
			t.Errorf("action.yml: output %q value %q is not ${{ steps.ID.outputs.NAME }}", name, o.Value)
		} else if _, ok := ids[m[1]]; !ok {
			t.Errorf("action.yml: output %q reads step %q, which does not exist", name, m[1])
		}
	}
	for _, want := range []string{"verdict", "exit-code", "decision-id", "junit"} {
		if _, ok := a.Outputs[want]; !ok {
			t.Errorf("action.yml: output %q is missing", want)
		}
	}
}

func TestActionBuildsAndCaches(t *testing.T) {
	a := loadAction(t)
	mk := readText(t, makefilePath)
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z-]*):`).FindAllStringSubmatch(mk, -1) {
		targets[m[1]] = true
	}
	chdbVersion := regexp.MustCompile(`(?m)^CHDB_VERSION\s*:=\s*(\S+)`).FindStringSubmatch(mk)
	bin := regexp.MustCompile(`(?m)^BIN\s*:=\s*(\S+)`).FindStringSubmatch(mk)
	if chdbVersion == nil || bin == nil {
		t.Fatal("Makefile: CHDB_VERSION and BIN must be set with :=")
	}

	var setupGo, makeStep, keys bool
	var caches []ghStep
	for _, s := range a.Runs.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			setupGo = true
			if want := "format('{0}/go.mod', github.action_path)"; !strings.Contains(s.With["go-version-file"], want) {
				t.Errorf("action.yml: setup-go go-version-file = %q, want the action's own go.mod (%s)", s.With["go-version-file"], want)
			}
		case strings.HasPrefix(s.Uses, "actions/cache@"):
			caches = append(caches, s)
		case strings.Contains(s.Run, "make -C"):
			makeStep = true
			f := strings.Fields(s.Run)
			i := slices.Index(f, "-C")
			if i+1 >= len(f) || f[i+1] != `"$GITHUB_ACTION_PATH"` {
				t.Errorf("action.yml: make must run in the action's checkout: make -C \"$GITHUB_ACTION_PATH\", got %q", s.Run)
			}
			for _, tg := range f[i+2:] {
				if !targets[tg] {
					t.Errorf("action.yml: make target %q is not in the Makefile", tg)
				}
			}
			if !slices.Contains(f, "libchdb") || !slices.Contains(f, "build") {
				t.Errorf("action.yml: the make step must build both libchdb and build, got %q", s.Run)
			}
		case s.ID == "keys":
			keys = true
			if !strings.Contains(s.Run, "CHDB_VERSION") || !strings.Contains(s.Run, "$GITHUB_ACTION_PATH/Makefile") {
				t.Errorf("action.yml: step keys must read CHDB_VERSION from the action's Makefile")
			}
			if !strings.Contains(s.Run, "/evalhouse/libchdb/$chdb") {
				t.Errorf("action.yml: step keys: the engine directory must be the one make libchdb fills (…/evalhouse/libchdb/VERSION)")
			}
		}
	}
	if !setupGo || !makeStep || !keys {
		t.Errorf("action.yml: want a setup-go step, a keys step and a make step (got %v, %v, %v)", setupGo, keys, makeStep)
	}
	var engineCached, goCached bool
	for _, c := range caches {
		if strings.Contains(c.With["path"], "steps.keys.outputs.chdb-dir") && strings.Contains(c.With["key"], "steps.keys.outputs.chdb-version") {
			engineCached = true
		}
		if strings.Contains(c.With["path"], "steps.keys.outputs.go-cache") {
			goCached = true
		}
	}
	if !engineCached {
		t.Errorf("action.yml: no actions/cache of the engine directory keyed by the Makefile's CHDB_VERSION (%s)", chdbVersion[1])
	}
	if !goCached {
		t.Errorf("action.yml: no actions/cache of the Go build cache")
	}

	g := a.step(t, "gate")
	if want := "${{ github.action_path }}/" + bin[1]; g.Env["EVALHOUSE_BIN"] != want {
		t.Errorf("action.yml: step gate EVALHOUSE_BIN = %q, want %q (where make build puts it)", g.Env["EVALHOUSE_BIN"], want)
	}
}

func TestActionRunsTheScript(t *testing.T) {
	a := loadAction(t)
	st, err := os.Stat(scriptPath)
	if err != nil {
		t.Fatalf("%s must exist: %v", scriptRel, err)
	}
	if st.Mode()&0o111 == 0 {
		t.Errorf("%s is not executable (git update-index --chmod=+x)", scriptRel)
	}
	script := readText(t, scriptPath)
	help := scriptHelp(t)

	var runners []string
	for _, s := range a.Runs.Steps {
		if strings.Contains(s.Run, scriptRel) {
			runners = append(runners, s.label())
			if !strings.Contains(s.Run, `"$GITHUB_ACTION_PATH/`+scriptRel+`"`) {
				t.Errorf("action.yml: step %s must run the action's own copy: \"$GITHUB_ACTION_PATH/%s\"", s.label(), scriptRel)
			}
		}
	}
	if len(runners) != 1 || runners[0] != "gate" {
		t.Fatalf("action.yml: exactly one step, id gate, runs %s; got %v", scriptRel, runners)
	}
	g := a.step(t, "gate")
	for k := range g.Env {
		if strings.HasPrefix(k, "GATE_") || strings.HasPrefix(k, "EVALHOUSE_") {
			if !strings.Contains(script, "${"+k) && !strings.Contains(script, "$"+k) && k != "EVALHOUSE_STORE" {
				t.Errorf("action.yml: step gate sets %s, which %s does not read", k, scriptRel)
			}
			if !strings.Contains(help, k) {
				t.Errorf("action.yml: step gate sets %s, which %s --help does not document", k, scriptRel)
			}
		}
	}
	// Every setting the script reads is in its help.
	for _, m := range regexp.MustCompile(`\$\{(GATE_[A-Z_]+|EVALHOUSE_[A-Z_]+)`).FindAllStringSubmatch(script, -1) {
		if !strings.Contains(help, m[1]) {
			t.Errorf("%s reads %s, which its --help does not document", scriptRel, m[1])
		}
	}
	// The gate step itself succeeds; the verdict's code ends the action
	// after the evidence is uploaded.
	var upload, exit *ghStep
	for i, s := range a.Runs.Steps {
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			upload = &a.Runs.Steps[i]
		}
		if strings.Contains(s.Env["CODE"], "steps.gate.outputs.exit-code") {
			exit = &a.Runs.Steps[i]
		}
	}
	if upload == nil {
		t.Fatal("action.yml: no actions/upload-artifact step for the JUnit evidence")
	}
	if !strings.Contains(upload.If, "always()") {
		t.Errorf("action.yml: the upload step's if %q must include always(), so a failing gate's evidence is uploaded", upload.If)
	}
	if !strings.Contains(upload.With["path"], "steps.gate.outputs.junit") {
		t.Errorf("action.yml: the upload step must upload the JUnit file the script reports (steps.gate.outputs.junit)")
	}
	if exit == nil || !strings.Contains(exit.Run, `exit "${CODE`) || !strings.Contains(exit.If, "always()") {
		t.Fatalf("action.yml: the last step must exit with the gate's code (env CODE from steps.gate.outputs.exit-code, exit \"${CODE…}\", if always())")
	}
	if last := a.Runs.Steps[len(a.Runs.Steps)-1]; last.label() != exit.label() {
		t.Errorf("action.yml: the exit step must be the last (after the upload), got %s last", last.label())
	}
	if !strings.Contains(g.Run, `|| code=$?`) {
		t.Errorf("action.yml: step gate must capture the script's exit code (|| code=$?) so the upload runs")
	}
}

// ---------------------------------------------------------------------------
// examples/ci/github-actions.yml

func TestGitHubWorkflowUsesTheAction(t *testing.T) {
	a, w := loadAction(t), loadWorkflow(t)
	codes := documentedCodes()
	var gates int
	actsOnAll := false // some job acts on each of a stage gate's codes
	for _, jn := range sortedKeys(w.Jobs) {
		j := w.Jobs[jn]
		for _, n := range j.Needs {
			if w.Jobs[n] == nil {
				t.Errorf("github-actions.yml: jobs.%s needs %q, which is not a job", jn, n)
			}
		}
		evalhouseSteps := map[string]ghStep{}
		acted := map[int]bool{}
		for _, s := range j.Steps {
			where := "github-actions.yml: jobs." + jn + " step " + s.label()
			if ref, ok := strings.CutPrefix(s.Uses, actionRepo+"@"); ok {
				gates++
				if ref == "" || ref == "main" || ref == "master" {
					t.Errorf("%s: pin the action to a release (%s@v1), got %q", where, actionRepo, s.Uses)
				}
				if s.ID == "" {
					t.Errorf("%s: give the gate step an id, so later steps can read its verdict", where)
				}
				if s.ContinueOnError != nil && *s.ContinueOnError {
					t.Errorf("%s: continue-on-error: true would hide the verdict", where)
				}
				for k := range s.With {
					if _, ok := a.Inputs[k]; !ok {
						t.Errorf("%s: with.%s is not an input of action.yml", where, k)
					}
				}
				for name, in := range a.Inputs {
					if in.Required && s.With[name] == "" {
						t.Errorf("%s: required input %s is missing", where, name)
					}
				}
				evalhouseSteps[s.ID] = s
				continue
			}
			text := s.If + s.Run + strings.Join(mapValues(s.Env), " ") + strings.Join(mapValues(s.With), " ")
			for _, m := range stepOutRefRE.FindAllStringSubmatch(text, -1) {
				if _, ok := evalhouseSteps[m[1]]; !ok || m[3] == "" {
					continue
				}
				if _, ok := a.Outputs[m[3]]; !ok {
					t.Errorf("%s: steps.%s.outputs.%s is not an output of action.yml", where, m[1], m[3])
				}
			}
			for _, m := range codeCmpRE.FindAllStringSubmatch(s.If, -1) {
				c, _ := strconv.Atoi(m[1])
				if _, ok := codes[c]; !ok {
					t.Errorf("%s: acts on exit code %d, which no gate answers with (codes: %v)", where, c, sortedKeys(codes))
				}
				if !strings.Contains(s.If, "!cancelled()") && !strings.Contains(s.If, "always()") {
					t.Errorf("%s: a step acting on a non-zero verdict must run after the gate step failed: add !cancelled() to its if", where)
				}
				acted[c] = true
			}
		}
		if acted[0] && acted[1] && acted[2] && acted[4] {
			actsOnAll = true
		}
	}
	if gates < 2 {
		t.Errorf("github-actions.yml: want a release gate and a canary stage gate using %s, found %d", actionRepo, gates)
	}
	if !actsOnAll {
		t.Errorf("github-actions.yml: no job has a step for each of the canary's exit codes 0 (expand), 1 (rollback), 2 (hold), 4 (narrow)")
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

func sortedKeys[K int | string, V any](m map[K]V) []K {
	var keys []K
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestScriptHelpListsExitCodes(t *testing.T) {
	help := scriptHelp(t)
	_, block, ok := strings.Cut(help, "Exit codes")
	if !ok {
		t.Fatalf("%s --help has no Exit codes section", scriptRel)
	}
	for c := range documentedCodes() {
		if !regexp.MustCompile(`(?m)^\s+` + strconv.Itoa(c) + `\s+\S`).MatchString(block) {
			t.Errorf("%s --help does not explain exit code %d", scriptRel, c)
		}
	}
}
