package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evalhouse/evalhouse/ingest"
	kafkasrc "github.com/evalhouse/evalhouse/ingest/kafka"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/ingest/sources"
	"github.com/evalhouse/evalhouse/internal/metrics"
)

// kafkaFlags are the Kafka source's flags; serve takes the same ones with
// a "kafka-" prefix.
type kafkaFlags struct {
	fs          *pflag.FlagSet
	prefix      string
	configFile  string
	brokers     []string
	topic       string
	group       string
	format      string
	deadLetter  string
	dlqParts    int
	dlqRepl     int
	startOffset string
	batch       int
	batchWait   time.Duration
}

func (f *kafkaFlags) register(fs *pflag.FlagSet, prefix string) {
	f.fs, f.prefix = fs, prefix
	fs.StringVar(&f.configFile, prefix+"config", "", "read the Kafka source's configuration from this YAML file (keys in docs/kafka.md); flags given as well override it")
	fs.StringSliceVar(&f.brokers, prefix+"brokers", nil, "Kafka bootstrap brokers, host:port[,host:port…]")
	fs.StringVar(&f.topic, prefix+"topic", "", "topic to consume")
	fs.StringVar(&f.group, prefix+"group", "", "consumer group (members share the topic's partitions and committed offsets)")
	fs.StringVar(&f.format, prefix+"format", "ndjson", "payload format of messages without a content-type header: ndjson (envelope lines) or otlp (protobuf ExportTraceServiceRequest)")
	fs.StringVar(&f.deadLetter, prefix+"dead-letter-topic", "", "topic for rejected input (redacted; reason and origin in headers), created at start if missing; unset: rejected input is counted and logged only")
	fs.IntVar(&f.dlqParts, prefix+"dead-letter-partitions", 1, "partitions of the dead-letter topic when it is created; -1: the broker's num.partitions")
	fs.IntVar(&f.dlqRepl, prefix+"dead-letter-replication", -1, "replication factor of the dead-letter topic when it is created; -1: the broker's default.replication.factor (Kafka 2.4+)")
	fs.StringVar(&f.startOffset, prefix+"start-offset", "earliest", "where a group without committed offsets starts: earliest or latest")
	fs.IntVar(&f.batch, prefix+"batch", 1000, "messages per batch: stored, then committed, together")
	fs.DurationVar(&f.batchWait, prefix+"batch-wait", time.Second, "longest a message waits for its batch to fill")
}

// config is the source's configuration: the --config file, if given,
// with the flags given on the command line over it (without a file, every
// flag's value, defaults included).
func (f *kafkaFlags) config() (kafkasrc.Config, error) {
	var c kafkasrc.Config
	if f.configFile != "" {
		var err error
		if c, err = kafkasrc.LoadConfig(f.configFile); err != nil {
			return c, fmt.Errorf("--%sconfig: %w", f.prefix, err)
		}
	}
	set := func(name string) bool {
		if f.configFile == "" {
			return true
		}
		fl := f.fs.Lookup(f.prefix + name)
		return fl != nil && fl.Changed
	}
	for name, apply := range map[string]func(){
		"brokers":                 func() { c.Brokers = f.brokers },
		"topic":                   func() { c.Topic = f.topic },
		"group":                   func() { c.Group = f.group },
		"format":                  func() { c.Format = kafkasrc.Format(f.format) },
		"dead-letter-topic":       func() { c.DeadLetterTopic = f.deadLetter },
		"dead-letter-partitions":  func() { c.DeadLetterPartitions = f.dlqParts },
		"dead-letter-replication": func() { c.DeadLetterReplication = f.dlqRepl },
		"start-offset":            func() { c.StartOffset = f.startOffset },
		"batch":                   func() { c.BatchSize = f.batch },
		"batch-wait":              func() { c.BatchWait = f.batchWait },
	} {
		if set(name) {
			apply()
		}
	}
	c.Decoders = sources.KafkaDecoders()
	c.OptionName = f.flagName
	return c, nil
}

// flagName is the flag that sets a configuration key (brokers →
// --brokers, or --kafka-brokers on serve); "" for keys only the --config
// file sets.
func (f *kafkaFlags) flagName(key string) string {
	name := f.prefix + strings.ReplaceAll(key, "_", "-")
	if f.fs.Lookup(name) == nil {
		return ""
	}
	return "--" + name
}

// enabled says whether the flags (or a config file) name brokers.
func (f *kafkaFlags) enabled() bool { return len(f.brokers) > 0 || f.configFile != "" }

