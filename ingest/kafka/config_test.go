package kafka

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/evalhouse/evalhouse/ingest"
)

func loadConfig(t *testing.T, name string) Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "config", name))
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func TestConfigGood(t *testing.T) {
	for _, name := range []string{"good.yaml", "minimal.yaml"} {
		if err := loadConfig(t, name).Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	c := loadConfig(t, "good.yaml")
	if c.BatchWait.String() != "500ms" || c.DeadLetterTopic != "agent-events.dlq" || c.BatchSize != 2000 ||
		c.DeadLetterPartitions != 3 || c.DeadLetterReplication != 3 {
		t.Errorf("good.yaml decoded as %+v", c)
	}
	d := loadConfig(t, "minimal.yaml").withDefaults()
	if d.Format != FormatNDJSON || d.BatchSize != 1000 || d.StartOffset != "earliest" || d.MaxBytes != 1<<20 ||
		d.DeadLetterPartitions != 1 || d.DeadLetterReplication != -1 {
		t.Errorf("defaults: %+v", d)
	}
}

// Every bad fixture fails with messages naming the YAML keys at fault (and
// no flag: the library does not know the caller's); all problems are
// reported at once. With OptionName, each key is followed by its flag.
func TestConfigBad(t *testing.T) {
	want := map[string][]string{
		"missing.bad.yaml":    {"brokers", "topic is required", "group is required"},
		"brokers.bad.yaml":    {`"kafka-1" is not host:port`, `":9092" is not host:port`},
		"topics.bad.yaml":     {"topic", "dead_letter_topic"},
		"dlq-same.bad.yaml":   {"must differ from topic"},
		"dlq-create.bad.yaml": {"dead_letter_partitions -2", "dead_letter_replication 40000"},
		"format.bad.yaml":     {`format "csv"`},
		"otlp.bad.yaml":       {"no OTLP decoder"},
		"numbers.bad.yaml":    {"batch -1", "batch_bytes -5", "batch_wait", "start_offset", "max_bytes 100", "heartbeat_interval 40s"},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.bad.yaml"))
	if len(files) != len(want) {
		t.Errorf("%d bad fixtures, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		name := filepath.Base(f)
		err := loadConfig(t, name).Validate()
		if err == nil {
			t.Errorf("%s: valid", name)
			continue
		}
		for _, w := range want[name] {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", name, err, w)
			}
		}
		if strings.Contains(err.Error(), "--") {
			t.Errorf("%s: error %q names a flag", name, err)
		}
	}
	c := loadConfig(t, "missing.bad.yaml")
	c.OptionName = func(key string) string { return "--x-" + key }
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "kafka: brokers (--x-brokers): at least one") {
		t.Errorf("with OptionName: %v", err)
	}
}

func TestConfigOTLPWithDecoder(t *testing.T) {
	c := loadConfig(t, "otlp.bad.yaml")
	c.Decoders = map[Format]ingest.Decoder{FormatOTLP: fakeOTLP}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// LoadConfig reads what the fixtures hold (the file `ingest kafka
// --config` takes) and names an unknown key with its line.
func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig(filepath.Join("testdata", "config", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := loadConfig(t, "good.yaml"); c.Topic != want.Topic || c.BatchWait != want.BatchWait || c.DeadLetterTopic != want.DeadLetterTopic {
		t.Errorf("LoadConfig: %+v, want %+v", c, want)
	}
	bad := filepath.Join(t.TempDir(), "kafka.yaml")
	os.WriteFile(bad, []byte("brokers: [k:9092]\ntopic: t\ndead_letter: x\n"), 0o600)
	if _, err := LoadConfig(bad); err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "dead_letter") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loads")
	}
}
