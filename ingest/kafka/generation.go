package kafka

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/evalhouse/evalhouse/ingest"
)

// part is the position of one assigned partition.
//
// Messages of a partition are fed in offset order, and a batch is made
// durable whole, so the durable messages of a partition are always a
// contiguous prefix of what was fetched: everything below next.
type part struct {
	id     int
	next   int64 // first offset not yet durable: where a re-read starts (kafka.FirstOffset until a message is seen)
	fed    int64 // last offset fed into the open batch; -1 for none
	commit int64 // durable position not yet committed; -1 for none
	// deadDone is, for the dead letters found while feeding (0) and those
	// of rows the store refused at the flush (1), the offset below which
	// the open batch's are written: when the store failed after them and
	// the batch is read again, they are not written twice.
	deadDone [2]int64
	// hwm is the partition's high watermark as of its last fetched
	// message, from its first fetched offset in this generation (the
	// durable position until a batch is made durable); -1 before one.
	hwm, from int64
}

type fetched struct {
	epoch int
	msg   kafka.Message
}

// genRun consumes the partitions of one consumer-group generation. It runs
// on one goroutine: fetchers hand it messages over a small channel, so they
// block while a flush runs, and memory stays bounded by the batch (messages
// and bytes) and the per-partition prefetch queues.
type genRun struct {
	s          *Source
	ctx, gctx  context.Context // shutdown; end of the generation
	store      context.Context // for the store: not canceled by shutdown
	gen        *kafka.Generation
	parts      map[int]*part
	msgs       chan fetched
	epoch      int    // bumped on every re-read; older fetches are dropped
	stop       func() // stops the fetchers of the current epoch
	b          *batch
	fails      int
	timer      *time.Timer
	timerArmed bool
}

