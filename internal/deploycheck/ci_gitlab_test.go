package deploycheck

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// ---------------------------------------------------------------------------
// Typed view of the parts of a .gitlab-ci.yml the checks read.

type glJob struct {
	Extends      lines             `yaml:"extends"`
	Stage        string            `yaml:"stage"`
	Image        string            `yaml:"image"`
	BeforeScript lines             `yaml:"before_script"`
	Script       lines             `yaml:"script"`
	Variables    map[string]string `yaml:"variables"`
	Needs        []glNeed          `yaml:"needs"`
	When         string            `yaml:"when"`
	AllowFailure *allowFailure     `yaml:"allow_failure"`
	Artifacts    *glArtifacts      `yaml:"artifacts"`
}

// lines is a script (a list of commands, or one string) or extends.
type lines []string

func (l *lines) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = lines{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// glNeed is `needs: [job]` or `needs: [{job: J, artifacts: true}]`.
type glNeed struct {
	Job       string
	Artifacts bool
}

func (d *glNeed) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.Job, d.Artifacts = n.Value, true // artifacts default to true
		return nil
	}
	m := struct {
		Job       string `yaml:"job"`
		Artifacts *bool  `yaml:"artifacts"`
	}{}
	if err := n.Decode(&m); err != nil {
		return err
	}
	d.Job, d.Artifacts = m.Job, m.Artifacts == nil || *m.Artifacts
	return nil
}

// allowFailure is `allow_failure: true` or `allow_failure: {exit_codes: …}`.
type allowFailure struct {
	All       bool
	ExitCodes []int
}

func (a *allowFailure) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&a.All)
	}
	var m struct {
		ExitCodes yaml.Node `yaml:"exit_codes"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	if m.ExitCodes.Kind == yaml.ScalarNode {
		var c int
		if err := m.ExitCodes.Decode(&c); err != nil {
			return err
		}
		a.ExitCodes = []int{c}
		return nil
	}
	return m.ExitCodes.Decode(&a.ExitCodes)
}

type glArtifacts struct {
	When    string `yaml:"when"`
	Paths   lines  `yaml:"paths"`
	Reports struct {
		Junit  lines `yaml:"junit"`
		Dotenv lines `yaml:"dotenv"`
	} `yaml:"reports"`
}

type glFile struct {
	Stages []string
	Vars   map[string]string
	Jobs   map[string]*glJob // templates (.name) resolved into the jobs that extend them
}

// GitLab's top-level keywords: every other top-level key is a job.
var glKeywords = map[string]bool{
	"default": true, "include": true, "stages": true, "variables": true, "workflow": true,
	"image": true, "services": true, "cache": true, "before_script": true, "after_script": true,
}

func loadGitLab(t *testing.T) *glFile {
	t.Helper()
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(readText(t, glExample)), &raw); err != nil {
		t.Fatalf("examples/ci/gitlab-ci.yml does not parse: %v", err)
	}
	f := &glFile{Jobs: map[string]*glJob{}}
	all := map[string]*glJob{}
	for k, n := range raw {
		var err error
		switch {
		case k == "stages":
			err = n.Decode(&f.Stages)
		case k == "variables":
			err = n.Decode(&f.Vars)
		case glKeywords[k]:
		default:
			j := &glJob{}
			err = n.Decode(j)
			all[k] = j
		}
		if err != nil {
			t.Fatalf("gitlab-ci.yml: %s: %v", k, err)
		}
	}
	for name, j := range all {
		if strings.HasPrefix(name, ".") {
			continue
		}
		r, err := resolveExtends(all, name, j, 0)
		if err != nil {
			t.Fatalf("gitlab-ci.yml: %v", err)
		}
		f.Jobs[name] = r
	}
	return f
}

// resolveExtends merges the templates a job extends under it, as GitLab
// does for these keys: the job's own value wins; variables merge.
func resolveExtends(all map[string]*glJob, name string, j *glJob, depth int) (*glJob, error) {
	if depth > 10 {
		return nil, fmt.Errorf("jobs.%s: extends nests too deep", name)
	}
	out := *j
	for _, base := range j.Extends {
		b, ok := all[base]
		if !ok {
			return nil, fmt.Errorf("jobs.%s extends %q, which is not defined", name, base)
		}
		rb, err := resolveExtends(all, base, b, depth+1)
		if err != nil {
			return nil, err
		}
		if out.Image == "" {
			out.Image = rb.Image
		}
		if out.BeforeScript == nil {
			out.BeforeScript = rb.BeforeScript
		}
		if out.Script == nil {
			out.Script = rb.Script
		}
		vars := map[string]string{}
		for k, v := range rb.Variables {
			vars[k] = v
		}
		for k, v := range j.Variables {
			vars[k] = v
		}
		out.Variables = vars
	}
	return &out, nil
}

// gateRun is how a job runs release-gate.sh: the script's settings from its
// flags and the job's variables.
type gateRun struct {
	flags    map[string]string
	settings map[string]string // GATE_* name → value, flags folded in
}

var flagToEnv = map[string]string{
	"--config": "GATE_CONFIG", "--junit": "GATE_JUNIT", "--markdown": "GATE_MARKDOWN", "--dotenv": "GATE_DOTENV",
}

func (j *glJob) gateRun(t *testing.T, name string) *gateRun {
	t.Helper()
	cmd := strings.Join(j.Script, "\n")
	i := strings.Index(cmd, scriptRel)
	if i < 0 {
		return nil
	}
	g := &gateRun{flags: map[string]string{}, settings: map[string]string{}}
	for k, v := range j.Variables {
		if strings.HasPrefix(k, "GATE_") {
			g.settings[k] = v
		}
	}
	rest, _, _ := strings.Cut(cmd[i+len(scriptRel):], "\n")
	f := strings.Fields(rest)
	for k := 0; k < len(f); k++ {
		if !strings.HasPrefix(f[k], "--") {
			continue
		}
		v := ""
		if k+1 < len(f) && !strings.HasPrefix(f[k+1], "--") {
			v = strings.Trim(f[k+1], `"'`)
		}
		g.flags[f[k]] = v
		if e, ok := flagToEnv[f[k]]; ok {
			g.settings[e] = v
		}
	}
	return g
}

