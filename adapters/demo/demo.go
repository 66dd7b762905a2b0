// Package demo is a device backend over a fixed fleet read from JSON in
// Microsoft Graph's managedDevice shape. It behaves per platform as Intune
// does, so the whole conversation runs with no tenant: the embedded default
// and the tests use it.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/passbot/passbot/adapters/device"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

//go:embed fleet.json
var defaultFleet []byte

// Fleet is the demo device backend. It implements bot.Devices.
type Fleet struct {
	devices []device.Managed
	// asOf is when the file's lastSyncDateTime values were "now"; zero
	// when the file does not say.
	asOf time.Time
	mu   sync.Mutex
	// resets remembers each device's last reset, as Intune does: its
	// passcode is read back for seven days; locks each device's last lock,
	// never its PIN.
	resets map[string]reset
	locks  map[string]bot.LockResult
}

// reset is a device's last passcode reset.
type reset struct {
	bot.ResetResult
	at time.Time
}

// keepPasscode is how long Intune keeps a reset's temporary passcode
// readable: Graph's resetPasscodeActionResult carries it, and the admin
// center shows it for seven days (MicrosoftDocs memdocs,
// intune/device-management/actions/reset-passcode.md).
const keepPasscode = 7 * 24 * time.Hour

// Default returns the embedded fleet, which covers every platform case of
// the Company Portal guide and of Intune's documentation, with check-in
// times as of now.
func Default() *Fleet { return DefaultAt(time.Now()) }

// DefaultAt returns the embedded fleet with check-in times as of now, so a
// device that checked in "an hour ago" still did whenever the demo runs.
func DefaultAt(now time.Time) *Fleet {
	f, err := Parse(defaultFleet)
	if err != nil {
		panic("demo: embedded fleet: " + err.Error())
	}
	return f.AsOf(now)
}

// AsOf moves every device's lastSyncDateTime by now minus the fleet file's
// passbotAsOf, keeping how long ago each device checked in. A file without
// passbotAsOf keeps its times.
func (f *Fleet) AsOf(now time.Time) *Fleet {
	if f.asOf.IsZero() {
		return f
	}
	shift := now.Sub(f.asOf)
	for i := range f.devices {
		d := &f.devices[i]
		if t, err := time.Parse(time.RFC3339Nano, d.LastSyncDateTime); err == nil && t.Year() > 1 {
			d.LastSyncDateTime = t.Add(shift).UTC().Format(time.RFC3339)
		}
	}
	f.asOf = now
	return f
}

// Load reads a fleet file: a JSON array of managedDevice objects or a Graph
// list response {"value": [...]}.
func Load(path string) (*Fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("demo: read fleet: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("demo: fleet %s: %w", path, err)
	}
	return f.AsOf(time.Now()), nil
}

