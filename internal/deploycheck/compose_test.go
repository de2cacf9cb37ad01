package deploycheck

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	composePath    = "../../docker-compose.yml"
	dockerfilePath = "../../Dockerfile"
	goModPath      = "../../go.mod"
)

// ---------------------------------------------------------------------------
// Typed view of the parts of a Compose file that the checks read. Fields that
// Compose accepts in more than one shape (string or list, list or map) decode
// through the small types below.

type composeFile struct {
	Name     string              `yaml:"name"`
	Services map[string]*service `yaml:"services"`
	Volumes  map[string]any      `yaml:"volumes"`
	Secrets  map[string]*secret  `yaml:"secrets"`
}

type service struct {
	Image       string             `yaml:"image"`
	Build       *build             `yaml:"build"`
	Command     stringList         `yaml:"command"`
	Entrypoint  stringList         `yaml:"entrypoint"`
	Environment environment        `yaml:"environment"`
	Ports       []port             `yaml:"ports"`
	Volumes     []mount            `yaml:"volumes"`
	DependsOn   dependsOn          `yaml:"depends_on"`
	Healthcheck *healthcheck       `yaml:"healthcheck"`
	Ulimits     map[string]*ulimit `yaml:"ulimits"`
	Restart     string             `yaml:"restart"`
	Secrets     []secretRef        `yaml:"secrets"`

	keys []string // every key the service sets, for the typo check
}

// build is `build: DIR` or `build: {context: DIR, dockerfile: FILE}`.
type build struct {
	Context    string
	Dockerfile string
}

func (b *build) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	var m struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	b.Context, b.Dockerfile = m.Context, m.Dockerfile
	return nil
}

// stringList is a command or entrypoint: a list, or a string split on spaces.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = strings.Fields(n.Value)
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// environment is a map or a list of KEY=VALUE; every value is kept as the
// scalar's text (so KAFKA_NODE_ID: 1 reads "1").
type environment map[string]string

func (e *environment) UnmarshalYAML(n *yaml.Node) error {
	out := environment{}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := n.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: environment %s: value must be a scalar", v.Line, n.Content[i].Value)
			}
			if v.Tag == "!!null" {
				out[n.Content[i].Value] = ""
			} else {
				out[n.Content[i].Value] = v.Value
			}
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			k, v, _ := strings.Cut(item.Value, "=")
			out[k] = v
		}
	default:
		return fmt.Errorf("line %d: environment must be a map or a list", n.Line)
	}
	*e = out
	return nil
}

// port is one published port: "[IP:]HOST:CONTAINER[/PROTO]", "CONTAINER", or
// the long syntax {target, published}.
type port struct {
	Host      string // "" when not published on a fixed host port
	Container string
	Raw       string
}

func (p *port) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var m struct {
			Target    string `yaml:"target"`
			Published string `yaml:"published"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		p.Host, p.Container, p.Raw = m.Published, m.Target, fmt.Sprintf("%s:%s", m.Published, m.Target)
		return nil
	}
	p.Raw = n.Value
	spec, _, _ := strings.Cut(n.Value, "/")
	parts := strings.Split(spec, ":")
	switch len(parts) {
	case 1:
		p.Container = parts[0]
	case 2:
		p.Host, p.Container = parts[0], parts[1]
	case 3:
		p.Host, p.Container = parts[1], parts[2]
	default:
		return fmt.Errorf("line %d: cannot read port %q", n.Line, n.Value)
	}
	return nil
}

// mount is "SOURCE:TARGET[:MODE]" or the long syntax.
type mount struct {
	Source, Target string
}

func (m *mount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var l struct {
			Source string `yaml:"source"`
			Target string `yaml:"target"`
		}
		if err := n.Decode(&l); err != nil {
			return err
		}
		m.Source, m.Target = l.Source, l.Target
		return nil
	}
	parts := strings.Split(n.Value, ":")
	if len(parts) == 1 {
		m.Target = parts[0] // anonymous volume
		return nil
	}
	m.Source, m.Target = parts[0], parts[1]
	return nil
}

// named reports whether the mount is a named volume (not a bind mount).
func (m mount) named() bool {
	return m.Source != "" && !strings.ContainsAny(m.Source[:1], "./~$")
}

// dependsOn is the map form; the short list form decodes with no conditions,
// so the checks can say so.
type dependsOn map[string]dependency

type dependency struct {
	Condition string `yaml:"condition"`
	Required  *bool  `yaml:"required"`
}

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	out := dependsOn{}
	if n.Kind == yaml.SequenceNode {
		for _, item := range n.Content {
			out[item.Value] = dependency{}
		}
		*d = out
		return nil
	}
	m := map[string]dependency{}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		out[k] = v
	}
	*d = out
	return nil
}

type healthcheck struct {
	Test    stringList `yaml:"test"`
	Disable bool       `yaml:"disable"`
}

// ulimit is a single number or {soft, hard}.
type ulimit struct {
	Soft, Hard int
}

func (u *ulimit) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v, err := strconv.Atoi(n.Value)
		u.Soft, u.Hard = v, v
		return err
	}
	var m struct {
		Soft int `yaml:"soft"`
		Hard int `yaml:"hard"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	u.Soft, u.Hard = m.Soft, m.Hard
	return nil
}