// consume runs one generation until it ends (a rebalance) or ctx does
// (shutdown); either way it stops fetching, flushes and commits before
// returning, so the next owner of a partition starts where this one
// stopped. The error is a dead-letter write's that failed (or the test
// crash hook's): it stops the source.
func (s *Source) consume(ctx, gctx context.Context, gen *kafka.Generation) error {
	g := &genRun{s: s, ctx: ctx, gctx: gctx, store: context.WithoutCancel(ctx), gen: gen, parts: map[int]*part{}, stop: func() {}}
	var ids []int
	for _, a := range gen.Assignments[s.cfg.Topic] {
		g.parts[a.ID] = &part{id: a.ID, next: a.Offset, fed: -1, commit: -1, deadDone: [2]int64{-1, -1}, hwm: -1, from: -1}
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	s.log.Info("kafka: partitions assigned", "generation", gen.ID, "partitions", ids)
	if len(ids) == 0 {
		select {
		case <-ctx.Done():
		case <-gctx.Done():
		}
		return nil
	}
	g.resolveStarts()
	g.msgs = make(chan fetched, len(ids))
	b, err := newBatch(g.store, &s.cfg, s.w, s.opts)
	if err != nil {
		return err
	}
	g.b = b
	g.timer = time.NewTimer(time.Hour)
	g.timer.Stop()
	defer g.timer.Stop()
	g.startFetchers()
	defer func() { g.stop() }()
	defer g.s.setLag(0) // the partitions are no longer this member's
	for {
		var timerC <-chan time.Time
		if g.timerArmed {
			timerC = g.timer.C
		}
		select {
		case <-ctx.Done():
			return g.finish("shutdown")
		case <-gctx.Done():
			return g.finish("rebalance")
		case <-timerC:
			g.timerArmed = false
			if err := g.flush(); err != nil {
				return err
			}
		case f := <-g.msgs:
			if err := g.handle(f); err != nil {
				return err
			}
		}
		g.publishLag()
	}
}

// publishLag sets the source's lag: for each partition, how far its high
// watermark is past its durable position.
func (g *genRun) publishLag() {
	var lag int64
	for _, p := range g.parts {
		pos := p.next
		if pos < 0 {
			pos = p.from
		}
		if pos >= 0 && p.hwm > pos {
			lag += p.hwm - pos
		}
	}
	g.s.setLag(lag)
}

// handle feeds one fetched message into the open batch, flushing it when full.
func (g *genRun) handle(f fetched) error {
	p := g.parts[f.msg.Partition]
	if f.epoch != g.epoch || p == nil || f.msg.Offset < p.next || f.msg.Offset <= p.fed {
		return nil // fetched before a re-read, or already fed
	}
	p.hwm = f.msg.HighWaterMark
	if p.from < 0 {
		p.from = f.msg.Offset
	}
	if err := g.b.feed(f.msg); err != nil {
		g.retry(err)
		return nil
	}
	p.fed = f.msg.Offset
	if g.b.full() {
		return g.flush()
	}
	if !g.timerArmed {
		g.timer.Reset(g.s.cfg.BatchWait)
		g.timerArmed = true
	}
	return nil
}

// flush makes the open batch durable (dead-letter records, rows, then its
// ingest_log row) and commits every partition's durable position. A store
// failure discards the batch and reads it again from the durable
// positions; a dead-letter failure is returned: it stops the source with
// the batch neither recorded nor committed.
func (g *genRun) flush() error {
	if g.timerArmed {
		g.timer.Stop()
		g.timerArmed = false
	}
	b := g.b
	if b.msgs > 0 {
		ctx, cancel := context.WithTimeout(g.store, g.s.cfg.FlushTimeout)
		// Dead letters first, so that a dead-letter topic that takes no
		// writes stops the source before anything of the batch is stored;
		// then the rows, the dead letters of rows the store refused, and
		// the ingest_log row (Close).
		if err := g.writeDead(ctx, b, false); err != nil {
			cancel()
			return err
		}
		b.atFlush = true // rejections from here on are rows the store refused
		err := b.p.Flush(ctx)
		if err == nil {
			if err := g.writeDead(ctx, b, true); err != nil {
				cancel()
				return err
			}
		}
		var sum ingest.Summary
		if err == nil {
			sum, err = b.p.Close(ctx)
		}
		cancel()
		if err != nil {
			g.retry(err)
			return nil
		}
		g.s.record(b, sum)
		for _, p := range g.parts {
			if p.fed >= 0 {
				p.next, p.commit, p.fed, p.deadDone = p.fed+1, p.fed+1, -1, [2]int64{-1, -1}
			}
		}
		g.fails = 0
		nb, err := newBatch(g.store, &g.s.cfg, g.s.w, g.s.opts)
		if err != nil {
			return err
		}
		g.b = nb
	}
	return g.commit()
}

// commit commits the durable positions not yet committed, through this
// generation only: if the generation is over, the coordinator refuses it
// (illegal generation), and the partition's next owner reads those
// messages again; the Writer drops their rows as duplicates.
func (g *genRun) commit() error {
	offs := map[int]int64{}
	for id, p := range g.parts {
		if p.commit >= 0 {
			offs[id] = p.commit
		}
	}
	if len(offs) == 0 {
		return nil
	}
	if g.s.beforeCommit != nil {
		if err := g.s.beforeCommit(); err != nil {
			return err
		}
	}
	if err := g.gen.CommitOffsets(map[string]map[int]int64{g.s.cfg.Topic: offs}); err != nil {
		g.s.log.Warn("kafka: commit failed; the rows are stored and the commit is retried with the next batch (or the partition's next owner reads them again)",
			"generation", g.gen.ID, "err", err)
		return nil
	}
	for id := range offs {
		g.parts[id].commit = -1
	}
	g.s.mu.Lock()
	g.s.stats.Commits++
	g.s.mu.Unlock()
	return nil
}

// finish ends the generation: no more fetching, the open batch made
// durable and committed.
func (g *genRun) finish(why string) error {
	g.stop()
	g.stop = func() {}
	g.s.log.Info("kafka: generation ending", "generation", g.gen.ID, "why", why, "open_messages", g.b.msgs)
	return g.flush()
}

// retry discards the open batch after a store failure and,
// after a backoff, reads its partitions again from their durable positions.
// Rows of the discarded batch that did land are dropped as duplicates when
// read again.
func (g *genRun) retry(err error) {
	g.s.log.Error("kafka: batch not stored; reading it again", "err", err, "messages", g.b.msgs)
	g.s.mu.Lock()
	g.s.stats.Retries++
	g.s.mu.Unlock()
	for _, p := range g.parts {
		p.fed = -1
	}
	if g.timerArmed {
		g.timer.Stop()
		g.timerArmed = false
	}
	if nb, err := newBatch(g.store, &g.s.cfg, g.s.w, g.s.opts); err == nil {
		g.b = nb
	}
	g.fails++
	wait := min(100*time.Millisecond<<min(g.fails, 9), 30*time.Second)
	select {
	case <-g.ctx.Done():
		return
	case <-g.gctx.Done():
		return
	case <-time.After(wait):
	}
	g.stop()
	g.epoch++
	g.startFetchers()
}

// resolveStarts turns the "latest" start of partitions without a
// committed offset into an offset, so that a re-read after a failure starts
// where the first read did, not at a later end. ("earliest" needs no
// resolving: reading again from the start is what a re-read should do.
// Only LastOffset is asked for: kafka-go files a ListOffsets answer by the
// response's timestamp, which brokers give as -1 for both kinds.)
func (g *genRun) resolveStarts() {
	var reqs []kafka.OffsetRequest
	for _, p := range g.parts {
		if p.next == kafka.LastOffset {
			reqs = append(reqs, kafka.LastOffsetOf(p.id))
		}
	}
	if len(reqs) == 0 {
		return
	}
	c := &kafka.Client{Addr: kafka.TCP(g.s.cfg.Brokers...), Timeout: 10 * time.Second}
	res, err := c.ListOffsets(g.ctx, &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{g.s.cfg.Topic: reqs}, IsolationLevel: kafka.ReadCommitted})
	if err != nil {
		g.s.log.Warn("kafka: listing end offsets failed; starting at the latest offset as fetched", "err", err)
		return
	}
	for _, po := range res.Topics[g.s.cfg.Topic] {
		if p := g.parts[po.Partition]; p != nil && po.Error == nil && po.LastOffset >= 0 {
			p.next = po.LastOffset
		}
	}
}

