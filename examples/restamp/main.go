// Command restamp copies example trace files into a directory with their
// timestamps moved to the hour before now (one offset for all files, so
// their relative timing holds). `make demo` ingests these copies, so the
// demo's data is inside its retention on whatever day the demo runs.
//
//	go run ./examples/restamp -out .evalhouse/demo/data examples/support-agent/*.ndjson
//	go run ./examples/restamp -before 1m -out .evalhouse/demo/rollout examples/rollout/*.ndjson
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
	before := flag.Duration("before", 0, "move the newest timestamp to exactly this long before now, not to a whole hour (stage gates judge a window ending now)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: restamp -out DIR FILE...\n\nCopies each FILE into DIR with its timestamps moved to just before now.")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var files []string
	var err error
	if *before > 0 {
		files, err = restamp.FilesAt(*out, time.Now().Add(-*before), flag.Args()...)
	} else {
		files, err = restamp.Files(*out, time.Now(), flag.Args()...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(f)
	}
}
