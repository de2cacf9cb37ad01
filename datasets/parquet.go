package datasets

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// parquetCase is a case as a Parquet row. input, expected and provenance
// hold JSON text; provenance and snapshot may be absent from a file.
type parquetCase struct {
	CaseID      string   `parquet:"case_id"`
	Input       string   `parquet:"input"`
	Expected    string   `parquet:"expected"`
	Tags        []string `parquet:"tags,list"`
	ChangeTypes []string `parquet:"change_types,list"`
	Provenance  string   `parquet:"provenance,optional"`
	Snapshot    string   `parquet:"snapshot,optional"`
}

// requiredColumns must be in every dataset Parquet file.
var requiredColumns = []string{"case_id", "input", "expected"}

func writeParquet(w io.Writer, cs []canonCase) error {
	rows := make([]parquetCase, len(cs))
	for i, cc := range cs {
		rows[i] = parquetCase{
			CaseID: cc.CaseID, Input: string(cc.Input), Expected: string(cc.Expected),
			Tags: cc.Tags, ChangeTypes: cc.ChangeTypes, Provenance: string(cc.Provenance), Snapshot: cc.Snapshot,
		}
	}
	return parquet.Write(w, rows, parquet.Compression(&zstd.Codec{}))
}

func readParquet(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	for _, col := range requiredColumns {
		if _, ok := pf.Schema().Lookup(col); !ok {
			return nil, fmt.Errorf("%s: missing column %s (want case_id, input, expected, tags, change_types)", path, col)
		}
	}
	rows := make([]parquetCase, pf.NumRows())
	r := parquet.NewGenericReader[parquetCase](pf)
	defer r.Close()
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var (
		cases []Case
		errs  []error
		nerr  int
		rowOf = map[string]int{}
	)
	fail := func(row int, err error) {
		nerr++
		if nerr <= maxErrors {
			errs = append(errs, fmt.Errorf("%s: row %d: %w", path, row, err))
		}
	}
	for i, row := range rows[:n] {
		c, err := parquetRow(row)
		if err != nil {
			fail(i+1, err)
			continue
		}
		if first, dup := rowOf[c.CaseID]; dup {
			fail(i+1, fmt.Errorf("field case_id: duplicate of row %d", first))
			continue
		}
		rowOf[c.CaseID] = i + 1
		cases = append(cases, c)
	}
	if nerr > maxErrors {
		errs = append(errs, fmt.Errorf("%s: … and %d more bad rows", path, nerr-maxErrors))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cases, nil
}

func parquetRow(row parquetCase) (Case, error) {
	c := Case{CaseID: row.CaseID, Tags: row.Tags, ChangeTypes: row.ChangeTypes, Snapshot: row.Snapshot}
	in, err := decodeJSON([]byte(row.Input))
	if err != nil {
		return Case{}, &fieldError{"input", err.Error()}
	}
	c.Input = in
	if c.Expected, err = decodeObject([]byte(row.Expected)); err != nil || c.Expected == nil {
		return Case{}, &fieldError{"expected", "want a JSON object"}
	}
	if row.Provenance != "" {
		if c.Provenance, err = decodeObject([]byte(row.Provenance)); err != nil {
			return Case{}, &fieldError{"provenance", "want a JSON object"}
		}
	}
	if _, err := c.canonical(); err != nil {
		return Case{}, err
	}
	return c, nil
}
