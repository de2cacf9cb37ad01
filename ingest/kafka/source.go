package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/pricing"
)

// Source consumes one topic as a member of a consumer group and stores its
// events through an ingest.Writer. Build it with New; run it with Run, or
// with Start and Shutdown.
//
// Offsets are committed per partition only up to the last message whose
// rows are durable (or that was dead-lettered), and only by the consumer
// group generation the message was fetched in: a partition that moved to
// another member is never committed from here (see docs/kafka.md).
type Source struct {
	cfg  Config
	w    *ingest.Writer
	opts ingest.Options
	log  *slog.Logger
	dlq  *kafka.Writer // while running, with a dead-letter topic

	mu    sync.Mutex
	stats Stats

	life   sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	runErr error

	// beforeCommit, when set (tests), runs before every commit; an error
	// ends Run at once with that error, as a crash would: no flush, no
	// commit, nothing more.
	beforeCommit func() error
}

// Stats is what a Source has done since it was built. The embedded Summary
// adds up its batches (one ingest_log row each); IngestID is the latest
// batch's.
type Stats struct {
	ingest.Summary
	// Messages counts messages made durable or dead-lettered.
	Messages int `json:"messages"`
	// DeadLettered counts records written to the dead-letter topic.
	DeadLettered int `json:"dead_lettered"`
	// Batches counts batches made durable.
	Batches int `json:"batches"`
	// Commits counts successful offset commits.
	Commits int `json:"commits"`
	// Generations counts consumer-group generations joined (rebalances + 1).
	Generations int `json:"generations"`
	// Retries counts batches read again after a store failure.
	Retries int `json:"retries"`
	// Lag is how many messages of the partitions assigned now are past
	// their durable position (high watermark, as of the last fetch, less
	// the next offset to make durable), summed; 0 while none is assigned.
	Lag int64 `json:"lag"`
}

// New builds a Source that stores through w with the pipeline options opts
// (Strict, Redactor, Retention, …; Source is set to "kafka"). It checks
// the configuration but does not connect. A nil logger discards.
func New(cfg Config, w *ingest.Writer, opts ingest.Options, log *slog.Logger) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("kafka: nil ingest.Writer")
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.Source, opts.Urgent, opts.DeadLetter = "kafka", true, nil
	if opts.Redactor == nil {
		opts.Redactor = redact.New(redact.DefaultConfig())
	}
	if opts.Prices == nil {
		opts.Prices = pricing.Default()
	}
	if opts.Log == nil {
		opts.Log = log
	}
	if _, err := ingest.NewPipeline(w, opts); err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, w: w, opts: opts, log: log.With("topic", cfg.Topic, "group", cfg.Group)}
	s.stats.Summary = ingest.Summary{Redactions: redact.Counts{}, Violations: map[string]int{}}
	return s, nil
}

func (s *Source) setLag(n int64) {
	s.mu.Lock()
	s.stats.Lag = n
	s.mu.Unlock()
}

// Stats returns what the source has done so far; safe to call at any time.
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Redactions = redact.Counts{}
	st.Redactions.Add(s.stats.Redactions)
	st.Violations = make(map[string]int, len(s.stats.Violations))
	for k, v := range s.stats.Violations {
		st.Violations[k] = v
	}
	st.Errors = append([]ingest.LineError(nil), s.stats.Errors...)
	return st
}

// Run checks that the brokers answer and the topic exists (creating the
// dead-letter topic if it is missing), then consumes
// until ctx ends: it stops fetching, makes the open batch durable, commits
// it, leaves the group and returns nil. Store outages are retried, never
// returned; an error means the source could not start, or a dead-letter
// record could not be written (then the batch holding its message is not
// committed: see writeDead). Run a Source once.
func (s *Source) Run(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return s.run(ctx)
}

// Start checks the brokers and topics (bounded by ctx) and then consumes
// in the background until Shutdown, which returns the error that stopped
// it early, if one did (a dead-letter write that failed).
func (s *Source) Start(ctx context.Context) error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.done != nil {
		return errors.New("kafka: source already started")
	}
	if err := s.check(ctx); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.run(rctx); err != nil {
			s.log.Error("kafka source stopped", "err", err)
			s.runErr = err
		}
	}()
	return nil
}

// Shutdown stops a started source gracefully (see Run) and waits for it
// until ctx ends. It is safe without Start and safe to call twice.
func (s *Source) Shutdown(ctx context.Context) error {
	s.life.Lock()
	cancel, done := s.cancel, s.done
	s.life.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return s.runErr
	case <-ctx.Done():
		return fmt.Errorf("kafka: shutdown: %w", ctx.Err())
	}
}

