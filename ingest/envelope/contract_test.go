package envelope

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/pricing"
)

func TestRequiredFields(t *testing.T) {
	common := "trace_id span_id run_id tenant environment release ts duration_ms status "
	want := map[Kind]string{
		KindRun:       common + "actor task input output stop_reason",
		KindModel:     common + "model prompt_version input_ref output_status input_tokens output_tokens cost_usd latency_ms",
		KindTool:      common + "tool args authorization retry_count idempotency_key side_effect",
		KindRetrieval: common + "source_ids freshness access_decision citation_required",
		KindMemory:    common + "op retention_class policy_basis",
		KindPolicy:    common + "policy_version decision reason_code enforcement",
		KindApproval:  common + "approver_role action expires_at result",
		KindEval:      common + "case_id evaluator evaluator_version score threshold passed",
	}
	for _, k := range Kinds {
		if got := strings.Join(RequiredFields(k), " "); got != want[k] {
			t.Errorf("RequiredFields(%s) = %s\nwant %s", k, got, want[k])
		}
		for _, f := range RequiredFields(k) {
			if fields[f] == nil {
				t.Errorf("RequiredFields(%s) names unknown field %s", k, f)
			}
		}
	}
	if got := RequiredFields("agent"); got != nil {
		t.Errorf("RequiredFields(agent) = %v, want nil", got)
	}
	RequiredFields(KindRun)[0] = "changed"
	if RequiredFields(KindRun)[0] != "trace_id" {
		t.Error("RequiredFields returns shared storage")
	}
	if got := EnumValues("side_effect"); !slices.Equal(got, []string{"none", "read", "write", "external"}) {
		t.Errorf("EnumValues(side_effect) = %v", got)
	}
	if EnumValues("model") != nil {
		t.Error("EnumValues(model) != nil")
	}
}

func short(vs []Violation) string {
	var b []string
	for _, v := range vs {
		b = append(b, v.Field+":"+v.Problem)
	}
	return strings.Join(b, " ")
}

// TestCheckInvalidContractFile pins the violations of each line of
// testdata/invalid-contract.ndjson.
func TestCheckInvalidContractFile(t *testing.T) {
	want := []string{
		"trace_id:missing",
		"input:missing",
		"tenant:missing",
		"case_id:missing",
		"status:invalid",
		"cost_usd:missing",
		"duration_ms:invalid input_tokens:invalid",
		"authorization:invalid",
		"args:missing side_effect:invalid",
		"source_ids:missing",
		"access_decision:invalid freshness.age_s:invalid",
		"write_ids:missing",
		"read_ids:missing",
		"write_ids:missing",
		"op:invalid",
		"decision:invalid",
		"reason_code:missing",
		"expires_at:missing",
		"result:invalid",
		"passed:missing",
		"case_id:missing",
		"trace_id:missing span_id:missing run_id:missing tenant:missing environment:missing release:missing " +
			"duration_ms:missing status:missing tool:missing args:missing authorization:missing retry_count:missing " +
			"idempotency_key:missing side_effect:missing",
	}
	lines := readLines(t, "testdata/invalid-contract.ndjson")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		ev, err := Decode(l)
		if err != nil {
			t.Fatal(err)
		}
		vs := Check(ev)
		if got := short(vs); got != want[i] {
			t.Errorf("line %d: Check = %s\nwant %s", i+1, got, want[i])
		}
		for _, v := range vs {
			if v.Kind != ev.Kind {
				t.Errorf("line %d: violation kind %s, event kind %s", i+1, v.Kind, ev.Kind)
			}
		}
	}
}

func TestCheckKind(t *testing.T) {
	vs := Check(&Event{})
	if got, want := short(vs), "kind:missing trace_id:missing span_id:missing run_id:missing tenant:missing "+
		"environment:missing release:missing ts:missing duration_ms:missing status:missing"; got != want {
		t.Errorf("Check(empty) = %s\nwant %s", got, want)
	}
	vs = Check(&Event{Kind: "agent"})
	if len(vs) == 0 || vs[0] != (Violation{Kind: "agent", Field: "kind", Problem: ProblemInvalid}) {
		t.Errorf("Check(kind agent) = %v", vs)
	}
	if s := vs[0].String(); s != `agent event: field "kind" invalid` {
		t.Errorf("String() = %s", s)
	}
}