// startFetchers starts one reader per assigned partition at its durable
// position, for the current epoch.
func (g *genRun) startFetchers() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	readers := make([]*kafka.Reader, 0, len(g.parts))
	cfg, epoch := &g.s.cfg, g.epoch
	for _, p := range g.parts {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: cfg.Brokers, Topic: cfg.Topic, Partition: p.id,
			MinBytes: 1, MaxBytes: cfg.MaxBytes, MaxWait: time.Second, QueueCapacity: cfg.QueueCapacity,
			IsolationLevel: kafka.ReadCommitted,
			Logger:         kafkaLogger(g.s.log, "reader"), ErrorLogger: kafkaLogger(g.s.log, "reader"),
		})
		r.SetOffset(p.next)
		readers = append(readers, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := r.FetchMessage(ctx)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					g.s.log.Warn("kafka: fetch failed; retrying", "partition", r.Config().Partition, "err", err)
					select {
					case <-ctx.Done():
						return
					case <-time.After(time.Second):
					}
					continue
				}
				select {
				case g.msgs <- fetched{epoch: epoch, msg: m}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	g.stop = func() {
		cancel()
		wg.Wait()
		for _, r := range readers {
			r.Close()
		}
	}
}

// record adds a durable batch to the source's stats.
func (s *Source) record(b *batch, sum ingest.Summary) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.stats
	st.IngestID = sum.IngestID
	st.Accepted += sum.Accepted
	st.Duplicates += sum.Duplicates
	st.Rejected += sum.Rejected
	st.Expired += sum.Expired
	st.ViolatingEvents += sum.ViolatingEvents
	st.Redactions.Add(sum.Redactions)
	for k, v := range sum.Violations {
		st.Violations[k] += v
	}
	for _, e := range b.errs {
		if len(st.Errors) < ingest.MaxErrors {
			st.Errors = append(st.Errors, e)
		}
	}
	st.Messages += b.msgs
	st.Batches++
	if s.dlq != nil {
		st.DeadLettered += len(b.dead)
	}
	for _, e := range b.errs {
		s.log.Debug("kafka: input rejected", "origin", e.Origin, "line", e.Line, "reason", e.Reason)
	}
}
