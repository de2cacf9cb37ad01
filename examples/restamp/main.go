// Command restamp copies example trace files into a directory with their
// timestamps moved to the hour before now (one offset for all files, so
// their relative timing holds). `make demo` ingests these copies, so the
// demo's data is inside its retention on whatever day the demo runs.
//
//	go run ./examples/restamp -out .evalhouse/demo/data examples/support-agent/*.ndjson
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/evalhouse/evalhouse/internal/restamp"
)

func main() {
	out := flag.String("out", "", "directory for the restamped copies (required)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: restamp -out DIR FILE...\n\nCopies each FILE into DIR with its timestamps moved to just before now.")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	files, err := restamp.Files(*out, time.Now(), flag.Args()...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(f)
	}
}
