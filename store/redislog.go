package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// RedisLog carries go-redis's own log lines (dial failures, pool and
// Sentinel notices) into slog as warnings. While Redis is down go-redis
// repeats the same line several times a second; RedisLog writes a line
// once per Every for each call site (go-redis's format string), and the
// next one after that counts the lines it held back ("repeated"). Install
// it with redis.SetLogger: go-redis has only a process-wide logger.
type RedisLog struct {
	Log   *slog.Logger
	Every time.Duration
	Now   func() time.Time

	mu   sync.Mutex
	seen map[string]*repeats
}

type repeats struct {
	last time.Time
	held int
}

// NewRedisLog returns a RedisLog on log that repeats a line at most once a
// minute.
func NewRedisLog(log *slog.Logger) *RedisLog {
	return &RedisLog{Log: log, Every: time.Minute, Now: time.Now}
}

// Printf implements go-redis's internal.Logging.
func (l *RedisLog) Printf(ctx context.Context, format string, v ...any) {
	now := l.Now()
	l.mu.Lock()
	if l.seen == nil {
		l.seen = map[string]*repeats{}
	}
	r := l.seen[format]
	if r != nil && now.Sub(r.last) < l.Every {
		r.held++
		l.mu.Unlock()
		return
	}
	held := 0
	if r != nil {
		held = r.held
	}
	l.seen[format] = &repeats{last: now}
	l.mu.Unlock()
	msg := strings.TrimSpace(strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
	attrs := []any{"detail", msg}
	if held > 0 {
		attrs = append(attrs, "repeated", held)
	}
	l.Log.WarnContext(ctx, "redis client", attrs...)
}
