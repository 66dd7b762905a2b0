package bot

import (
	"strings"
	"testing"
	"time"
)

// The rules bot applies on top of a kind's row: the Android version, the
// row's oldest version and company ownership.
func TestEligibilityRules(t *testing.T) {
	cases := []struct {
		name string
		d    DeviceRef
		want ResetMode
	}{
		{"Android device administrator 6.0.1", DeviceRef{Kind: AndroidAdmin, OSVersion: "6.0.1"}, SelfService},
		{"Android device administrator 7.0 needs a factory reset", DeviceRef{Kind: AndroidAdmin, OSVersion: "7.0"}, FactoryReset},
		{"corporate-owned Android 10 still needs a factory reset", DeviceRef{Kind: AndroidAdmin, OSVersion: "10", Company: true}, FactoryReset},
		{"an unparsable version counts as 0", DeviceRef{Kind: AndroidAdmin, OSVersion: "unknown"}, SelfService},
		{"work profile from Android 8.0", DeviceRef{Kind: AndroidWorkProfile, OSVersion: "8.0"}, NeedsApproval},
		{"work profile below Android 8.0: no reset", DeviceRef{Kind: AndroidWorkProfile, OSVersion: "7.1.2"}, NotSupported},
		{"personal iPhone", DeviceRef{Kind: IOS, OSVersion: "17.4"}, SelfService},
		{"corporate-owned iPhone", DeviceRef{Kind: IOS, OSVersion: "17.4", Company: true}, NeedsApproval},
		{"a kind passbot does not know", DeviceRef{Kind: "blackberry", OSVersion: "10"}, NotSupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.d.Eligibility()
			if e.Reset != tc.want || e.Kind != tc.d.Kind {
				t.Errorf("reset mode %v kind %q, want %v %q", e.Reset, e.Kind, tc.want, tc.d.Kind)
			}
		})
	}
}

func TestVersionAtLeast(t *testing.T) {
	cases := []struct {
		version      string
		major, minor int
		want         bool
	}{
		{"6.0.1", 7, 0, false},
		{"7.0", 7, 0, true},
		{"13", 7, 0, true},
		{" 10 ", 10, 0, true},
		{"8.10.14219.341", 8, 1, true}, // Windows Phone 8.1
		{"8.0.10517", 8, 1, false},
		{"6.3.9600", 8, 0, false}, // desktop Windows 8.1
		{"10.0.15063.1868", 9, 0, true},
		{"7.1.2", 8, 0, false},
		{"17.4.1-beta", 17, 4, true},
		{"unknown", 1, 0, false},
		{"", 0, 0, true},
	}
	for _, tc := range cases {
		if got := VersionAtLeast(tc.version, tc.major, tc.minor); got != tc.want {
			t.Errorf("VersionAtLeast(%q, %d, %d) = %v, want %v", tc.version, tc.major, tc.minor, got, tc.want)
		}
	}
}

func TestSilentDevicesGoToTheHelpdesk(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		synced time.Time
		want   ResetMode
	}{
		{"checked in an hour ago", now.Add(-time.Hour), SelfService},
		{"silent for 8 days: warned, still self-service", now.Add(-8*24*time.Hour - time.Hour), SelfService},
		{"silent for 31 days", now.Add(-31*24*time.Hour - time.Hour), NeedsApproval},
		{"no check-in time", time.Time{}, SelfService},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DeviceRef{Kind: AndroidAdmin, OSVersion: "6.0.1", LastSync: tc.synced}
			if got := d.EligibilityAt(now).Reset; got != tc.want {
				t.Errorf("reset mode %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLockPINCountsAsUsedOnceTheMacCheckedInAfterTheLock(t *testing.T) {
	locked := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		r      LockResult
		unused bool
	}{
		{"no lock yet", LockResult{}, false},
		{"lock on its way", LockResult{State: ActionPending, Updated: locked}, true},
		{"locked, Mac silent since", LockResult{State: ActionDone, Updated: locked, LastSync: locked.Add(-time.Hour)}, true},
		{"locked, Mac checked in after (unlocked with the PIN)", LockResult{State: ActionDone, Updated: locked, LastSync: locked.Add(time.Hour)}, false},
		{"locked, the check-in that took the lock", LockResult{State: ActionDone, Updated: locked, LastSync: locked.Add(time.Minute)}, true},
		{"lock failed: no PIN took effect", LockResult{State: ActionFailed, Updated: locked}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Unused(); got != tc.unused {
				t.Errorf("Unused() = %v, want %v", got, tc.unused)
			}
		})
	}
	if s := (LockResult{State: ActionDone, UnlockPin: "123456"}).String(); strings.Contains(s, "123456") {
		t.Errorf("String() shows the PIN: %q", s)
	}
}

func TestResetResultStringHidesThePasscode(t *testing.T) {
	r := ResetResult{State: ActionDone, Passcode: "s3cr3t42"}
	if s := r.String(); s != "reset done" {
		t.Errorf("String() = %q", s)
	}
}
