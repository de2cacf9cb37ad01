package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// createDeadLetterTopic creates the missing dead-letter topic with the
// configured partitions and replication factor, as Kafka Connect creates
// its own. A broker that refuses (authorization, policy, a replication
// factor above its broker count) stops the start with an error naming the
// topic, the broker's answer and the flag to change. brokers is how many
// brokers the cluster's metadata listed.
func (s *Source) createDeadLetterTopic(ctx context.Context, c *kafka.Client, brokers int) error {
	t, parts, repl := s.cfg.DeadLetterTopic, s.cfg.DeadLetterPartitions, s.cfg.DeadLetterReplication
	res, err := c.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: t, NumPartitions: parts, ReplicationFactor: repl}}})
	if err == nil {
		err = res.Errors[t]
	}
	if errors.Is(err, kafka.TopicAlreadyExists) { // another member created it meanwhile
		err = nil
	}
	if err != nil {
		return fmt.Errorf("kafka: %s %q does not exist and creating it (%s) failed: %w; %s",
			s.cfg.key("dead_letter_topic"), t, shape(parts, repl), err, createHint(s.cfg, err, t, parts, repl, brokers))
	}
	s.log.Info("kafka: created the dead-letter topic", "dead_letter_topic", t, "partitions", parts, "replication", repl)
	// The controller has created it; wait (briefly) until metadata shows
	// it, so that the first dead letter does not race its propagation. The
	// writer retries an unknown topic anyway.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{t}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) > 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func shape(parts, repl int) string {
	p, r := fmt.Sprint(parts), fmt.Sprint(repl)
	if parts < 0 {
		p = "the broker's default"
	}
	if repl < 0 {
		r = "the broker's default"
	}
	return fmt.Sprintf("partitions %s, replication factor %s", p, r)
}

// createHint says what to change after a refused CreateTopics.
func createHint(c Config, err error, topic string, parts, repl, brokers int) string {
	yourself := fmt.Sprintf("or create %q yourself", topic)
	p, r := c.key("dead_letter_partitions"), c.key("dead_letter_replication")
	switch {
	case errors.Is(err, kafka.InvalidReplicationFactor):
		if repl < 0 {
			return "this broker does not take -1 (its default, Kafka 2.4 and later): set " + r + " to a count, " + yourself
		}
		return fmt.Sprintf("set %s to at most the number of brokers (%d here), %s", r, brokers, yourself)
	case errors.Is(err, kafka.InvalidPartitionNumber):
		return "set " + p + " to a count the broker accepts, " + yourself
	case errors.Is(err, kafka.TopicAuthorizationFailed), errors.Is(err, kafka.ClusterAuthorizationFailed):
		return fmt.Sprintf("grant this client CREATE on topic %q, %s, or name an existing topic with %s", topic, yourself, c.key("dead_letter_topic"))
	case errors.Is(err, kafka.PolicyViolation), errors.Is(err, kafka.InvalidRequest), errors.Is(err, kafka.InvalidConfiguration):
		return "set " + p + " and " + r + " to what the cluster's topic policy allows, " + yourself
	}
	return "check " + p + " and " + r + ", " + yourself
}

// deadRecord is one dead-letter record and the message it came from.
type deadRecord struct {
	msg       kafka.Message
	partition int
	offset    int64
	atFlush   bool // a row the store refused when the batch was flushed
}

// writeDead writes the open batch's dead-letter records found while
// feeding (before its rows are stored) or at the flush (atFlush: rows the
// store refused), acknowledged by every in-sync replica, and always before
// its ingest_log row and its commit. Records that an earlier attempt at
// this batch already wrote (the store failed after them) are not written
// again. A failure is returned as the error that stops the source: the
// batch is neither recorded nor committed, so the rejected input is read
// again by the next run instead of being dropped (see Run).
func (g *genRun) writeDead(ctx context.Context, b *batch, atFlush bool) error {
	k := 0
	if atFlush {
		k = 1
	}
	if g.s.dlq == nil || len(b.dead) == 0 {
		return nil
	}
	var recs []kafka.Message
	var from []deadRecord
	for _, d := range b.dead {
		if p := g.parts[d.partition]; d.atFlush != atFlush || p != nil && d.offset < p.deadDone[k] {
			continue
		}
		recs, from = append(recs, d.msg), append(from, d)
	}
	err := error(nil)
	if len(recs) > 0 {
		err = g.s.dlq.WriteMessages(ctx, recs...)
	}
	if err == nil {
		for _, p := range g.parts {
			if p.fed >= 0 {
				p.deadDone[k] = p.fed + 1
			}
		}
		return nil
	}
	first, failed := from[0], len(recs)
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == len(recs) {
		failed = 0
		for i := len(werrs) - 1; i >= 0; i-- {
			if werrs[i] != nil {
				first, failed, err = from[i], failed+1, werrs[i]
			}
		}
	}
	more := ""
	if failed > 1 {
		more = fmt.Sprintf(" (and %d more of the batch's %d)", failed-1, len(recs))
	}
	return fmt.Errorf("kafka: %s %q: writing the dead letter of %s partition %d offset %d failed%s: %w; "+
		"the source stopped: that batch is not recorded and its offsets are not committed, so the next run reads it again",
		g.s.cfg.key("dead_letter_topic"), g.s.cfg.DeadLetterTopic, g.s.cfg.Topic, first.partition, first.offset, more, err)
}
