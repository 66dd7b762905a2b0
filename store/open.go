package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Open connects to the Redis at url (any form ParseURL takes: a single
// server, Sentinel or Cluster), or, when url is empty, starts an in-process
// miniredis: the embedded default, which keeps nothing across restarts.
// close releases the client and the embedded server.
func Open(ctx context.Context, url string, log *slog.Logger) (s *Redis, close func(), err error) {
	var embedded *miniredis.Miniredis
	if url == "" {
		embedded = miniredis.NewMiniRedis()
		if err := embedded.Start(); err != nil {
			return nil, nil, fmt.Errorf("store: start embedded redis: %w", err)
		}
		url = "redis://" + embedded.Addr()
		log.Warn("PASSBOT_REDIS_URL is empty: using an in-process Redis; state is lost on exit", "addr", embedded.Addr())
	}
	opts, err := ParseURL(url)
	if err != nil {
		if embedded != nil {
			embedded.Close()
		}
		return nil, nil, fmt.Errorf("store: PASSBOT_REDIS_URL: %w", err)
	}
	// Without this go-redis waits out its own read timeout (and retries)
	// on a stalled connection whatever the context says: /readyz's two
	// seconds became five.
	opts.ContextTimeoutEnabled = true
	client := redis.NewUniversalClient(opts)
	close = func() {
		_ = client.Close() // at exit: a failed close leaves nothing to clean up
		if embedded != nil {
			embedded.Close()
		}
	}
	if err := client.Ping(ctx).Err(); err != nil {
		close()
		return nil, nil, fmt.Errorf("store: connect to redis: %w", err)
	}
	return New(client), close, nil
}
