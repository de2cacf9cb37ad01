package deploycheck

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// secret is a top-level secrets entry: `file:` on the host (or
// `environment:`).
type secret struct {
	File        string `yaml:"file"`
	Environment string `yaml:"environment"`
}

// secretRef is a service's use of a secret: its name, or {source, target}.
type secretRef struct {
	Source, Target string
}

func (r *secretRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		r.Source = n.Value
		return nil
	}
	var m struct {
		Source string `yaml:"source"`
		Target string `yaml:"target"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	r.Source, r.Target = m.Source, m.Target
	return nil
}

// mountPath is where the secret appears in the container.
func (r secretRef) mountPath() string {
	if strings.HasPrefix(r.Target, "/") {
		return r.Target
	}
	name := r.Target
	if name == "" {
		name = r.Source
	}
	return "/run/secrets/" + name
}

// required matches a Compose interpolation that stops `up` when the
// variable is unset or empty: ${VAR:?message}.
var required = regexp.MustCompile(`^\$\{([A-Z_][A-Z0-9_]*):\?[^}]+\}$`)

// The stack runs with keys on: serve listens beyond loopback (it would
// refuse to without a key), and its first admin key comes from a file on
// the host mounted as a secret, named by a variable .env must set, never
// from a value in the repository.
func TestBootstrapKeyIsASecret(t *testing.T) {
	f := load(t)
	s := svc(t, f, "evalhouse")
	path := s.Environment["EVALHOUSE_BOOTSTRAP_KEY_FILE"]
	if path == "" {
		t.Fatal("docker-compose.yml: services.evalhouse.environment.EVALHOUSE_BOOTSTRAP_KEY_FILE is not set: serve listens on :4318 and needs a key")
	}
	i := slices.IndexFunc(s.Secrets, func(r secretRef) bool { return r.mountPath() == path })
	if i < 0 {
		t.Fatalf("docker-compose.yml: EVALHOUSE_BOOTSTRAP_KEY_FILE %s is not where any of services.evalhouse.secrets is mounted (%v)", path, s.Secrets)
	}
	sec := f.Secrets[s.Secrets[i].Source]
	if sec == nil {
		t.Fatalf("docker-compose.yml: services.evalhouse uses secret %q, which the top-level secrets: does not declare", s.Secrets[i].Source)
	}
	m := required.FindStringSubmatch(sec.File)
	if m == nil {
		t.Fatalf("docker-compose.yml: secrets.%s.file = %q, want ${VAR:?message}: a host path set in .env, required (never a committed file)", s.Secrets[i].Source, sec.File)
	}
	for name, svc := range f.Services {
		for k, v := range svc.Environment {
			if strings.Contains(k, "KEY") && k != "EVALHOUSE_BOOTSTRAP_KEY_FILE" && v != "" {
				t.Errorf("docker-compose.yml: services.%s.environment.%s holds a value: keys come from files", name, k)
			}
		}
	}

	// .env.example beside it sets the variable, to a path git and the
	// Docker build context both ignore, and holds no key.
	ex, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatalf(".env.example must sit beside docker-compose.yml: %v", err)
	}
	val := regexp.MustCompile(`(?m)^` + m[1] + `=(\S+)$`).FindSubmatch(ex)
	if val == nil {
		t.Fatalf(".env.example does not set %s", m[1])
	}
	dir := strings.TrimPrefix(strings.SplitN(strings.TrimPrefix(string(val[1]), "./"), "/", 2)[0], "/")
	if regexp.MustCompile(`[0-9a-f]{32}|evh_`).Match(ex) {
		t.Error(".env.example holds what looks like a key")
	}
	for _, ign := range []struct{ file, want string }{{"../../.gitignore", "/" + dir + "/"}, {"../../.dockerignore", dir}, {"../../.gitignore", "/.env"}, {"../../.dockerignore", ".env"}} {
		b, err := os.ReadFile(ign.file)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(strings.Split(string(b), "\n"), ign.want) {
			t.Errorf("%s does not ignore %s (the key file or .env could be committed or copied into the image)", ign.file, ign.want)
		}
	}
}
