package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/keys"
)

// envBootstrapKeyFile names the file holding a deployment's first admin
// key (a Docker secret, say); serve adds it to the store at start.
const envBootstrapKeyFile = "EVALHOUSE_BOOTSTRAP_KEY_FILE"

// apiPolicy is what each endpoint of the ingest API needs: /healthz and
// /readyz are public; /ui and /v1/releases/ need a key that reads; every other path,
// including ones added later, needs at least a valid key.
func apiPolicy(r *http.Request) keys.Need {
	switch r.URL.Path {
	case "/healthz", "/readyz":
		return keys.Public
	case "/v1/events", "/v1/traces":
		return keys.Require(auth.RoleIngest)
	case "/v1/gates":
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return keys.Require(auth.RoleRead) // gate and admin keys read too
		}
		return keys.Require(auth.RoleGate)
	}
	if strings.HasPrefix(r.URL.Path, "/v1/releases/") {
		return keys.Require(auth.RoleRead) // GET only (the handler refuses the rest); gate and admin keys read too
	}
	if r.URL.Path == "/ui" || strings.HasPrefix(r.URL.Path, "/ui/") {
		return keys.Require(auth.RoleRead) // gate and admin keys read too
	}
	return keys.AnyKey
}

// clickhousePolicy: any valid key opens the ClickHouse interface (what
// each role may run there is the interface's business, from the principal
// in the request's context); /ping is public, as on a ClickHouse server.
func clickhousePolicy(r *http.Request) keys.Need {
	if r.URL.Path == "/ping" {
		return keys.Public
	}
	return keys.AnyKey
}

// loopback reports whether addr (host:port) listens on this machine only.
// An empty host (":4318") is every interface; a host name other than
// localhost is not trusted to stay loopback.
func loopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// listenPolicy decides whether serve may listen on addr (flag names the
// flag that set it): beyond loopback only once a key exists, since until
// then every request is let through unauthenticated. It reports whether
// addr is loopback.
func listenPolicy(flag, addr string, noKeys bool) (bool, error) {
	lo, err := loopback(addr)
	if err != nil {
		return false, &exitError{exitUsage, fmt.Errorf("%s %q: %w", flag, addr, err)}
	}
	if !lo && noKeys {
		return false, &exitError{exitUsage, fmt.Errorf("%s %q listens beyond loopback, and no key exists: anyone who reaches it could read and write. "+
			"Create a key first (evalhouse keys create --role admin --name ops, or set %s to a file holding one), "+
			"or listen on 127.0.0.1", flag, addr, envBootstrapKeyFile)}
	}
	return lo, nil
}

// bootstrapKey adds the key in $EVALHOUSE_BOOTSTRAP_KEY_FILE to the store
// as an admin key (once; keys.Store.Bootstrap). Set but unreadable or
// empty is an error: serve does not start half-configured.
func bootstrapKey(ctx context.Context, ks *keys.Store, out io.Writer) error {
	path := os.Getenv(envBootstrapKeyFile)
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", envBootstrapKeyFile, err)
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" {
		return fmt.Errorf("%s: %s is empty: put a key in it (openssl rand -hex 32 > %s)", envBootstrapKeyFile, path, path)
	}
	k, created, err := ks.Bootstrap(ctx, secret)
	if err != nil {
		return fmt.Errorf("%s (%s): %w", envBootstrapKeyFile, path, err)
	}
	if created {
		fmt.Fprintf(out, "bootstrap admin key %s added from %s\n", k.Name, path)
	}
	return nil
}