// memoryEvent returns a contract-clean memory event for op.
func memoryEvent(t *testing.T, op string, read, write []string) *Event {
	t.Helper()
	ev, err := Decode(readLines(t, "testdata/valid.ndjson")[4])
	if err != nil || ev.Kind != KindMemory {
		t.Fatalf("valid.ndjson line 5 is not a memory event: %v", err)
	}
	ev.Op, ev.ReadIDs, ev.WriteIDs = op, read, write
	return ev
}

func TestCheckMemoryIDs(t *testing.T) {
	ids := []string{"m1"}
	tests := []struct {
		op          string
		read, write []string
		want        string
	}{
		{"read", ids, nil, ""},
		{"read", nil, ids, "read_ids:missing"},
		{"write", nil, ids, ""},
		{"write", ids, nil, "write_ids:missing"},
		{"write", ids, ids, ""},
		{"delete", nil, ids, ""},
		{"delete", ids, nil, ""},
		{"delete", nil, nil, "write_ids:missing"},
		{"purge", nil, nil, "op:invalid"},
		{"", ids, ids, "op:missing"},
	}
	for _, tt := range tests {
		if got := short(Check(memoryEvent(t, tt.op, tt.read, tt.write))); got != tt.want {
			t.Errorf("op %q read %v write %v: Check = %q, want %q", tt.op, tt.read, tt.write, got, tt.want)
		}
	}
}

func TestCheckPresentValuesValidatedWhateverKind(t *testing.T) {
	ev := memoryEvent(t, "read", []string{"m"}, nil)
	ev.Decision = "perhaps"
	nan, neg := math.NaN(), int64(-2)
	ev.LatencyMS, ev.RetryCount = &nan, &neg
	ev.Freshness = &Freshness{AgeS: -1}
	ev.Dataset = "not a dataset"
	ev.CaseID = "c1"
	want := "decision:invalid latency_ms:invalid retry_count:invalid freshness.age_s:invalid dataset:invalid"
	if got := short(Check(ev)); got != want {
		t.Errorf("Check = %s\nwant %s", got, want)
	}
}

func TestCheckDatasetNeedsCaseIDOnce(t *testing.T) {
	ev, err := Decode(readLines(t, "testdata/valid.ndjson")[7])
	if err != nil || ev.Kind != KindEval {
		t.Fatal("valid.ndjson line 8 is not an eval event")
	}
	ev.CaseID = ""
	if got := short(Check(ev)); got != "case_id:missing" {
		t.Errorf("eval without case_id: Check = %s, want one case_id:missing", got)
	}
}

func TestFillCostThenCheck(t *testing.T) {
	l := readLines(t, "testdata/valid.ndjson")[1]
	ev, err := Decode([]byte(strings.Replace(string(l), `"cost_usd":0.00672,`, "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := short(Check(ev)); got != "cost_usd:missing" {
		t.Fatalf("before FillCost: Check = %s", got)
	}
	id := ev.EventID
	if !ev.FillCost(pricing.Default()) {
		t.Fatal("FillCost = false, want true for gpt-4o-2024-08-06")
	}
	if *ev.CostUSD != 0.00672 {
		t.Errorf("cost_usd = %v, want 0.00672 (1840 in, 212 out at gpt-4o prices)", *ev.CostUSD)
	}
	if ev.Attributes != nil {
		t.Errorf("FillCost touched attributes: %v", ev.Attributes)
	}
	if vs := Check(ev); len(vs) > 0 {
		t.Errorf("after FillCost: Check = %v", vs)
	}
	if ev.EventID != id {
		t.Error("FillCost changed event_id")
	}
	given := 1.0
	ev.CostUSD = &given
	if ev.FillCost(pricing.Default()) || *ev.CostUSD != 1 {
		t.Error("FillCost replaced a cost the event carried")
	}
	ev.CostUSD, ev.Model = nil, "in-house-llm"
	if ev.FillCost(pricing.Default()) || ev.CostUSD != nil {
		t.Error("FillCost priced an unknown model")
	}
}
