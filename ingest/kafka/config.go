// Package kafka consumes agent events from a Kafka topic into the store,
// through the same pipeline as every other source: redaction, the trace
// contract, pricing and deduplication.
//
// Delivery is at least once and rows are exact: offsets are committed only
// after the rows of every message below them are durable, and the Writer
// drops redelivered events by (tenant, event_id). Messages that cannot be
// decoded, and events the contract rejects under Strict, go redacted to a
// dead-letter topic and then count as handled. docs/kafka.md has the
// operator's view.
package kafka

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/evalhouse/evalhouse/ingest"
)

// Format names how a message payload is encoded.
type Format string

// The payload formats. A message's content-type header picks one
// (application/x-ndjson or application/x-protobuf); Config.Format is the
// default for messages without the header.
const (
	// FormatNDJSON is envelope events, one JSON object per line; a
	// message may hold one line or many.
	FormatNDJSON Format = "ndjson"
	// FormatOTLP is an OTLP ExportTraceServiceRequest in protobuf; it
	// needs a Decoder (Config.Decoders).
	FormatOTLP Format = "otlp"
)

// Config configures a Source. It is read from YAML by LoadConfig
// (`evalhouse ingest kafka --config kafka.yaml`); its keys match the flags
// (dead_letter_topic is --dead-letter-topic). The zero values of the
// optional fields mean the defaults noted.
type Config struct {
	// Brokers are the bootstrap brokers, host:port each.
	Brokers []string `yaml:"brokers"`
	// Topic is the topic to consume.
	Topic string `yaml:"topic"`
	// Group is the consumer group; members of one group share the
	// topic's partitions and its committed offsets.
	Group string `yaml:"group"`
	// Format is the payload format of messages without a content-type
	// header; "" means ndjson.
	Format Format `yaml:"format"`
	// DeadLetterTopic receives rejected input, redacted, with the reason
	// and origin in headers; "" means rejected input is counted and
	// logged only.
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// DeadLetterPartitions and DeadLetterReplication shape the dead-letter
	// topic when it does not exist and the source creates it at start (as
	// Kafka Connect does). 0 means 1 partition and replication factor -1:
	// the broker's default.replication.factor (Kafka 2.4 and later). -1
	// partitions is the broker's num.partitions.
	DeadLetterPartitions  int `yaml:"dead_letter_partitions"`
	DeadLetterReplication int `yaml:"dead_letter_replication"`
	// BatchSize is how many messages are made durable (and committed)
	// together; 0 means 1000.
	BatchSize int `yaml:"batch"`
	// BatchBytes also closes a batch once its payloads add up to this
	// many bytes, so memory stays bounded whatever the message size; 0
	// means 64 MiB.
	BatchBytes int `yaml:"batch_bytes"`
	// BatchWait is the longest a fetched message waits for its batch to
	// fill; 0 means 1s.
	BatchWait time.Duration `yaml:"batch_wait"`
	// StartOffset is where a group without committed offsets starts:
	// "earliest" or "latest"; "" means earliest.
	StartOffset string `yaml:"start_offset"`
	// QueueCapacity is how many messages are prefetched per assigned
	// partition; 0 means 100. With BatchSize and MaxBytes it bounds memory.
	QueueCapacity int `yaml:"queue_capacity"`
	// MaxBytes is the largest fetch response per partition; 0 means 1 MiB.
	MaxBytes int `yaml:"max_bytes"`
	// HeartbeatInterval is how often the group coordinator is told this
	// member lives (and how fast a rebalance is noticed); 0 means 3s.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// SessionTimeout is how long the coordinator waits for a silent member
	// before moving its partitions; 0 means 30s.
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// RebalanceTimeout is how long members have to finish their batch,
	// commit and rejoin when partitions move; 0 means 30s.
	RebalanceTimeout time.Duration `yaml:"rebalance_timeout"`
	// FlushTimeout bounds one store flush, dead-letter write and commit,
	// including the last ones at shutdown; 0 means 1m.
	FlushTimeout time.Duration `yaml:"flush_timeout"`
	// Decoders decode payload formats other than ndjson (which is built
	// in), e.g. Decoders[FormatOTLP] = otlp.ProtobufFormat(…).Decode: the
	// wiring registers them, so this package needs no OTLP. A message in a
	// format without a decoder is dead-lettered.
	Decoders map[Format]ingest.Decoder `yaml:"-"`

	// OptionName spells a key (brokers, dead_letter_topic, …) as the
	// caller's user sets it, for messages: the CLI passes its flags. Nil
	// (or ""): the key alone, as the YAML file spells it.
	OptionName func(key string) string `yaml:"-"`
}

// withDefaults returns c with the zero optional fields filled in.
// key is a configuration key as the user sets it: "brokers (--brokers)"
// when OptionName names a flag, "brokers" otherwise.
func (c Config) key(k string) string {
	if c.OptionName != nil {
		if n := c.OptionName(k); n != "" {
			return k + " (" + n + ")"
		}
	}
	return k
}

