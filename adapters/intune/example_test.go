package intune_test

import (
	"log"
	"log/slog"

	"github.com/kelseyhightower/envconfig"
	"github.com/redis/go-redis/v9"

	"github.com/passbot/passbot/adapters/intune"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/store"
)

// How main wires the Intune backend: configuration from PASSBOT_GRAPH_*, a
// credential, and the write budget shared through Redis.
func Example() {
	var cfg struct {
		intune.Config // PASSBOT_GRAPH_URL, PASSBOT_GRAPH_TENANT_ID, …
	}
	if err := envconfig.Process("PASSBOT", &cfg); err != nil {
		log.Fatal(err)
	}
	cred, err := intune.NewCredential(cfg.Config, nil)
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"localhost:6379"}})
	devices, err := intune.New(cfg.Config, cred,
		intune.WithLimiter(store.NewWriteLimiter(rdb, intune.DefaultWriteBurst, intune.DefaultWritePer)),
		intune.WithLogger(slog.Default()))
	if err != nil {
		log.Fatal(err)
	}
	_ = bot.Config{Devices: devices}
}
