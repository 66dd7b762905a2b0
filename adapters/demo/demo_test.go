package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/demo"
	"github.com/passbot/passbot/bot"
)

// The demo behaves like Intune: a reset reaches a device when it checks
// in, so the reset of a device silent since 2019 stays pending, while one
// that checked in an hour ago is done with its temporary passcode.
func TestAResetOfASilentDeviceStaysPending(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		id, name string
		want     bot.ActionState
	}{
		{"demo-0005", "Lumia 735, silent since 2019", bot.ActionPending},
		{"demo-0011", "Galaxy Note 5, silent for 50 days", bot.ActionPending},
		{"demo-0001", "Galaxy S7, checked in an hour ago", bot.ActionDone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := demo.DefaultAt(now)
			res, err := f.ResetPasscode(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if res.State != tc.want || (tc.want == bot.ActionPending) != (res.Passcode == "") {
				t.Fatalf("reset %+v, want %s", res, tc.want)
			}
			again, err := f.ResetStatus(ctx, tc.id, now)
			if err != nil || again.State != tc.want {
				t.Errorf("read back %+v %v, want %s", again, err, tc.want)
			}
			// Another replica's fleet, which never saw the reset.
			other, err := demo.DefaultAt(now).ResetStatus(ctx, tc.id, now)
			if err != nil || other.State != tc.want {
				t.Errorf("read back elsewhere %+v %v, want %s", other, err, tc.want)
			}
		})
	}
}
