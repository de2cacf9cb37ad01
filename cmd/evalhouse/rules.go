package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/evaluators"
)

func (a *app) rulesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check and test evaluation rules",
		Long: `Rules score runs: each is an expression over one run (its run event, the
dataset case it executed, its model and tool calls, retrievals, memory
operations, policy decisions, approvals and evals). They live in YAML files
in your repository, usually rules/*.yaml. See docs/rules.md.`,
	}
	cmd.AddCommand(a.rulesCheckCmd(), a.rulesTestCmd())
	return cmd
}

func (a *app) rulesCheckCmd() *cobra.Command {
	var withEnv bool
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Compile every rule in DIR (default rules) and list them",
		Long: `Load, validate and compile every rule in DIR's *.yaml and *.yml files
(default: rules) and list each with its version: the 12-hex-digit hash every
result records, which changes whenever the rule's definition does.

Every problem in every file is reported, compile errors with line, column
and a caret. With --env, also print the environment rules see: every
variable and field with its type.

Exit code: 0 when every rule compiles, 3 when any does not.`,
		Example: `  evalhouse rules check examples/rules
  evalhouse rules check --env rules/`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "rules"
			if len(args) == 1 {
				dir = args[0]
			}
			out := cmd.OutOrStdout()
			if _, err := os.Stat(dir); err != nil && len(args) == 0 && withEnv {
				return printEnv(out) // only the reference was asked for
			}
			rs, err := evaluators.LoadDir(dir)
			if err != nil {
				n := printProblems(cmd.ErrOrStderr(), err)
				return &exitError{code: exitInvalid, err: fmt.Errorf("%s: %d problem(s)", dir, n)}
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tVERSION\tTYPE\tSEVERITY\tSCOPE\tAPPLIES TO\tFILE")
			for _, r := range rs.Rules {
				typ := r.Type
				if r.Threshold != nil {
					typ = fmt.Sprintf("score≥%g", *r.Threshold)
				}
				applies := strings.Join(r.AppliesTo, ",")
				if applies == "" {
					applies = "all"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s:%d\n", r.ID, r.Version, typ, r.Severity, r.Scope, applies, r.File, r.Line)
			}
			tw.Flush()
			fmt.Fprintf(out, "%d rule(s) compiled\n", len(rs.Rules))
			if withEnv {
				fmt.Fprintln(out)
				return printEnv(out)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&withEnv, "env", false, "also print the environment reference: every variable and field rules can use, with its type")
	return cmd
}

func printEnv(out io.Writer) error {
	fmt.Fprintln(out, "Environment (inside all/any/none/filter/map over a list, .field is the element's field):")
	return evaluators.WriteEnvReference(out)
}

// printProblems prints each of a joined error's problems, with a blank line
// between multi-line ones (compile errors and their carets), and counts them.
func printProblems(w io.Writer, err error) int {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		fmt.Fprintln(w, err)
		return 1
	}
	n := 0
	for _, e := range j.Unwrap() { // files' problems, each file's joined in turn
		n += printProblems(w, e)
	}
	return n
}

func (a *app) rulesTestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test FILE...",
		Short: "Run scripted rule tests: given this run, these rules pass, fail or error",
		Long: `Run rule test files, like promtool test rules. A test file names the rule
files it tests (relative to itself) and lists tests, each a run written as
the environment rules see (evalhouse rules check --env) and the outcome
expected of each rule named:

  rule_files: [../support-bot.yaml]
  tests:
    - name: refund without approval
      env:
        tool_calls:
          - {tool: issue_refund, side_effect: external, authorization: approval_required}
      expect:
        no_unapproved_side_effects: fail
        helpfulness: {result: fail, score: 0}

Prints PASS or FAIL per test, with what differed. Exit code: 0 when every
test passes, 1 when any fails or a file cannot run.`,
		Example: `  evalhouse rules test examples/rules/tests/support-bot.test.yaml
  evalhouse rules test rules/tests/*.test.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			passed, failed, broken := 0, 0, 0
			for _, file := range args {
				results, err := evaluators.RunTestFile(cmd.Context(), file)
				if err != nil {
					fmt.Fprintf(out, "ERROR %s\n", file)
					printProblems(cmd.ErrOrStderr(), err)
					broken++
					continue
				}
				for _, r := range results {
					if r.Passed() {
						passed++
						fmt.Fprintf(out, "PASS  %s:%d  %s\n", r.File, r.Line, r.Name)
						continue
					}
					failed++
					fmt.Fprintf(out, "FAIL  %s:%d  %s\n", r.File, r.Line, r.Name)
					for _, f := range r.Failures {
						fmt.Fprintf(out, "        %s\n", f)
					}
				}
			}
			fmt.Fprintf(out, "%d passed, %d failed", passed, failed)
			if broken > 0 {
				fmt.Fprintf(out, ", %d file(s) could not run", broken)
			}
			fmt.Fprintln(out)
			if failed > 0 || broken > 0 {
				return &exitError{code: exitFailed, err: fmt.Errorf("rule tests failed")}
			}
			return nil
		},
	}
	return cmd
}