func (c Config) withDefaults() Config {
	if c.Format == "" {
		c.Format = FormatNDJSON
	}
	if c.DeadLetterPartitions == 0 {
		c.DeadLetterPartitions = 1
	}
	if c.DeadLetterReplication == 0 {
		c.DeadLetterReplication = -1
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.BatchBytes == 0 {
		c.BatchBytes = 64 << 20
	}
	if c.BatchWait == 0 {
		c.BatchWait = time.Second
	}
	if c.StartOffset == "" {
		c.StartOffset = "earliest"
	}
	if c.QueueCapacity == 0 {
		c.QueueCapacity = 100
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 1 << 20
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 3 * time.Second
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 30 * time.Second
	}
	if c.RebalanceTimeout == 0 {
		c.RebalanceTimeout = 30 * time.Second
	}
	if c.FlushTimeout == 0 {
		c.FlushTimeout = time.Minute
	}
	return c
}

// Validate reports every problem with c, each naming its key (and, with
// OptionName, the flag that sets it).
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("kafka: "+format, args...)) }
	if len(c.Brokers) == 0 {
		bad("%s: at least one host:port is required", c.key("brokers"))
	}
	for _, b := range c.Brokers {
		if host, port, err := net.SplitHostPort(b); err != nil || host == "" || port == "" {
			bad("%s: %q is not host:port", c.key("brokers"), b)
		}
	}
	if c.Topic == "" {
		bad("%s is required", c.key("topic"))
	} else if err := checkTopic(c.Topic); err != nil {
		bad("%s: %v", c.key("topic"), err)
	}
	if c.Group == "" {
		bad("%s is required", c.key("group"))
	}
	switch c.Format {
	case "", FormatNDJSON:
	case FormatOTLP:
		if c.Decoders[FormatOTLP] == nil {
			bad("%s otlp: this build has no OTLP decoder; send envelope NDJSON", c.key("format"))
		}
	default:
		bad("%s %q: want ndjson or otlp", c.key("format"), c.Format)
	}
	if c.DeadLetterTopic != "" {
		if err := checkTopic(c.DeadLetterTopic); err != nil {
			bad("%s: %v", c.key("dead_letter_topic"), err)
		} else if c.DeadLetterTopic == c.Topic {
			bad("%s must differ from topic: rejected input would be read again", c.key("dead_letter_topic"))
		}
	}
	if c.DeadLetterPartitions < -1 || c.DeadLetterPartitions > 1_000_000 {
		bad("%s %d: want 1 to 1000000, or -1 for the broker's default", c.key("dead_letter_partitions"), c.DeadLetterPartitions)
	}
	if c.DeadLetterReplication < -1 || c.DeadLetterReplication > 32767 {
		bad("%s %d: want 1 to 32767, or -1 for the broker's default", c.key("dead_letter_replication"), c.DeadLetterReplication)
	}
	if c.BatchSize < 0 || c.BatchSize > 1_000_000 {
		bad("%s %d: want 1 to 1000000 messages (0 for the default)", c.key("batch"), c.BatchSize)
	}
	if c.BatchBytes < 0 {
		bad("%s %d: must not be negative", c.key("batch_bytes"), c.BatchBytes)
	}
	switch c.StartOffset {
	case "", "earliest", "latest":
	default:
		bad("%s %q: want earliest or latest", c.key("start_offset"), c.StartOffset)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{c.key("batch_wait"), c.BatchWait}, {c.key("heartbeat_interval"), c.HeartbeatInterval},
		{c.key("session_timeout"), c.SessionTimeout}, {c.key("rebalance_timeout"), c.RebalanceTimeout}, {c.key("flush_timeout"), c.FlushTimeout},
	} {
		if d.v < 0 {
			bad("%s %v: must not be negative", d.key, d.v)
		}
	}
	if c.QueueCapacity < 0 {
		bad("%s %d: must not be negative", c.key("queue_capacity"), c.QueueCapacity)
	}
	if c.MaxBytes < 0 || (c.MaxBytes > 0 && c.MaxBytes < 1<<10) {
		bad("%s %d: want at least 1024", c.key("max_bytes"), c.MaxBytes)
	}
	d := c.withDefaults()
	if d.HeartbeatInterval >= d.SessionTimeout {
		bad("%s %v must be below session_timeout %v", c.key("heartbeat_interval"), d.HeartbeatInterval, d.SessionTimeout)
	}
	return errors.Join(errs...)
}

// checkTopic applies Kafka's topic name rules.
func checkTopic(t string) error {
	if t == "." || t == ".." || len(t) > 249 {
		return fmt.Errorf("%q is not a valid topic name", t)
	}
	if i := strings.IndexFunc(t, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}); i >= 0 {
		return fmt.Errorf("%q is not a valid topic name (letters, digits, '.', '_' and '-' only)", t)
	}
	return nil
}

// LoadConfig reads a Config from the YAML file at path: the keys of the
// flag table in docs/kafka.md, durations as "500ms" or "2s". An unknown key
// is an error naming it and its line. The result is not validated (flags
// may still override it; see Validate).
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("kafka: config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("kafka: config %s: %w", path, err)
	}
	return c, nil
}

// The media types of message payloads (the content-type header).
var (
	ndjsonTypes = []string{"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/json"}
	otlpTypes   = []string{"application/x-protobuf", "application/protobuf"}
)

// formats is the registry a source reads content-type headers with: the
// built-in envelope lines, the configured decoders, and the default
// format for messages without the header.
func (c Config) formats() *ingest.Registry {
	r := ingest.NewRegistry().Register(ingest.Envelope, ndjsonTypes...)
	otlp := ingest.Format{Name: string(FormatOTLP), Source: "kafka", Decode: c.Decoders[FormatOTLP]}
	r.Register(otlp, otlpTypes...)
	if c.Format == FormatOTLP {
		return r.Default(otlp)
	}
	return r.Default(ingest.Envelope)
}