// check fails fast on unreachable brokers and a missing topic, and creates
// the dead-letter topic when it is missing.
func (s *Source) check(ctx context.Context) error {
	topics := []string{s.cfg.Topic}
	if s.cfg.DeadLetterTopic != "" {
		topics = append(topics, s.cfg.DeadLetterTopic)
	}
	c := &kafka.Client{Addr: kafka.TCP(s.cfg.Brokers...), Timeout: 10 * time.Second}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("kafka: %s %s: %w", s.cfg.key("brokers"), strings.Join(s.cfg.Brokers, ","), err)
	}
	missing := map[string]error{}
	for _, t := range topics {
		missing[t] = kafka.UnknownTopicOrPartition
	}
	for _, t := range md.Topics {
		if _, asked := missing[t.Name]; asked {
			missing[t.Name] = t.Error
		}
	}
	var errs []error
	for _, t := range topics {
		err := missing[t]
		switch {
		case err == nil:
		case t == s.cfg.DeadLetterTopic && errors.Is(err, kafka.UnknownTopicOrPartition):
			if err := s.createDeadLetterTopic(ctx, c, len(md.Brokers)); err != nil {
				errs = append(errs, err)
			}
		case t == s.cfg.DeadLetterTopic:
			errs = append(errs, fmt.Errorf("kafka: %s %q: %w", s.cfg.key("dead_letter_topic"), t, err))
		default:
			errs = append(errs, fmt.Errorf("kafka: %s %q: %w", s.cfg.key("topic"), t, err))
		}
	}
	return errors.Join(errs...)
}

// run takes part in the group, one generation at a time, until ctx ends.
func (s *Source) run(ctx context.Context) error {
	start := kafka.FirstOffset
	if s.cfg.StartOffset == "latest" {
		start = kafka.LastOffset
	}
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                    s.cfg.Group,
		Brokers:               s.cfg.Brokers,
		Topics:                []string{s.cfg.Topic},
		HeartbeatInterval:     s.cfg.HeartbeatInterval,
		SessionTimeout:        s.cfg.SessionTimeout,
		RebalanceTimeout:      s.cfg.RebalanceTimeout,
		JoinGroupBackoff:      time.Second,
		WatchPartitionChanges: true,
		StartOffset:           start,
		Logger:                kafkaLogger(s.log, "group"),
		ErrorLogger:           kafkaLogger(s.log, "group"),
	})
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	if s.cfg.DeadLetterTopic != "" {
		s.dlq = &kafka.Writer{
			Addr:         kafka.TCP(s.cfg.Brokers...),
			Topic:        s.cfg.DeadLetterTopic,
			Balancer:     &kafka.Hash{},
			RequiredAcks: kafka.RequireAll,
			BatchTimeout: 5 * time.Millisecond,
			WriteTimeout: s.cfg.FlushTimeout,
			ErrorLogger:  kafkaLogger(s.log, "dead-letter writer"),
		}
	}
	// Closing the group as soon as ctx ends (not after the generation's
	// last flush) makes kafka-go leave the group once the consume loop
	// returns, instead of joining one more generation first.
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			cg.Close()
		case <-stopped:
		}
	}()
	defer func() {
		close(stopped)
		cg.Close() // leaves the group
		if s.dlq != nil {
			s.dlq.Close()
		}
	}()
	for ctx.Err() == nil {
		gen, err := cg.Next(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			// kafka-go retries joining by itself; say why it failed.
			s.log.Warn("kafka: joining the group failed; retrying", "err", err)
			continue
		}
		s.mu.Lock()
		s.stats.Generations++
		s.mu.Unlock()
		done := make(chan error, 1)
		// The consume loop runs inside the generation: the group waits for
		// it (its last flush and commit) before rejoining, so no other
		// member reads these partitions until it has returned.
		gen.Start(func(gctx context.Context) { done <- s.consume(ctx, gctx, gen) })
		if err := <-done; err != nil {
			return err
		}
	}
	return nil
}

// kafkaLogger routes kafka-go's chatter to debug level.
func kafkaLogger(log *slog.Logger, what string) kafka.Logger {
	return kafka.LoggerFunc(func(msg string, args ...any) {
		if log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug("kafka-go " + what + ": " + strings.TrimSpace(fmt.Sprintf(msg, args...)))
		}
	})
}