// configDigest is a SHA-256 over what serve was started with: the binary's
// version, every flag's value (the store address with its password
// masked), the bootstrap key file's path (never its content), and the name
// and content of every file in the rules directories. Two processes with
// the same digest run the same configuration; the digest holds no secret.
func configDigest(cmd *cobra.Command, rulesDirs []string) (digest string, files int, err error) {
	h := sha256.New()
	fmt.Fprintf(h, "version=%s\n", version)
	var flags []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		v := f.Value.String()
		if f.Name == "store" {
			if d, err := store.ParseDSN(v); err == nil {
				v = d.String()
			} else {
				v = "(unparsable)"
			}
		}
		flags = append(flags, f.Name+"="+v)
	})
	sort.Strings(flags)
	for _, f := range flags {
		fmt.Fprintln(h, "flag", f)
	}
	fmt.Fprintln(h, "env", envBootstrapKeyFile+"="+os.Getenv(envBootstrapKeyFile))
	for _, dir := range rulesDirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			fmt.Fprintf(h, "file %s %x\n", path, sum)
			files++
			return nil
		})
		if err != nil {
			return "", 0, fmt.Errorf("--rules-dir %s: %w", dir, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), files, nil
}

// checkRulesDirs fails at start for a --rules-dir that is not a directory.
func checkRulesDirs(dirs []string) error {
	seen := map[string]string{}
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			return &exitError{exitUsage, fmt.Errorf("--rules-dir: %w", err)}
		}
		if !st.IsDir() {
			return &exitError{exitUsage, fmt.Errorf("--rules-dir %s: not a directory", d)}
		}
		base := filepath.Base(filepath.Clean(d))
		if prev, ok := seen[base]; ok {
			return &exitError{exitUsage, fmt.Errorf("--rules-dir %s and %s share the name %q, by which a gate config's rules: names them; rename one", prev, d, base)}
		}
		seen[base] = d
	}
	return nil
}

// openListeners says which listeners let requests without a key through
// while no key exists (the loopback ones).
type openListeners struct{ api, clickhouse bool }

// serveKeys readies serve's keys before it listens: it adds the bootstrap
// key, checks the rules directories, applies the listen policy to both
// addresses (warning once when no key exists), and prints the digest of
// the configuration.
func (a *app) serveKeys(cmd *cobra.Command, conn driver.Conn, listen, chListen string, rulesDirs []string) (*keys.Verifier, openListeners, error) {
	ctx, out := cmd.Context(), cmd.OutOrStdout()
	ks := keys.New(conn)
	var open openListeners
	if err := bootstrapKey(ctx, ks, out); err != nil {
		return nil, open, err
	}
	if err := checkRulesDirs(rulesDirs); err != nil {
		return nil, open, err
	}
	v := keys.NewVerifier(ks, 0)
	noKeys, err := v.Empty(ctx)
	if err != nil {
		return nil, open, err
	}
	if open.api, err = listenPolicy("--listen", listen, noKeys); err != nil {
		return nil, open, err
	}
	if chListen != "" {
		if noKeys {
			// The interface reads every row: without keys any local
			// process could, so it is not exposed at all until one exists.
			return nil, open, &exitError{exitUsage, fmt.Errorf("--clickhouse-listen %q: no key exists, and the ClickHouse interface is exposed only with keys (every local process could read every row). "+
				"Create one first (evalhouse keys create --role admin --name ops, or set %s to a file holding one), then reach it with --store http://NAME:KEY@ADDR", chListen, envBootstrapKeyFile)}
		}
		if open.clickhouse, err = listenPolicy("--clickhouse-listen", chListen, noKeys); err != nil {
			return nil, open, err
		}
	}
	if noKeys {
		a.log.Warn("no key exists: every local process can read and write through serve (loopback only) until one is created: evalhouse keys create --role admin")
	}
	digest, files, err := configDigest(cmd, rulesDirs)
	if err != nil {
		return nil, open, err
	}
	fmt.Fprintf(out, "configuration sha256:%.16s (evalhouse %s, its flags, %d rules file(s); no secrets)\n", digest, version, files)
	a.log.Info("configuration loaded", "sha256", digest, "rules_dirs", strings.Join(rulesDirs, ","), "bootstrap_key_file", os.Getenv(envBootstrapKeyFile))
	return v, open, nil
}
