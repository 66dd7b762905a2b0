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

// A claim is won once, by whoever comes first, until the reference is
// deleted (an uninstallation): then the next claim wins again.
func TestRefsClaimAndDelete(t *testing.T) {
	t.Parallel()
	refs := store.NewRefs(redistest.Start(t).Client(), bot.Platform("teams"))
	ctx := t.Context()
	var won []bool
	for range 2 {
		ok, err := refs.Claim(ctx, "welcome:a:1", "1")
		if err != nil {
			t.Fatal(err)
		}
		won = append(won, ok)
	}
	if err := refs.Delete(ctx, "welcome:a:1"); err != nil {
		t.Fatal(err)
	}
	if err := refs.Delete(ctx, "welcome:a:1"); err != nil {
		t.Fatalf("deleting a missing reference: %v", err)
	}
	again, err := refs.Claim(ctx, "welcome:a:1", "2")
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false}; won[0] != want[0] || won[1] != want[1] || !again {
		t.Fatalf("claims %v, after the delete %v; want [true false], true", won, again)
	}
}
