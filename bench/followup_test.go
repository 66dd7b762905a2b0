package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
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
			ID: fmt.Sprintf("F%06d", i), Kind: reset.FollowReminder, Due: at, Owner: u, Lang: "en", ConvID: fmt.Sprintf("C%06d", i),
			Device: bot.DeviceRef{ID: "d-galaxy-s7", Name: "Adele's Galaxy S7", Kind: eligibility.AndroidAdmin, OSVersion: "6.0.1"},
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

// eachSize runs bench for each queue shape in sizes, on a fresh engine whose
// queue is filled; due are the follow-ups due now. The queue must hold them
// all again afterwards.
func eachSize(b *testing.B, bench func(b *testing.B, env *enginetest.Env, due []bot.FollowUp)) {
	for _, size := range sizes {
		b.Run(fmt.Sprintf("pending=%d/due=%d", size.pending, size.due), func(b *testing.B) {
			env := enginetest.New(b, enginetest.WithChat(bot.Slack, nil))
			requireRealRedis(b, env)
			bench(b, env, queue(b, env, size.pending, size.due))
			checkPending(b, env.Store.Client(), int64(size.pending+size.due))
		})
	}
}

// measure runs op in the benchmark loop, making the claimed follow-ups due
// again after each run (off the clock), and reports its time as metric.
func measure(b *testing.B, env *enginetest.Env, due []bot.FollowUp, metric string, op func()) {
	b.Helper()
	for b.Loop() {
		op()
		b.StopTimer()
		if err := env.Store.Schedule(context.Background(), due...); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, metric)
}

// slackOnly is what a replica serving only Slack delivers to.
var slackOnly = []bot.Platform{bot.Slack}

// BenchmarkClaim is the store's claim of the due follow-ups among many
// pending in the future: its cost must follow the number due, not the
// number pending.
func BenchmarkClaim(b *testing.B) {
	eachSize(b, func(b *testing.B, env *enginetest.Env, due []bot.FollowUp) {
		ctx := context.Background()
		measure(b, env, due, "claim-ms", func() {
			got, err := env.Store.Claim(ctx, slackOnly, env.Clock.Now(), time.Minute, len(due))
			if err != nil || len(got) != len(due) {
				b.Fatalf("claimed %d, %v; want %d", len(got), err, len(due))
			}
		})
	})
}

// BenchmarkSweep is a whole engine sweep (claim, flow step, notify, ack) of
// the due sign-in follow-ups: with a sweep every second, a follow-up fires
// within 1 s + this of its due time.
func BenchmarkSweep(b *testing.B) {
	eachSize(b, func(b *testing.B, env *enginetest.Env, due []bot.FollowUp) {
		c := env.Config
		c.Batch = len(due)
		e := bot.New(c)
		rec := &enginetest.Recorder{}
		env.Chats[bot.Slack].Use(rec)
		ctx := context.Background()
		measure(b, env, due, "sweep-ms", func() {
			n, err := e.Sweep(ctx)
			if err != nil || n != len(due) {
				b.Fatalf("fired %d, %v; want %d", n, err, len(due))
			}
		})
		if len(rec.Sent()) != len(due)*b.N {
			b.Errorf("sent %d notices, want %d", len(rec.Sent()), len(due)*b.N)
		}
	})
}

func checkPending(b *testing.B, c redis.UniversalClient, want int64) {
	b.Helper()
	if n, err := c.ZCard(context.Background(), "passbot:{fu}:queue:slack").Result(); err != nil || n != want {
		b.Errorf("queue holds %d, %v; want %d", n, err, want)
	}
}
