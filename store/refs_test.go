package store_test

import (
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

func TestRefs(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	refs := store.NewRefs(client, bot.Platform("teams"))
	ctx := t.Context()
	if v, err := refs.Get(ctx, "oid-1"); err != nil || v != "" {
		t.Fatalf("unknown reference: %q, %v", v, err)
	}
	if err := refs.Set(ctx, "oid-1", `{"c":"a:1"}`); err != nil {
		t.Fatal(err)
	}
	if err := refs.Set(ctx, "oid-1", `{"c":"a:2"}`); err != nil {
		t.Fatal(err)
	}
	if v, err := refs.Get(ctx, "oid-1"); err != nil || v != `{"c":"a:2"}` {
		t.Fatalf("Get = %q, %v; want the latest", v, err)
	}
	if ttl, _ := client.TTL(ctx, "passbot:ref:teams:oid-1").Result(); ttl < 300*24*time.Hour {
		t.Errorf("a reference lives %v; it must outlast a year without messages", ttl)
	}
}
