package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/reports"
)

// presetFlags registers the flags only some reports take (evals: --gate;
// diff: --against) and returns what checks them and applies them to the
// report's options; every refusal names its flag.
func presetFlags(name string, cmd *cobra.Command, f *reportFlags) func(o *reports.Options) error {
	fixed := func(report string) error {
		for _, fl := range []string{"by", "top", "bucket"} {
			if cmd.Flags().Changed(fl) {
				return fmt.Errorf("--%s: the %s report's tables have a fixed shape (docs/reports.md)", fl, report)
			}
		}
		return nil
	}
	switch name {
	case "evals":
		var path string
		cmd.Flags().StringVar(&path, "gate", "", "gate config (gate.yaml) whose checks give the thresholds and margins")
		cmd.Example = `  evalhouse report evals --gate examples/gate.yaml
  evalhouse report evals --gate gate.yaml --since 90d --format markdown
  evalhouse report evals --release 2.4.0 --release 2.4.1 --format csv --out evals.csv`
		return func(o *reports.Options) error {
			if err := fixed(name); err != nil {
				return err
			}
			for _, fl := range []string{"model", "tool", "attr"} {
				if cmd.Flags().Changed(fl) {
					return fmt.Errorf("--%s: eval results carry no %s; the evals report cannot filter by it", fl, fl)
				}
			}
			if path != "" {
				cfg, err := gate.LoadConfig(path)
				if err != nil {
					return fmt.Errorf("--gate %s: %w", path, err)
				}
				o.Gate = cfg
			}
			return nil
		}
	case "diff":
		cmd.Flags().StringVar(&f.against, "against", "", "the release to compare --release with (required)")
		cmd.Example = `  evalhouse report diff --release 2.4.0 --against 2.3.1
  evalhouse report diff --release 2.4.1 --against 2.4.0 --since 90d --format markdown`
		return func(o *reports.Options) error {
			if err := fixed(name); err != nil {
				return err
			}
			if len(f.releases) != 1 || f.releases[0] == "" {
				return fmt.Errorf("--release: the diff report compares one release with --against: give --release once (got %d)", len(f.releases))
			}
			switch f.against {
			case "":
				return fmt.Errorf("--against: required: the release to compare --release %s with", f.releases[0])
			case f.releases[0]:
				return fmt.Errorf("--against %s: the same release as --release", f.against)
			}
			o.Against = f.against
			return nil
		}
	}
	return func(*reports.Options) error { return nil }
}
