package chhttp

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/evalhouse/evalhouse/internal/chdb"
)

// pool hands a request without session_id an engine connection whose
// settings and database do not outlive the request: a kept connection only
// ever ran statements that change no session state and no settings, and
// every request names its database; any other connection is closed after
// its request. At most max connections are out at once.
type pool struct {
	e       *chdb.Engine
	maxExec time.Duration
	sem     chan struct{}

	mu   sync.Mutex
	idle map[bool][]*chdb.Conn // by read-only
}

const maxIdle = 4

func newPool(e *chdb.Engine, max int, maxExec time.Duration) *pool {
	return &pool{e: e, maxExec: maxExec, sem: make(chan struct{}, max), idle: map[bool][]*chdb.Conn{}}
}

// lease is one request's connection.
type lease struct {
	conn *chdb.Conn
	// keep is false when the connection must not serve another request.
	keep    bool
	release func(keep bool)
}

// get returns a connection, read-only or not, with settings applied for
// this request only; it waits for a free slot until ctx ends.
func (p *pool) get(ctx context.Context, readOnly bool, settings [][2]string) (*lease, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var c *chdb.Conn
	if len(settings) == 0 {
		p.mu.Lock()
		if l := p.idle[readOnly]; len(l) > 0 {
			c, p.idle[readOnly] = l[len(l)-1], l[:len(l)-1]
		}
		p.mu.Unlock()
	}
	if c == nil {
		var err error
		c, err = p.e.Connect(chdb.ConnOptions{ReadOnly: readOnly, MaxExecutionTime: p.maxExec, Settings: settings})
		if err != nil {
			<-p.sem
			return nil, err
		}
	}
	l := &lease{conn: c, keep: len(settings) == 0}
	l.release = func(keep bool) {
		defer func() { <-p.sem }()
		if keep {
			p.mu.Lock()
			if len(p.idle[readOnly]) < maxIdle {
				p.idle[readOnly] = append(p.idle[readOnly], c)
				p.mu.Unlock()
				return
			}
			p.mu.Unlock()
		}
		c.Close()
	}
	return l, nil
}

// close closes the idle connections.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ro, l := range p.idle {
		for _, c := range l {
			c.Close()
		}
		delete(p.idle, ro)
	}
}

// sessions are the connections of clients that send session_id: one each,
// keyed by the principal and the id (so no key reaches another's session),
// bounded in number, closed after their idle timeout.
type sessions struct {
	e       *chdb.Engine
	maxExec time.Duration
	max     int

	mu sync.Mutex
	m  map[string]*session
}

type session struct {
	conn     *chdb.Conn
	readOnly bool
	timeout  time.Duration
	lastUsed time.Time
	inUse    int
}

const (
	defaultSessionTimeout = 60 * time.Second // ClickHouse's default
	maxSessionTimeout     = time.Hour
)

// errSession is a session refusal in ClickHouse's words.
func errSession(code int, name, msg string) error {
	return &chdb.Error{Code: code, Name: name, Message: "Code: " + strconv.Itoa(code) + ". DB::Exception: " + msg + " (" + name + ")"}
}

// get returns the session's connection, opening the session unless check
// is set. A session keeps the read-only-ness it was opened with: a request
// of the other kind is refused rather than run with the wrong rights.
func (s *sessions) get(key string, readOnly, check bool, timeout string, scope [][2]string) (*lease, error) {
	d := defaultSessionTimeout
	if timeout != "" {
		n, err := strconv.Atoi(timeout)
		if err != nil || n <= 0 || time.Duration(n)*time.Second > maxSessionTimeout {
			return nil, errSession(115, "INVALID_SESSION_TIMEOUT", "session_timeout "+strconv.Quote(timeout)+": want whole seconds from 1 to 3600")
		}
		d = time.Duration(n) * time.Second
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	ss := s.m[key]
	if ss == nil {
		if check {
			return nil, errSession(372, "SESSION_NOT_FOUND", "session not found (session_check=1)")
		}
		if len(s.m) >= s.max {
			return nil, errSession(202, "TOO_MANY_SIMULTANEOUS_QUERIES", "too many open sessions ("+strconv.Itoa(s.max)+"); close one or wait for its session_timeout")
		}
		c, err := s.e.Connect(chdb.ConnOptions{ReadOnly: readOnly, MaxExecutionTime: s.maxExec, Settings: scope})
		if err != nil {
			return nil, err
		}
		ss = &session{conn: c, readOnly: readOnly}
		s.m[key] = ss
	}
	if ss.readOnly != readOnly {
		kind := "read-write"
		if ss.readOnly {
			kind = "read-only"
		}
		return nil, errSession(164, "READONLY", "this session was opened "+kind+"; use another session_id for requests of the other kind")
	}
	if timeout != "" || ss.timeout == 0 {
		ss.timeout = d
	}
	ss.inUse++
	ss.lastUsed = now
	return &lease{conn: ss.conn, keep: true, release: func(bool) {
		s.mu.Lock()
		ss.inUse--
		ss.lastUsed = time.Now()
		s.mu.Unlock()
	}}, nil
}

// sweepLocked closes sessions idle past their timeout.
func (s *sessions) sweepLocked(now time.Time) {
	for k, ss := range s.m {
		if ss.inUse == 0 && now.Sub(ss.lastUsed) > ss.timeout {
			go ss.conn.Close()
			delete(s.m, k)
		}
	}
}

func (s *sessions) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, ss := range s.m {
		ss.conn.Close()
		delete(s.m, k)
	}
}
