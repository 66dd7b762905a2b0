package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

func TestSignInRecords(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client()
	s := store.NewSignIns(client)
	ctx := t.Context()

	t.Run("a link opens once, across replicas clicking at once", func(t *testing.T) {
		if err := s.PutLink(ctx, "L1", []byte(`{"c":"conv"}`), time.Hour); err != nil {
			t.Fatal(err)
		}
		if rec, opened, err := s.PeekLink(ctx, "L1"); err != nil || opened || string(rec) != `{"c":"conv"}` {
			t.Fatalf("PeekLink = %s, %v, %v: a preview must not open it", rec, opened, err)
		}
		var mu sync.Mutex
		first := 0
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				rec, opened, err := store.NewSignIns(srv.Client()).OpenLink(ctx, "L1")
				if err != nil || string(rec) != `{"c":"conv"}` {
					t.Errorf("OpenLink = %s, %v", rec, err)
				}
				if !opened {
					mu.Lock()
					first++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if first != 1 {
			t.Errorf("%d openings were the first, want 1", first)
		}
		if ttl := client.PTTL(ctx, "passbot:signin:L1").Val(); ttl <= 0 || ttl > time.Hour {
			t.Errorf("link TTL %v, want it kept for an hour at most", ttl)
		}
	})
	t.Run("an unknown link leaves nothing behind", func(t *testing.T) {
		rec, opened, err := s.OpenLink(ctx, "nope")
		if err != nil || rec != nil || opened {
			t.Fatalf("OpenLink = %s, %v, %v", rec, opened, err)
		}
		if n := client.Exists(ctx, "passbot:signin:nope").Val(); n != 0 {
			t.Error("opening an unknown link created a key")
		}
	})
	t.Run("a state is taken once", func(t *testing.T) {
		if err := s.PutState(ctx, "S1", []byte("rec"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if rec, err := s.TakeState(ctx, "S1"); err != nil || string(rec) != "rec" {
			t.Fatalf("TakeState = %s, %v", rec, err)
		}
		if rec, err := s.TakeState(ctx, "S1"); err != nil || rec != nil {
			t.Fatalf("second TakeState = %s, %v", rec, err)
		}
	})
}
