package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// --config kafka.yaml is read, and flags given on the command line win
// over it; flags not given leave the file's values alone.
func TestKafkaConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kafka.yaml")
	os.WriteFile(path, []byte("brokers: [k1:9092]\ntopic: agent-events\ngroup: g\nbatch: 2000\nbatch_wait: 500ms\ndead_letter_topic: agent-events.dlq\n"), 0o600)
	var f kafkaFlags
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f.register(fs, "")
	if err := fs.Parse([]string{"--config", path, "--batch", "5000"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	if c.BatchSize != 5000 || c.BatchWait != 500*time.Millisecond || c.Topic != "agent-events" || len(c.Brokers) != 1 ||
		c.DeadLetterTopic != "agent-events.dlq" || c.Decoders["otlp"] == nil {
		t.Errorf("config %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	os.WriteFile(path, []byte("topic: t\nbatches: 3\n"), 0o600)
	if _, err := f.config(); err == nil || !strings.Contains(err.Error(), "--config") || !strings.Contains(err.Error(), "batches") {
		t.Errorf("unknown key: %v", err)
	}
}
