package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// A report's parts are what a live page (serve's /ui) loads one request
// each, so one slow query never holds up the others: one part per table
// of the preset, in Build's order, then, for a preset that adds more than
// its tables (the policy report's matrices), one last part with that.

// build runs the section within o: o's filter, its regrouping (unless the
// section is fixed), its bucket and top-N, the row floor.
func (s section) build(ctx context.Context, conn driver.Conn, o Options) (*Table, error) {
	if o.MinCalls == 0 {
		o.MinCalls = 20
	}
	qq := s.q
	qq.Filter = merge(o, qq.Filter)
	if len(o.By) > 0 && !s.fixed {
		qq.By = o.By
	}
	if o.Bucket != "" && qq.Bucket != "" && qq.Bucket != "release" {
		qq.Bucket = o.Bucket
	}
	if o.Top > 0 && !s.fixed {
		qq.Top = o.Top
	}
	qq.Exact, qq.Raw = o.Exact, o.Raw
	t, err := Run(ctx, conn, s.title, qq, o.Budget)
	if err != nil {
		return nil, err
	}
	if s.floor != "" {
		flagFloor(t, s.floor, o.MinCalls)
	}
	return t, nil
}

func presetNamed(name string) (preset, error) {
	i := slices.IndexFunc(presets, func(p preset) bool { return p.name == name })
	if i < 0 {
		return preset{}, fmt.Errorf("reports: unknown report %q (one of %s)", name, strings.Join(Names(), ", "))
	}
	return presets[i], nil
}

// Doc is what the preset name shows, and its title ("" for an unknown
// name).
func Doc(name string) (title, doc string) {
	p, err := presetNamed(name)
	if err != nil {
		return "", ""
	}
	return p.title, p.doc
}

// Parts lists the titles of report name's parts, in the order BuildPart
// numbers them.
func Parts(name string) ([]string, error) {
	p, err := presetNamed(name)
	if err != nil {
		return nil, err
	}
	var titles []string
	for _, s := range p.sections {
		titles = append(titles, s.title)
	}
	if p.extra != nil {
		titles = append(titles, p.title+": more")
	}
	return titles, nil
}

// BuildPart builds part i of report name with o: a Report like Build's
// with only that part's table, or, for the last part of a preset that
// adds more than its tables, only what it adds (its notes are in every
// part). Build's answer is the parts' tables, matrices and notes together.
func BuildPart(ctx context.Context, conn driver.Conn, name string, i int, o Options) (*Report, error) {
	p, err := presetNamed(name)
	if err != nil {
		return nil, err
	}
	r := &Report{Name: p.name, Title: p.title, Window: o.Window, Notes: p.notes}
	switch {
	case i >= 0 && i < len(p.sections):
		t, err := p.sections[i].build(ctx, conn, o)
		if err != nil {
			return nil, err
		}
		r.Tables = []*Table{t}
	case i == len(p.sections) && p.extra != nil:
		if o.MinCalls == 0 {
			o.MinCalls = 20
		}
		if err := p.extra(ctx, conn, r, o); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("reports: %s has no part %d (it has %d)", name, i, len(p.sections)+btoi(p.extra != nil))
	}
	return r, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Notes are what report name says it cannot show (every part carries
// them; a live page shows them once).
func Notes(name string) []string {
	p, err := presetNamed(name)
	if err != nil {
		return nil
	}
	return slices.Clone(p.notes)
}
