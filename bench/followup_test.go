package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/redis/go-redis/v9"
)

// sizes are the queue shapes measured: the same 100 due (the engine's default
// sweep batch) among 100 and 100,000 pending, and 1,000 due among 100,000
// to show that the cost follows the number due.
var sizes = []struct{ pending, due int }{{100, 100}, {100_000, 100}, {100_000, 1000}}

// queue fills the store with pending follow-ups due in an hour and due ones
// due a second ago, and returns the due ones.
func queue(b *testing.B, env *enginetest.Env, pending, dueNow int) []bot.FollowUp {
	b.Helper()
	ctx := context.Background()
	now := env.Clock.Now()
	mk := func(i int, at time.Time) bot.FollowUp {
		u := bot.User{Platform: bot.Slack, ID: fmt.Sprintf("U%06d", i), UPN: "adele.vance@contoso.com", Locale: "en-US"}
		return bot.FollowUp{
			ID: fmt.Sprintf("F%06d", i), Kind: reset.FollowSignIn, Due: at, Owner: u, Lang: "en", ConvID: fmt.Sprintf("C%06d", i),
			Device: bot.DeviceRef{ID: "d-galaxy-s7", Name: "Adele's Galaxy S7", Kind: bot.AndroidAdmin, OSVersion: "6.0.1"},
		}
	}
	const batch = 1000
	var fs []bot.FollowUp
	for i := range pending {
		fs = append(fs, mk(i, now.Add(time.Hour)))
		if len(fs) == batch || i == pending-1 {
			if err := env.Store.Schedule(ctx, fs...); err != nil {
				b.Fatal(err)
			}
			fs = fs[:0]
		}
	}
	var dueFs []bot.FollowUp
	for i := range dueNow {
		dueFs = append(dueFs, mk(pending+i, now.Add(-time.Second)))
	}
	if err := env.Store.Schedule(ctx, dueFs...); err != nil {
		b.Fatal(err)
	}
	return dueFs
}

// requeue makes the claimed follow-ups due again, for the next iteration.
func requeue(b *testing.B, env *enginetest.Env, fs []bot.FollowUp) {
	b.Helper()
	if err := env.Store.Schedule(context.Background(), fs...); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkClaim is the store's claim of the due follow-ups among many
// pending in the future: its cost must follow the number due, not the
// number pending.
func BenchmarkClaim(b *testing.B) {
	for _, size := range sizes {
		pending, due := size.pending, size.due
		b.Run(fmt.Sprintf("pending=%d/due=%d", pending, due), func(b *testing.B) {
			env := enginetest.New(b)
			requireRealRedis(b, env)
			dueFs := queue(b, env, pending, due)
			ctx := context.Background()
			for b.Loop() {
				got, err := env.Store.Claim(ctx, env.Clock.Now(), time.Minute, due)
				if err != nil || len(got) != due {
					b.Fatalf("claimed %d, %v; want %d", len(got), err, due)
				}
				b.StopTimer()
				requeue(b, env, dueFs)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "claim-ms")
			checkPending(b, env.Store.Client(), int64(pending+due))
		})
	}
}

// BenchmarkSweep is a whole engine sweep (claim, flow step, notify, ack) of
// the due sign-in follow-ups: with a sweep every second, a follow-up fires
// within 1 s + this of its due time.
func BenchmarkSweep(b *testing.B) {
	for _, size := range sizes {
		pending, due := size.pending, size.due
		b.Run(fmt.Sprintf("pending=%d/due=%d", pending, due), func(b *testing.B) {
			env := enginetest.New(b)
			requireRealRedis(b, env)
			env.Engine.Batch = due
			rec := &enginetest.Recorder{}
			env.Engine.Notifiers[bot.Slack] = rec
			dueFs := queue(b, env, pending, due)
			ctx := context.Background()
			for b.Loop() {
				n, err := env.Engine.Sweep(ctx)
				if err != nil || n != due {
					b.Fatalf("fired %d, %v; want %d", n, err, due)
				}
				b.StopTimer()
				requeue(b, env, dueFs)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "sweep-ms")
			if len(rec.Sent()) != due*b.N {
				b.Errorf("sent %d notices, want %d", len(rec.Sent()), due*b.N)
			}
			checkPending(b, env.Store.Client(), int64(pending+due))
		})
	}
}

func checkPending(b *testing.B, c redis.UniversalClient, want int64) {
	b.Helper()
	if n, err := c.ZCard(context.Background(), "passbot:{fu}:queue").Result(); err != nil || n != want {
		b.Errorf("queue holds %d, %v; want %d", n, err, want)
	}
}