func TestGitLabJobsRunTheScript(t *testing.T) {
	f := loadGitLab(t)
	help := scriptHelp(t)
	codes := documentedCodes()
	if _, err := os.Stat(scriptPath); err != nil {
		t.Fatalf("%s must exist: %v", scriptRel, err)
	}
	var gateJobs []string
	for _, name := range sortedKeys(f.Jobs) {
		j := f.Jobs[name]
		where := "gitlab-ci.yml: jobs." + name
		if !slices.Contains(f.Stages, j.Stage) {
			t.Errorf("%s: stage %q is not in stages %v", where, j.Stage, f.Stages)
		}
		for _, n := range j.Needs {
			if f.Jobs[n.Job] == nil {
				t.Errorf("%s needs %q, which is not a job", where, n.Job)
			}
		}
		g := j.gateRun(t, name)
		if g == nil {
			continue
		}
		gateJobs = append(gateJobs, name)
		if !strings.Contains(strings.Join(j.Script, "\n"), `"$EVALHOUSE_DIR/`+scriptRel+`"`) {
			t.Errorf("%s: run the script from the evalhouse checkout, quoted: \"$EVALHOUSE_DIR/%s\"", where, scriptRel)
		}
		for fl := range g.flags {
			if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(fl) + `\b`).MatchString(help) {
				t.Errorf("%s: passes %s, which %s --help does not list", where, fl, scriptRel)
			}
		}
		for k := range g.settings {
			if !strings.Contains(help, k) {
				t.Errorf("%s: sets %s, which %s --help does not document", where, k, scriptRel)
			}
		}
		if g.settings["GATE_CONFIG"] == "" {
			t.Errorf("%s: no --config (or GATE_CONFIG)", where)
		}
		a := j.Artifacts
		if a == nil {
			t.Errorf("%s: no artifacts: the JUnit and Markdown evidence would be lost", where)
			continue
		}
		if a.When != "always" {
			t.Errorf("%s: artifacts.when = %q, want always (a failing gate's evidence matters most)", where, a.When)
		}
		junit := g.settings["GATE_JUNIT"]
		if junit == "" {
			junit = "evalhouse-gate.xml" // the script's default
		}
		if !slices.Contains(a.Reports.Junit, junit) {
			t.Errorf("%s: the script writes JUnit to %s, but artifacts.reports.junit is %v", where, junit, a.Reports.Junit)
		}
		if md := g.settings["GATE_MARKDOWN"]; md != "" && !slices.Contains(a.Paths, md) {
			t.Errorf("%s: the Markdown evidence %s is not in artifacts.paths %v", where, md, a.Paths)
		}
		if env := g.settings["GATE_DOTENV"]; env != "" && !slices.Contains(a.Reports.Dotenv, env) {
			t.Errorf("%s: the script writes its dotenv to %s, but artifacts.reports.dotenv is %v", where, env, a.Reports.Dotenv)
		}
		if af := j.AllowFailure; af != nil {
			if af.All {
				t.Errorf("%s: allow_failure: true lets a failed or rolled-back gate pass; list exit_codes", where)
			}
			for _, c := range af.ExitCodes {
				if _, ok := codes[c]; !ok {
					t.Errorf("%s: allow_failure.exit_codes lists %d, which no gate answers with (codes: %v)", where, c, sortedKeys(codes))
				}
				if c == 0 || c == 1 || c == 3 {
					t.Errorf("%s: allow_failure.exit_codes lists %d (%s): a fail, rollback or error must fail the pipeline", where, c, codes[c])
				}
			}
		}
	}
	if len(gateJobs) < 2 {
		t.Errorf("gitlab-ci.yml: want a release gate job and a canary stage gate job running %s, found %v", scriptRel, gateJobs)
	}
}