// Parse decodes a fleet from JSON. A Graph list response may carry
// "passbotAsOf", the time its lastSyncDateTime values are relative to (see
// AsOf).
func Parse(data []byte) (*Fleet, error) {
	f := &Fleet{resets: map[string]reset{}, locks: map[string]bot.LockResult{}}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &f.devices); err != nil {
			return nil, err
		}
		return f, nil
	}
	var list struct {
		Value *[]device.Managed `json:"value"`
		AsOf  time.Time         `json:"passbotAsOf"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, err
	}
	if list.Value == nil {
		return nil, fmt.Errorf(`want a JSON array or {"value": [...]}`)
	}
	f.devices, f.asOf = *list.Value, list.AsOf
	return f, nil
}

// Users lists the fleet's user principal names in order of first appearance.
func (f *Fleet) Users() []string {
	var users []string
	seen := map[string]bool{}
	for _, d := range f.devices {
		u := strings.ToLower(d.UPN)
		if u != "" && !seen[u] {
			seen[u] = true
			users = append(users, d.UPN)
		}
	}
	return users
}

// Person returns the Entra object ID and display name the fleet gives a
// user principal name, for the demo sign-in.
func (f *Fleet) Person(upn string) (oid, name string, ok bool) {
	for _, d := range f.devices {
		if strings.EqualFold(d.UPN, upn) {
			return d.UserID, d.UserDisplayName, true
		}
	}
	return "", "", false
}

// ListDevices implements bot.Devices: user is a user principal name or an
// Entra object ID (a managedDevice's userId).
func (f *Fleet) ListDevices(_ context.Context, user string) ([]bot.DeviceRef, error) {
	var out []bot.DeviceRef
	for _, d := range f.devices {
		if strings.EqualFold(d.UPN, user) || d.UserID != "" && strings.EqualFold(d.UserID, user) {
			out = append(out, d.Ref())
		}
	}
	return out, nil
}

func (f *Fleet) device(id string) (bot.DeviceRef, error) {
	for _, d := range f.devices {
		if d.ID == id {
			return d.Ref(), nil
		}
	}
	return bot.DeviceRef{}, &bot.Error{Code: bot.ErrCodeNotFound, Err: fmt.Errorf("demo: no device %q", id)}
}

// ResetPasscode implements bot.Devices. Like Intune from the admin side, it
// resets any device that supports a reset, whoever owns it; who may ask is
// the flow's business.
func (f *Fleet) ResetPasscode(_ context.Context, id string) (bot.ResetResult, error) {
	d, err := f.device(id)
	if err != nil {
		return bot.ResetResult{}, err
	}
	e := d.Eligibility()
	if e.Reset == eligibility.FactoryReset || e.Reset == eligibility.NotSupported {
		return bot.ResetResult{}, &bot.Error{Code: bot.ErrCodeUnsupported, Err: fmt.Errorf("demo: resetPasscode not supported on %s %s", e.Kind, d.OSVersion)}
	}
	if f.asleep(d) {
		// "When a device checks in, it receives any pending actions"
		// (https://learn.microsoft.com/intune/device-management/actions/sync):
		// a device silent this long is not expected to, so its reset stays
		// pending, as the card's stale-device warning says.
		res := bot.ResetResult{State: bot.ActionPending}
		f.mu.Lock()
		f.resets[id] = reset{ResetResult: res, at: time.Now()}
		f.mu.Unlock()
		return res, nil
	}
	passcode, err := newPasscode(e.Passcode)
	if err != nil {
		return bot.ResetResult{}, err
	}
	res := bot.ResetResult{State: bot.ActionDone, Passcode: passcode}
	f.mu.Lock()
	f.resets[id] = reset{ResetResult: res, at: time.Now()}
	f.mu.Unlock()
	return res, nil
}

// ResetStatus implements bot.Devices. Like Intune's, it reads a reset's
// passcode back for seven days: a result that never reached the chat (a
// crash) is shown when it is read again. The fleet finishes the reset of a
// device that checks in at once, so a reset started at since is done even
// where another process (a replica sharing the Redis) ran it and this one
// never saw it; that one's passcode is in the other process.
func (f *Fleet) ResetStatus(_ context.Context, id string, since time.Time) (bot.ResetResult, error) {
	d, err := f.device(id)
	if err != nil {
		return bot.ResetResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	last, ok := f.resets[id]
	switch {
	case ok:
		if time.Since(last.at) > keepPasscode {
			last.Passcode = ""
		}
		return last.ResetResult, nil
	case !since.IsZero() && f.asleep(d):
		return bot.ResetResult{State: bot.ActionPending}, nil
	case !since.IsZero():
		return bot.ResetResult{State: bot.ActionDone}, nil
	}
	return bot.ResetResult{State: "none"}, nil
}

// asleep reports a device that has not checked in for longer than
// eligibility.QuietAfter as of the fleet's time: the demo's devices check in as
// their file says, so a device silent since 2019 stays silent.
func (f *Fleet) asleep(d bot.DeviceRef) bool {
	now := f.asOf
	if now.IsZero() {
		now = time.Now()
	}
	return d.Silence(now) > eligibility.QuietAfter
}

// RemoteLock implements bot.Devices. A Mac's lock is done at once with a
// fresh 6-digit recovery PIN, returned once and not kept; the demo's Macs
// never check in, so their PIN is never seen used and a second lock is
// refused, as it would be until the Mac is unlocked.
func (f *Fleet) RemoteLock(_ context.Context, id string) (bot.LockResult, error) {
	d, err := f.device(id)
	if err != nil {
		return bot.LockResult{}, err
	}
	e := d.Eligibility()
	if !e.RemoteLock {
		return bot.LockResult{}, &bot.Error{Code: bot.ErrCodeUnsupported, Err: fmt.Errorf("demo: remoteLock not supported on %s", d.Kind)}
	}
	now := time.Now()
	res := bot.LockResult{State: bot.ActionDone, Started: now, Updated: now, LastSync: d.LastSync}
	f.mu.Lock()
	f.locks[id] = res
	f.mu.Unlock()
	if e.LockPIN {
		if res.UnlockPin, err = draw(digits, 6); err != nil {
			return bot.LockResult{}, err
		}
	}
	return res, nil
}

// LockStatus implements bot.Devices, without the PIN: it was shown once.
func (f *Fleet) LockStatus(_ context.Context, id string, since time.Time) (bot.LockResult, error) {
	d, err := f.device(id)
	if err != nil {
		return bot.LockResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res, ok := f.locks[id]
	if !ok || res.Started.Before(since) {
		return bot.LockResult{LastSync: d.LastSync}, nil
	}
	return res, nil
}

// Alphabets of temporary passcodes, without look-alikes (0/O, 1/l/I) since
// people type them from a chat window onto a phone.
const (
	alnum  = "abcdefghjkmnpqrstuvwxyz23456789"
	digits = "0123456789"
)

// newPasscode draws a temporary passcode with crypto/rand: eight letters and
// digits (at least one of each) or six digits.
func newPasscode(kind eligibility.PasscodeKind) (string, error) {
	switch kind {
	case eligibility.NoPasscode:
		return "", nil
	case eligibility.Numeric:
		return draw(digits, 6)
	}
	for {
		p, err := draw(alnum, 8)
		if err != nil {
			return "", err
		}
		if strings.ContainsAny(p, "23456789") && strings.ContainsAny(p, "abcdefghjkmnpqrstuvwxyz") {
			return p, nil
		}
	}
}

func draw(alphabet string, n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("demo: passcode: %w", err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b), nil
}
