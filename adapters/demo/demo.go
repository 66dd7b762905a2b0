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

	"github.com/passbot/passbot/bot"
)

//go:embed fleet.json
var defaultFleet []byte

// Fleet is the demo device backend. It implements bot.Devices.
type Fleet struct {
	devices []bot.Device
	mu      sync.Mutex
	// resets remembers the state of each device's last reset, never the
	// passcode itself.
	resets map[string]bot.ActionState
}

// Default returns the embedded fleet, which covers every platform case of
// the Company Portal guide.
func Default() *Fleet {
	f, err := Parse(defaultFleet)
	if err != nil {
		panic("demo: embedded fleet: " + err.Error())
	}
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
	return f, nil
}

// Parse decodes a fleet from JSON.
func Parse(data []byte) (*Fleet, error) {
	var devices []bot.Device
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &devices); err != nil {
			return nil, err
		}
	} else {
		var list struct {
			Value *[]bot.Device `json:"value"`
		}
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, err
		}
		if list.Value == nil {
			return nil, fmt.Errorf(`want a JSON array or {"value": [...]}`)
		}
		devices = *list.Value
	}
	return &Fleet{devices: devices, resets: map[string]bot.ActionState{}}, nil
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

// ListDevices implements bot.Devices.
func (f *Fleet) ListDevices(_ context.Context, upn string) ([]bot.Device, error) {
	var out []bot.Device
	for _, d := range f.devices {
		if strings.EqualFold(d.UPN, upn) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *Fleet) device(id string) (bot.Device, error) {
	for _, d := range f.devices {
		if d.ID == id {
			return d, nil
		}
	}
	return bot.Device{}, &bot.Error{Code: bot.ErrCodeNotFound, Err: fmt.Errorf("demo: no device %q", id)}
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
	if e.Reset == bot.FactoryReset || e.Reset == bot.NotSupported {
		return bot.ResetResult{}, &bot.Error{Code: bot.ErrCodeUnsupported, Err: fmt.Errorf("demo: resetPasscode not supported on %s %s", e.Kind, d.OSVersion)}
	}
	passcode, err := newPasscode(e.Passcode)
	if err != nil {
		return bot.ResetResult{}, err
	}
	f.mu.Lock()
	f.resets[id] = bot.ActionDone
	f.mu.Unlock()
	return bot.ResetResult{State: bot.ActionDone, Passcode: passcode}, nil
}

// ResetStatus implements bot.Devices. The passcode was shown once and is not
// kept, so only the state comes back.
func (f *Fleet) ResetStatus(_ context.Context, id string, _ time.Time) (bot.ResetResult, error) {
	if _, err := f.device(id); err != nil {
		return bot.ResetResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	state, ok := f.resets[id]
	if !ok {
		state = "none"
	}
	return bot.ResetResult{State: state}, nil
}

// RemoteLock implements bot.Devices.
func (f *Fleet) RemoteLock(_ context.Context, id string) error {
	d, err := f.device(id)
	if err != nil {
		return err
	}
	if !d.Eligibility().RemoteLock {
		return &bot.Error{Code: bot.ErrCodeUnsupported, Err: fmt.Errorf("demo: remoteLock not supported on %s", d.Kind())}
	}
	return nil
}

// Alphabets of temporary passcodes, without look-alikes (0/O, 1/l/I) since
// people type them from a chat window onto a phone.
const (
	alnum  = "abcdefghjkmnpqrstuvwxyz23456789"
	digits = "0123456789"
)

// newPasscode draws a temporary passcode with crypto/rand: eight letters and
// digits (at least one of each) or six digits.
func newPasscode(kind bot.PasscodeKind) (string, error) {
	switch kind {
	case bot.NoPasscode:
		return "", nil
	case bot.Numeric:
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