// ---------------------------------------------------------------------------
// Loading

func load(t *testing.T) *composeFile {
	t.Helper()
	b, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatalf("docker-compose.yml must exist at the repository root: %v", err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	if len(f.Services) == 0 {
		t.Fatal("docker-compose.yml defines no services")
	}
	// Record each service's keys from the raw document.
	var raw struct {
		Services map[string]map[string]yaml.Node `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for name, keys := range raw.Services {
		for k := range keys {
			f.Services[name].keys = append(f.Services[name].keys, k)
		}
		slices.Sort(f.Services[name].keys)
	}
	return &f
}

// svc returns a service or stops the test saying which is missing.
func svc(t *testing.T, f *composeFile, name string) *service {
	t.Helper()
	s := f.Services[name]
	if s == nil {
		t.Fatalf("docker-compose.yml: no service %q (have %v)", name, serviceNames(f))
	}
	return s
}

func serviceNames(f *composeFile) []string {
	var names []string
	for n := range f.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// splitImage returns an image reference's repository and tag ("" if none).
func splitImage(ref string) (repo, tag string) {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[:colon], ref[colon+1:]
	}
	return ref, ""
}

// ---------------------------------------------------------------------------
// Checks

var wantServices = []string{"clickhouse", "kafka", "migrate", "evalhouse"}

func TestServicesExist(t *testing.T) {
	f := load(t)
	for _, name := range wantServices {
		if f.Services[name] == nil {
			t.Errorf("docker-compose.yml: service %q is missing (have %v)", name, serviceNames(f))
		}
	}
}

// Compose ignores nothing silently except typos in places it does not
// validate; keep every service key a real one.
var composeServiceKeys = map[string]bool{
	"annotations": true, "attach": true, "blkio_config": true, "build": true, "cap_add": true, "cap_drop": true,
	"cgroup": true, "cgroup_parent": true, "command": true, "configs": true, "container_name": true,
	"cpu_count": true, "cpu_percent": true, "cpu_period": true, "cpu_quota": true, "cpu_rt_period": true,
	"cpu_rt_runtime": true, "cpu_shares": true, "cpus": true, "cpuset": true, "credential_spec": true,
	"depends_on": true, "deploy": true, "develop": true, "device_cgroup_rules": true, "devices": true,
	"dns": true, "dns_opt": true, "dns_search": true, "domainname": true, "entrypoint": true,
	"env_file": true, "environment": true, "expose": true, "extends": true, "external_links": true,
	"extra_hosts": true, "gpus": true, "group_add": true, "healthcheck": true, "hostname": true,
	"image": true, "init": true, "ipc": true, "isolation": true, "labels": true, "links": true,
	"logging": true, "mac_address": true, "mem_limit": true, "mem_reservation": true, "mem_swappiness": true,
	"memswap_limit": true, "network_mode": true, "networks": true, "oom_kill_disable": true,
	"oom_score_adj": true, "pid": true, "pids_limit": true, "platform": true, "ports": true,
	"post_start": true, "pre_stop": true, "privileged": true, "profiles": true, "pull_policy": true,
	"read_only": true, "restart": true, "runtime": true, "scale": true, "secrets": true,
	"security_opt": true, "shm_size": true, "stdin_open": true, "stop_grace_period": true,
	"stop_signal": true, "storage_opt": true, "sysctls": true, "tmpfs": true, "tty": true,
	"ulimits": true, "user": true, "userns_mode": true, "uts": true, "volumes": true,
	"volumes_from": true, "working_dir": true,
}

func TestServiceKeysAreComposeKeys(t *testing.T) {
	f := load(t)
	for _, name := range serviceNames(f) {
		for _, k := range f.Services[name].keys {
			if !composeServiceKeys[k] && !strings.HasPrefix(k, "x-") {
				t.Errorf("docker-compose.yml: services.%s.%s is not a Compose service key (typo?)", name, k)
			}
		}
	}
}

func TestImagesArePinned(t *testing.T) {
	f := load(t)
	for _, name := range serviceNames(f) {
		s := f.Services[name]
		if s.Image == "" {
			if s.Build == nil {
				t.Errorf("docker-compose.yml: services.%s has neither image nor build", name)
			}
			continue
		}
		_, tag := splitImage(s.Image)
		switch {
		case strings.Contains(s.Image, "@sha256:"):
			// pinned by digest
		case tag == "":
			t.Errorf("docker-compose.yml: services.%s.image %q has no tag (means :latest); pin a version", name, s.Image)
		case tag == "latest":
			t.Errorf("docker-compose.yml: services.%s.image %q uses :latest; pin a version", name, s.Image)
		}
	}

	ch := svc(t, f, "clickhouse")
	repo, tag := splitImage(ch.Image)
	if repo != "clickhouse/clickhouse-server" && repo != "docker.io/clickhouse/clickhouse-server" {
		t.Errorf("docker-compose.yml: services.clickhouse.image = %q, want clickhouse/clickhouse-server:25.x", ch.Image)
	}
	if !regexp.MustCompile(`^25\.\d+`).MatchString(tag) {
		t.Errorf("docker-compose.yml: services.clickhouse.image tag = %q, want a 25.x release such as 25.8", tag)
	}

	k := svc(t, f, "kafka")
	repo, tag = splitImage(k.Image)
	if repo != "apache/kafka" && repo != "docker.io/apache/kafka" {
		t.Errorf("docker-compose.yml: services.kafka.image = %q, want apache/kafka:X.Y.Z", k.Image)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(tag) {
		t.Errorf("docker-compose.yml: services.kafka.image tag = %q, want a full version such as 3.9.1", tag)
	}
}

func TestClickHouse(t *testing.T) {
	f := load(t)
	ch := svc(t, f, "clickhouse")
	for _, k := range []string{"CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD", "CLICKHOUSE_DB"} {
		if ch.Environment[k] == "" {
			t.Errorf("docker-compose.yml: services.clickhouse.environment.%s is not set", k)
		}
	}
	for _, want := range []string{"8123", "9000"} {
		if !slices.ContainsFunc(ch.Ports, func(p port) bool { return p.Container == want && p.Host != "" }) {
			t.Errorf("docker-compose.yml: services.clickhouse does not publish container port %s", want)
		}
	}
	if !slices.ContainsFunc(ch.Volumes, func(m mount) bool { return m.named() && m.Target == "/var/lib/clickhouse" }) {
		t.Errorf("docker-compose.yml: services.clickhouse has no named volume on /var/lib/clickhouse (data would not survive a restart)")
	}
	if u := ch.Ulimits["nofile"]; u == nil || u.Soft < 65536 || u.Hard < u.Soft {
		t.Errorf("docker-compose.yml: services.clickhouse.ulimits.nofile should be at least 65536 (soft <= hard), got %+v", u)
	}
	if hc := ch.Healthcheck; hc == nil || len(hc.Test) == 0 {
		t.Errorf("docker-compose.yml: services.clickhouse has no healthcheck")
	} else if test := strings.Join(hc.Test, " "); !strings.Contains(test, "SELECT 1") && !strings.Contains(test, "/ping") {
		t.Errorf("docker-compose.yml: services.clickhouse.healthcheck %q should run `SELECT 1` or hit /ping", test)
	}
}

func TestKafkaKRaft(t *testing.T) {
	f := load(t)
	k := svc(t, f, "kafka")
	env := k.Environment
	for _, key := range []string{
		"KAFKA_NODE_ID", "KAFKA_PROCESS_ROLES", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS",
		"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "KAFKA_CONTROLLER_LISTENER_NAMES", "KAFKA_CONTROLLER_QUORUM_VOTERS",
		"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
	} {
		if env[key] == "" {
			t.Errorf("docker-compose.yml: services.kafka.environment.%s is not set (needed for single-node KRaft)", key)
		}
	}
	roles := strings.Split(strings.ReplaceAll(env["KAFKA_PROCESS_ROLES"], " ", ""), ",")
	if !slices.Contains(roles, "broker") || !slices.Contains(roles, "controller") {
		t.Errorf("docker-compose.yml: services.kafka KAFKA_PROCESS_ROLES = %q, want broker,controller", env["KAFKA_PROCESS_ROLES"])
	}
	for _, key := range []string{"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"} {
		if v, ok := env[key]; ok && v != "1" {
			t.Errorf("docker-compose.yml: services.kafka %s = %q, want 1 on a single broker", key, v)
		}
	}

	// listeners: NAME://HOST:PORT,...
	listeners := map[string]string{} // name -> port
	for _, l := range strings.Split(env["KAFKA_LISTENERS"], ",") {
		name, addr, ok := strings.Cut(strings.TrimSpace(l), "://")
		if !ok {
			t.Errorf("docker-compose.yml: services.kafka KAFKA_LISTENERS entry %q is not NAME://HOST:PORT", l)
			continue
		}
		listeners[name] = addr[strings.LastIndex(addr, ":")+1:]
	}
	protocols := map[string]bool{}
	for _, m := range strings.Split(env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"], ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(m), ":")
		protocols[name] = true
	}
	for name := range listeners {
		if !protocols[name] {
			t.Errorf("docker-compose.yml: services.kafka listener %s has no entry in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", name)
		}
	}
	for _, l := range strings.Split(env["KAFKA_ADVERTISED_LISTENERS"], ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(l), "://")
		if _, ok := listeners[name]; !ok {
			t.Errorf("docker-compose.yml: services.kafka advertises listener %s that KAFKA_LISTENERS does not define", name)
		}
	}
	ctrl := env["KAFKA_CONTROLLER_LISTENER_NAMES"]
	ctrlPort, ok := listeners[ctrl]
	if !ok {
		t.Errorf("docker-compose.yml: services.kafka controller listener %q is not in KAFKA_LISTENERS", ctrl)
	}
	// voters: ID@HOST:PORT — this node, reachable at its service name.
	voter := env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
	id, hostPort, _ := strings.Cut(voter, "@")
	host, vport, _ := strings.Cut(hostPort, ":")
	if id != env["KAFKA_NODE_ID"] {
		t.Errorf("docker-compose.yml: services.kafka quorum voter %q does not name KAFKA_NODE_ID %q", voter, env["KAFKA_NODE_ID"])
	}
	if host != "kafka" && host != "localhost" {
		t.Errorf("docker-compose.yml: services.kafka quorum voter host %q should be the service name kafka", host)
	}
	if ok && vport != ctrlPort {
		t.Errorf("docker-compose.yml: services.kafka quorum voter port %s is not the %s listener's port %s", vport, ctrl, ctrlPort)
	}
	if k.Healthcheck == nil || len(k.Healthcheck.Test) == 0 {
		t.Errorf("docker-compose.yml: services.kafka has no healthcheck")
	}
}

// storeDSN checks a service's EVALHOUSE_STORE against the clickhouse service.
func checkStoreDSN(t *testing.T, f *composeFile, name string) {
	t.Helper()
	s := svc(t, f, name)
	dsn := s.Environment["EVALHOUSE_STORE"]
	if dsn == "" {
		t.Errorf("docker-compose.yml: services.%s.environment.EVALHOUSE_STORE is not set", name)
		return
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Errorf("docker-compose.yml: services.%s EVALHOUSE_STORE %q does not parse: %v", name, dsn, err)
		return
	}
	if u.Scheme != "clickhouse" {
		t.Errorf("docker-compose.yml: services.%s EVALHOUSE_STORE scheme = %q, want clickhouse:// (native protocol)", name, u.Scheme)
	}
	target := f.Services[u.Hostname()]
	if target == nil {
		t.Errorf("docker-compose.yml: services.%s EVALHOUSE_STORE host %q is not a service (want clickhouse)", name, u.Hostname())
		return
	}
	if repo, _ := splitImage(target.Image); !strings.HasSuffix(repo, "clickhouse/clickhouse-server") {
		t.Errorf("docker-compose.yml: services.%s EVALHOUSE_STORE host %q is not the ClickHouse service (image %q)", name, u.Hostname(), target.Image)
		return
	}
	if u.Port() != "9000" {
		t.Errorf("docker-compose.yml: services.%s EVALHOUSE_STORE port = %q, want 9000 (ClickHouse native protocol)", name, u.Port())
	}
	ch := target.Environment
	pass, _ := u.User.Password()
	if u.User.Username() != ch["CLICKHOUSE_USER"] || pass != ch["CLICKHOUSE_PASSWORD"] {
		t.Errorf("docker-compose.yml: services.%s EVALHOUSE_STORE credentials do not match the clickhouse service's CLICKHOUSE_USER/CLICKHOUSE_PASSWORD", name)
	}
	if db := strings.Trim(u.Path, "/"); db != ch["CLICKHOUSE_DB"] {
		t.Errorf("docker-compose.yml: services.%s EVALHOUSE_STORE database = %q, want the clickhouse service's CLICKHOUSE_DB %q", name, db, ch["CLICKHOUSE_DB"])
	}
}

func TestEvalhouse(t *testing.T) {
	f := load(t)
	s := svc(t, f, "evalhouse")
	if s.Build == nil || (s.Build.Context != "." && s.Build.Context != "./") {
		t.Errorf("docker-compose.yml: services.evalhouse should build the repository root (build: .), got %+v", s.Build)
	} else if s.Build.Dockerfile != "" && s.Build.Dockerfile != "Dockerfile" {
		t.Errorf("docker-compose.yml: services.evalhouse.build.dockerfile = %q, want Dockerfile", s.Build.Dockerfile)
	}
	if got := strings.Join(s.Command, " "); got != "serve --listen :4318" {
		t.Errorf("docker-compose.yml: services.evalhouse.command = %q, want \"serve --listen :4318\"", got)
	}
	if !slices.ContainsFunc(s.Ports, func(p port) bool { return p.Host == "4318" && p.Container == "4318" }) {
		t.Errorf("docker-compose.yml: services.evalhouse should publish 4318:4318, got %v", s.Ports)
	}
	checkStoreDSN(t, f, "evalhouse")
	if d, ok := s.DependsOn["clickhouse"]; !ok || d.Condition != "service_healthy" {
		t.Errorf("docker-compose.yml: services.evalhouse must depend on clickhouse with condition service_healthy, got %+v", s.DependsOn)
	}
	if d, ok := s.DependsOn["migrate"]; !ok || d.Condition != "service_completed_successfully" {
		t.Errorf("docker-compose.yml: services.evalhouse must depend on migrate with condition service_completed_successfully, got %+v", s.DependsOn)
	}
}

func TestMigrate(t *testing.T) {
	f := load(t)
	m, e := svc(t, f, "migrate"), svc(t, f, "evalhouse")
	if got := strings.Join(m.Command, " "); got != "migrate" {
		t.Errorf("docker-compose.yml: services.migrate.command = %q, want \"migrate\"", got)
	}
	sameImage := (m.Image != "" && m.Image == e.Image) ||
		(m.Build != nil && e.Build != nil && *m.Build == *e.Build)
	if !sameImage {
		t.Errorf("docker-compose.yml: services.migrate must run the evalhouse image (same image: or build:)")
	}
	if m.Image != "" && m.Build == nil && e.Image != m.Image {
		t.Errorf("docker-compose.yml: services.migrate.image %q is built by no service", m.Image)
	}
	checkStoreDSN(t, f, "migrate")
	if m.Environment["EVALHOUSE_STORE"] != e.Environment["EVALHOUSE_STORE"] {
		t.Errorf("docker-compose.yml: migrate and evalhouse use different EVALHOUSE_STORE values")
	}
	if d, ok := m.DependsOn["clickhouse"]; !ok || d.Condition != "service_healthy" {
		t.Errorf("docker-compose.yml: services.migrate must depend on clickhouse with condition service_healthy, got %+v", m.DependsOn)
	}
	if strings.HasPrefix(m.Restart, "always") || strings.HasPrefix(m.Restart, "unless-stopped") {
		t.Errorf("docker-compose.yml: services.migrate is a one-shot job; restart %q would rerun it forever", m.Restart)
	}
}

var conditions = map[string]bool{"service_started": true, "service_healthy": true, "service_completed_successfully": true}

func TestDependsOn(t *testing.T) {
	f := load(t)
	for _, name := range serviceNames(f) {
		deps := f.Services[name].DependsOn
		var targets []string
		for dep := range deps {
			targets = append(targets, dep)
		}
		slices.Sort(targets)
		for _, dep := range targets {
			d := deps[dep]
			where := fmt.Sprintf("docker-compose.yml: services.%s.depends_on.%s", name, dep)
			target := f.Services[dep]
			switch {
			case dep == name:
				t.Errorf("%s: a service cannot depend on itself", where)
			case target == nil:
				t.Errorf("%s: no such service (have %v)", where, serviceNames(f))
			case d.Condition == "":
				t.Errorf("%s: no condition; use the long form with service_healthy or service_completed_successfully", where)
			case !conditions[d.Condition]:
				t.Errorf("%s: unknown condition %q", where, d.Condition)
			case d.Condition == "service_healthy" && (target.Healthcheck == nil || target.Healthcheck.Disable || len(target.Healthcheck.Test) == 0):
				t.Errorf("%s: condition service_healthy, but %s has no healthcheck, so it never becomes healthy", where, dep)
			}
		}
	}
}

func TestPublishedServicesHaveHealthchecks(t *testing.T) {
	f := load(t)
	for _, name := range serviceNames(f) {
		s := f.Services[name]
		if len(s.Ports) == 0 || name == "migrate" {
			continue
		}
		if s.Healthcheck == nil || s.Healthcheck.Disable || len(s.Healthcheck.Test) == 0 {
			t.Errorf("docker-compose.yml: services.%s publishes ports but has no healthcheck", name)
		} else if s.Healthcheck.Test[0] != "CMD" && s.Healthcheck.Test[0] != "CMD-SHELL" && s.Healthcheck.Test[0] != "NONE" {
			t.Errorf("docker-compose.yml: services.%s.healthcheck.test must start with CMD or CMD-SHELL, got %q", name, s.Healthcheck.Test[0])
		}
	}
}

func TestHostPortsAreUnique(t *testing.T) {
	f := load(t)
	seen := map[string]string{}
	for _, name := range serviceNames(f) {
		for _, p := range f.Services[name].Ports {
			if p.Host == "" {
				continue
			}
			if other, ok := seen[p.Host]; ok {
				t.Errorf("docker-compose.yml: host port %s is published by both %s and %s", p.Host, other, name)
			}
			seen[p.Host] = name
		}
	}
}

func TestNamedVolumesAreDeclared(t *testing.T) {
	f := load(t)
	for _, name := range serviceNames(f) {
		for _, m := range f.Services[name].Volumes {
			if !m.named() {
				continue
			}
			if _, ok := f.Volumes[m.Source]; !ok {
				t.Errorf("docker-compose.yml: services.%s mounts volume %q, which the top-level volumes: does not declare", name, m.Source)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Dockerfile

type instruction struct {
	line int
	cmd  string // upper case
	args string
}

// parseDockerfile returns instructions with continuation lines joined and
// comments dropped.
func parseDockerfile(t *testing.T) []instruction {
	t.Helper()
	fh, err := os.Open(dockerfilePath)
	if err != nil {
		t.Fatalf("Dockerfile must exist at the repository root (docker-compose.yml builds it): %v", err)
	}
	defer fh.Close()
	var out []instruction
	var cur strings.Builder
	start, n := 0, 0
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{start, strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func goVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(goModPath)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t)
	type stage struct {
		image, name string
		ins         []instruction
	}
	var stages []*stage
	for _, in := range ins {
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			var flags []string
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				flags, f = append(flags, f[0]), f[1:]
			}
			st := &stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
			}
			continue
		}
		cur := stages[len(stages)-1]
		cur.ins = append(cur.ins, in)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: want a multi-stage build (a golang builder and a slim runtime), found %d stage(s)", len(stages))
	}
	for _, st := range stages {
		if slices.ContainsFunc(stages, func(o *stage) bool { return o.name != "" && o.name == st.image }) {
			continue // FROM an earlier stage
		}
		if _, tag := splitImage(st.image); tag == "" || tag == "latest" {
			t.Errorf("Dockerfile: FROM %s is not pinned to a version (no :latest)", st.image)
		}
	}

	// Builder: golang:<go.mod version>, go build -o /evalhouse ./cmd/evalhouse.
	builder := stages[0]
	repo, tag := splitImage(builder.image)
	if repo != "golang" && repo != "docker.io/library/golang" {
		t.Errorf("Dockerfile: the first stage should be a golang image, got %s", builder.image)
	}
	if v := goVersion(t); tag != v && !strings.HasPrefix(tag, v+".") && !strings.HasPrefix(tag, v+"-") {
		t.Errorf("Dockerfile: builder image %s does not match go.mod's Go %s", builder.image, v)
	}
	buildRe := regexp.MustCompile(`\bgo build\b.*\s-o\s+(\S+).*\s\./cmd/evalhouse(\s|$)`)
	var binary string
	for _, in := range builder.ins {
		if in.cmd != "RUN" {
			continue
		}
		if m := buildRe.FindStringSubmatch(in.args); m != nil {
			binary = m[1]
		}
	}
	if binary == "" {
		t.Fatalf("Dockerfile: the builder stage has no `RUN ... go build -o BIN ./cmd/evalhouse`")
	}

	// Runtime: debian:bookworm-slim, CA certificates, the binary copied from
	// the builder, a non-root user, the ENTRYPOINT.
	rt := stages[len(stages)-1]
	if rt.image != "debian:bookworm-slim" {
		t.Errorf("Dockerfile: runtime stage FROM %s, want debian:bookworm-slim", rt.image)
	}
	var hasCA, copied bool
	var user, entrypoint string
	for _, in := range rt.ins {
		switch in.cmd {
		case "RUN":
			if strings.Contains(in.args, "ca-certificates") {
				hasCA = true
			}
		case "COPY":
			from := "--from=" + builder.name
			if builder.name == "" {
				from = "--from=0"
			}
			f := strings.Fields(in.args)
			if slices.Contains(f, from) && slices.Contains(f, binary) && f[len(f)-1] == "/usr/local/bin/evalhouse" {
				copied = true
			}
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		}
	}
	if !hasCA {
		t.Errorf("Dockerfile: the runtime stage does not install ca-certificates")
	}
	if !copied {
		t.Errorf("Dockerfile: the runtime stage does not COPY --from=%s %s /usr/local/bin/evalhouse", builder.name, binary)
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		t.Errorf("Dockerfile: the runtime stage must switch to a non-root USER, got %q", user)
	}
	if entrypoint != `["/usr/local/bin/evalhouse"]` {
		t.Errorf(`Dockerfile: ENTRYPOINT = %s, want ["/usr/local/bin/evalhouse"]`, entrypoint)
	}
}

// The build context is the repository root, so the Dockerfile's COPY of
// go.mod and go.sum must find them there.
func TestBuildContextHasModuleFiles(t *testing.T) {
	for _, f := range []string{"go.mod", "go.sum"} {
		if _, err := os.Stat(filepath.Join("../..", f)); err != nil {
			t.Errorf("%s missing from the build context: %v", f, err)
		}
	}
}