// The job that acts on the canary's verdict reads it from the gate job's
// dotenv, runs whatever the gate answered, and handles every stage code.
func TestGitLabActsOnTheVerdict(t *testing.T) {
	f := loadGitLab(t)
	codes := documentedCodes()
	armRE := regexp.MustCompile(`(?m)^\s*(\d+)\)`)
	found := false
	for _, name := range sortedKeys(f.Jobs) {
		j := f.Jobs[name]
		script := strings.Join(j.Script, "\n")
		if !strings.Contains(script, "GATE_EXIT_CODE") {
			continue
		}
		found = true
		where := "gitlab-ci.yml: jobs." + name
		var fromDotenv bool
		for _, n := range j.Needs {
			if g := f.Jobs[n.Job]; g != nil && n.Artifacts {
				if r := g.gateRun(t, n.Job); r != nil && r.settings["GATE_DOTENV"] != "" {
					fromDotenv = true
				}
			}
		}
		if !fromDotenv {
			t.Errorf("%s reads GATE_EXIT_CODE but needs no gate job (with artifacts) that writes a dotenv", where)
		}
		if j.When != "always" {
			t.Errorf("%s: when = %q, want always (it must run after a rollback's failed gate job)", where, j.When)
		}
		arms := map[int]bool{}
		for _, m := range armRE.FindAllStringSubmatch(script, -1) {
			c, _ := strconv.Atoi(m[1])
			arms[c] = true
			if _, ok := codes[c]; !ok {
				t.Errorf("%s: acts on exit code %d, which no gate answers with (codes: %v)", where, c, sortedKeys(codes))
			}
		}
		for _, c := range []int{0, 1, 2, 4} {
			if !arms[c] {
				t.Errorf("%s: no case arm for exit code %d (%s)", where, c, codes[c])
			}
		}
	}
	if !found {
		t.Errorf("gitlab-ci.yml: no job acts on the canary's verdict ($GATE_EXIT_CODE)")
	}
}
