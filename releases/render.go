package releases

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// The text forms: what evalhouse release show and release log print as a
// table. JSON is the same values (Release, Stage) as they are.

const stamp = "2006-01-02 15:04:05Z07:00"

func at(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(stamp)
}

// WriteText writes the release record and its stage log as tables.
func (r *Release) WriteText(w io.Writer) error {
	s := r.Record
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	env := "every environment"
	if s.Environment != "" {
		env = "environment " + s.Environment
	}
	fmt.Fprintf(tw, "release %s (%s), as of %s\n", s.Release, env, at(s.TakenAt))
	versions := func(title string, vs []Version) {
		fmt.Fprintf(tw, "\n%s\tEVENTS\tFIRST SEEN\tLAST SEEN\n", title)
		if len(vs) == 0 {
			fmt.Fprintln(tw, "  (none)")
		}
		for _, v := range vs {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", v.Name, v.Events, at(v.FirstSeen), at(v.LastSeen))
		}
	}
	versions("MODELS", s.Models)
	versions("PROMPT VERSIONS", s.Prompts)
	fmt.Fprintf(tw, "\nTOOLS\tEVENTS\tFIRST SEEN\tLAST SEEN\tSCHEMA VERSIONS\n")
	if len(s.Tools) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	for _, t := range s.Tools {
		sv := strings.Join(t.SchemaVersions, ", ")
		if sv == "" {
			sv = "-"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\n", t.Name, t.Events, at(t.FirstSeen), at(t.LastSeen), sv)
	}
	versions("POLICY VERSIONS", s.Policies)
	fmt.Fprintf(tw, "\nDATASETS (GATE DECISIONS)\tDECISIONS\tLATEST VERDICT\tLATEST AT\n")
	if len(s.Datasets) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	for _, d := range s.Datasets {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", d.Dataset, d.Decisions, d.Verdict, at(d.DecidedAt))
	}
	x := s.Export
	fmt.Fprintf(tw, "\nTRACE EXPORT\n")
	fmt.Fprintf(tw, "  events\t%d\n  runs\t%d\n  violating events\t%d\n", x.Events, x.Runs, x.ViolatingEvents)
	fmt.Fprintf(tw, "  first event\t%s\n  last event\t%s\n  last stored\t%s\n", at(x.FirstEvent), at(x.LastEvent), at(x.LastStored))
	versions("EVENTS BY KIND", x.Kinds)
	if len(x.Violations) > 0 {
		versions("CONTRACT VIOLATIONS", x.Violations)
	}
	fmt.Fprintf(tw, "\nSEEN IN\tTENANT\tEVENTS\tRUNS\tVIOLATING\tFIRST SEEN\tLAST SEEN\n")
	if len(s.Seen) == 0 {
		fmt.Fprintln(tw, "  (nowhere)")
	}
	for _, v := range s.Seen {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%s\t%s\n", v.Environment, v.Tenant, v.Events, v.Runs, v.ViolatingEvents, at(v.FirstSeen), at(v.LastSeen))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := WriteLog(w, r.Stages); err != nil {
		return err
	}
	if len(r.Decisions) > 0 {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "\nSTAGE GATES\tDECIDED\tSTAGE\tBASELINE\tVERDICT\tEXIT\tRUNS\n")
		for _, d := range r.Decisions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%d\n", d.DecisionID, at(d.DecidedAt), d.Stage, orDash(d.Baseline), d.Verdict, d.ExitCode, d.Runs)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, warn := range s.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
	return nil
}

// WriteLog writes a stage log as a table, oldest first.
func WriteLog(w io.Writer, log []Stage) error {
	if len(log) == 0 {
		_, err := fmt.Fprintln(w, "stages: none recorded (evalhouse release record R --stage S --owner O --rollback-owner P)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORDED\tSTAGE\tENVIRONMENT\tCOHORT\tOWNER\tROLLBACK OWNER\tBY\tNOTE")
	for _, st := range log {
		env := st.Environment
		if env == "" {
			env = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", at(st.RecordedAt), st.Stage, env, st.Cohort, st.Owner, st.RollbackOwner,
			dash(st.RecordedBy), dash(oneLine(st.Note)))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a note on its row: line breaks and tabs become spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