func (a *app) ingestKafkaCmd() *cobra.Command {
	var (
		f          kafkaFlags
		strict     bool
		retention  string
		keepEmails bool
		jsonOut    bool
	)
	cmd := &cobra.Command{
		Use:   "kafka --brokers HOST:PORT --topic TOPIC --group GROUP",
		Short: "Consume events from a Kafka topic until interrupted",
		Long: `Consume agent events from a Kafka topic as a member of a consumer group and
store them: redacted, checked against the trace contract, deduplicated.

A message holds envelope NDJSON (one event per line, one or many lines) or an
OTLP ExportTraceServiceRequest in protobuf, chosen by its content-type header
(application/x-ndjson, application/x-protobuf) or else by --format.

Delivery is at least once with exact rows: offsets are committed only after
the rows of every message below them are stored, and events read twice are
dropped as duplicates. Undecodable messages, and contract violations under
--strict, go redacted to --dead-letter-topic with the reason and original
topic/partition/offset in headers; they then count as handled. A missing
dead-letter topic is created at start (--dead-letter-partitions,
--dead-letter-replication); if the broker refuses, the command fails at once.
A dead letter that cannot be written stops the command with an error (exit
1): its batch is not committed, so nothing rejected is ever dropped.

Runs until SIGINT or SIGTERM: stops fetching, stores and commits the open
batch, leaves the group and prints a summary. See docs/kafka.md.`,
		Example: `  evalhouse ingest kafka --brokers localhost:9092 --topic agent-events --group evalhouse
  evalhouse ingest kafka --brokers k1:9092,k2:9092 --topic agent-events --group evalhouse \
      --dead-letter-topic agent-events.dlq --strict --batch 5000 --batch-wait 2s
  evalhouse ingest kafka --config kafka.yaml --batch 5000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config()
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := a.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			rcfg := redact.DefaultConfig()
			rcfg.Emails = !keepEmails
			src, err := kafkasrc.New(cfg, ingest.NewWriter(s.Conn, 0, 0), ingest.Options{
				Strict: strict, Redactor: redact.New(rcfg), Retention: retention, Log: a.log}, a.log)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "consuming %s as group %s from %s; interrupt to stop\n", cfg.Topic, cfg.Group, strings.Join(cfg.Brokers, ","))
			runErr := src.Run(ctx)
			printKafkaStats(cmd.OutOrStdout(), src.Stats(), jsonOut)
			return runErr
		},
	}
	f.register(cmd.Flags(), "")
	cmd.Flags().BoolVar(&strict, "strict", false, "reject (dead-letter) events that break the trace contract instead of storing them with the violation recorded")
	cmd.Flags().StringVar(&retention, "retention", "standard", "storage retention class: short (7d), standard (90d), long (400d), audit (7y); policy and approval events are always audit")
	cmd.Flags().BoolVar(&keepEmails, "keep-emails", false, "do not redact e-mail addresses")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the summary as JSON")
	return cmd
}

func printKafkaStats(out io.Writer, st kafkasrc.Stats, asJSON bool) {
	if asJSON {
		printJSON(out, st)
		return
	}
	printSummary(out, st.Summary, false)
	fmt.Fprintf(out, "kafka: %d messages in %d batches, %d dead-lettered, %d commits, %d group generations, %d retried batches\n",
		st.Messages, st.Batches, st.DeadLettered, st.Commits, st.Generations, st.Retries)
}

// serveKafka runs a Kafka source inside serve when --kafka-brokers is
// set; the returned stop function shuts it down gracefully.
func (a *app) serveKafka(ctx context.Context, out io.Writer, f *kafkaFlags, w *ingest.Writer, opts ingest.Options, m *metrics.Metrics) (func(context.Context), error) {
	if !f.enabled() {
		if f.topic != "" || f.group != "" {
			return nil, fmt.Errorf("--kafka-topic and --kafka-group need --kafka-brokers (or --kafka-config)")
		}
		return func(context.Context) {}, nil
	}
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	src, err := kafkasrc.New(cfg, w, opts, a.log)
	if err != nil {
		return nil, err
	}
	if err := src.Start(ctx); err != nil {
		return nil, err
	}
	m.WatchKafka(src.Stats)
	fmt.Fprintf(out, "consuming Kafka topic %s as group %s\n", cfg.Topic, cfg.Group)
	return func(sctx context.Context) {
		if err := src.Shutdown(sctx); err != nil {
			a.log.Error("kafka source", "err", err)
		}
		st := src.Stats()
		fmt.Fprintf(out, "kafka: %d messages, %d events stored, %d duplicates, %d rejected, %d dead-lettered\n",
			st.Messages, st.Accepted, st.Duplicates, st.Rejected, st.DeadLettered)
	}, nil
}
