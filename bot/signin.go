package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Sign-in modes (PASSBOT_VERIFY): how the owner of a device proves who they
// are before its passcode is reset.
const (
	// VerifyEntra: a fresh Entra ID sign-in (OpenID Connect).
	VerifyEntra = "entra"
	// VerifyDemo: the same sign-in against passbot's own demo provider.
	VerifyDemo = "demo"
	// VerifyOff: no sign-in; every reset is audited as unverified.
	VerifyOff = "off"
)

// Identity is who a fresh sign-in proved the person to be: all passbot keeps
// of a sign-in, never a token.
type Identity struct {
	// OID is the Entra object ID of the signed-in user.
	OID string `json:"oid,omitempty"`
	// UPN is their preferred_username.
	UPN string `json:"upn,omitempty"`
	// AuthTime is when they typed their credentials.
	AuthTime time.Time `json:"at"`
}

// Owns reports whether the identity is the owner of d, by object ID alone:
// Entra never reuses or changes it, while preferred_username "can't be used
// to make authorization decisions" (ID token claims reference,
// https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference).
// A device for which Intune names no primary user (userId empty) is nobody's
// here: the helpdesk handles it.
func (id Identity) Owns(d DeviceRef) bool {
	return d.OwnerID != "" && id.OID != "" && strings.EqualFold(id.OID, d.OwnerID)
}

// SignIn is a one-time sign-in link: whose conversation it confirms, for
// which device.
type SignIn struct {
	// ID is the link's secret part; URL the whole link. SignIns.Start fills
	// both in.
	ID      string    `json:"id"`
	URL     string    `json:"url"`
	Owner   User      `json:"u"`
	Conv    string    `json:"c"`
	Device  DeviceRef `json:"d"`
	Lang    string    `json:"l,omitempty"`
	Expires time.Time `json:"x"`
}

// ExpectedUPN is who should sign in: the device's owner, else the chat
// account's UPN.
func (s SignIn) ExpectedUPN() string {
	if s.Device.OwnerUPN != "" {
		return s.Device.OwnerUPN
	}
	return s.Owner.UPN
}

// SignIns hands out sign-in links.
type SignIns interface {
	// Start registers s and returns it with its link.
	Start(ctx context.Context, s SignIn) (SignIn, error)
}

// Linker remembers which company account a chat account proved to be, by
// object ID, for later conversations. A link never replaces the sign-in
// before a reset.
type Linker interface {
	Link(ctx context.Context, u User, a Account) error
}

// Outcomes of a sign-in: the audit record "verify" names one.
const (
	SignInOK       = "ok"
	SignInMismatch = "mismatch"      // someone else than the device's owner signed in
	SignInExpired  = "expired"       // the link or the sign-in came too late
	SignInReused   = "reused"        // the link was opened a second time
	SignInDenied   = "access_denied" // the person cancelled at the provider
	SignInInvalid  = "invalid_token" // the provider's answer did not verify
	SignInStale    = "stale_auth"    // the credentials were typed too long ago
	SignInFailed   = "failed"        // the provider could not be reached or refused
	// SignInOtherBrowser: the provider's answer reached another browser
	// than the one that pressed Sign in (a forwarded authorization URL).
	SignInOtherBrowser = "other_browser"
	// SignInWeak: the sign-in lacked the Conditional Access authentication
	// context the admin asks for (PASSBOT_VERIFY_AUTH_CONTEXT).
	SignInWeak = "auth_context"
	// SignInMoved: the sign-in came after its conversation moved on, so it
	// did nothing.
	SignInMoved = "moved"
)

// SignInResult is how a sign-in link ended.
type SignInResult struct {
	SignIn
	Outcome string
	// Identity is who signed in, when the provider's answer verified.
	Identity Identity
}

// ErrSignInStale means the conversation no longer waits for this sign-in:
// it was cancelled, finished or started again.
var ErrSignInStale = errors.New("the conversation no longer waits for this sign-in")

// SignedIn carries a sign-in's result into its conversation: on a match the
// conversation moves on to the device-with-you check, otherwise the person is
// told why nothing happens. What happened is audited either way. It returns
// the final outcome (a sign-in by someone else than the device's owner is a
// mismatch, a good one its conversation no longer waits for is moved), and
// ErrSignInStale when the conversation has moved on.
func (e *Engine) SignedIn(ctx context.Context, r SignInResult) (string, error) {
	// A sign-in for no device only links the chat account to whoever
	// signed in; one for a device must be by its owner.
	if r.Outcome == SignInOK && r.Device.ID != "" && !r.Identity.Owns(r.Device) {
		r.Outcome = SignInMismatch
	}
	for range maxRetries {
		begun, err := e.cfg.Store.Begin(ctx, r.Owner, "", "")
		if err != nil {
			e.storeError()
			e.auditSignIn(ctx, r)
			return r.Outcome, fmt.Errorf("engine: sign-in of %s: %w", r.Owner.Key(), err)
		}
		conv := begun.Conv
		if conv == nil || conv.ID != r.Conv || conv.SignIn != r.ID || expired(conv, e.now()) {
			if r.Outcome == SignInOK {
				r.Outcome = SignInMoved
			} else {
				// A link opened after the conversation moved on: still worth
				// telling its owner, it may not have been them. A link that
				// merely expired is most likely theirs, opened late: no
				// alarm, the way to a new one.
				code := "signin.late"
				if r.Outcome == SignInExpired {
					code = "signin.expired.moved"
				}
				late := &Conversation{ID: r.Conv, Owner: r.Owner, Lang: r.Lang}
				replies := e.notice(late, code)
				out := e.cfg.Flow.Step(late, Input{Kind: LateSignIn, SignIn: &r}, e.now())
				e.notify(ctx, r.Owner.Platform, append(replies, e.finish(late, out.Replies)...))
			}
			e.auditSignIn(ctx, r)
			return r.Outcome, ErrSignInStale
		}
		conv.Owner = r.Owner
		before := *conv
		link := conv.LinkMsg
		conv.LinkMsg = ""
		out := e.cfg.Flow.Step(conv, Input{Kind: SignedIn, SignIn: &r}, e.now())
		if i := slices.IndexFunc(out.Replies, func(rp Reply) bool { return rp.Replace && rp.Audience == ToUser }); i >= 0 && link != "" {
			// The sign-in's answer takes the place of the link, whose
			// buttons belong to a step that is over.
			out.Replies[i].Target = Target{Kind: UpdateRef, Ref: link}
		}
		replies, _, err := e.run(ctx, conv, before, out, saveFirst)
		if errors.Is(err, ErrConflict) {
			continue
		}
		e.auditSignIn(ctx, r)
		if err != nil {
			return r.Outcome, err
		}
		if r.Outcome == SignInOK && e.cfg.Links != nil && r.Identity.OID != "" {
			if err := e.cfg.Links.Link(ctx, r.Owner, Account{OID: r.Identity.OID, UPN: r.Identity.UPN}); err != nil {
				e.storeError()
				e.logger().Warn("link chat account after sign-in", "user", r.Owner.Key(), "err", err)
			}
		}
		done := e.notify(ctx, r.Owner.Platform, replies)
		if chat, ok := e.chats[r.Owner.Platform]; ok {
			e.tidy(ctx, chat, conv, true, replies, done)
		}
		return r.Outcome, nil
	}
	e.auditSignIn(ctx, r)
	return r.Outcome, fmt.Errorf("engine: sign-in of %s: %w", r.Owner.Key(), ErrConflict)
}

// auditSignIn records how a sign-in ended, once it is known.
func (e *Engine) auditSignIn(ctx context.Context, r SignInResult) {
	rec := AuditRecord{Actor: r.Owner.Key(), UPN: r.Owner.UPN, Action: "verify", Device: r.Device.ID, Name: r.Device.Name, Outcome: r.Outcome}
	if r.Outcome == SignInMismatch && r.Identity.UPN != "" {
		rec.Outcome += ":" + r.Identity.UPN // who tried: for the helpdesk, never a token
	}
	e.audit(ctx, rec)
	if e.cfg.Observer != nil {
		e.cfg.Observer.SignIn(r.Outcome)
	}
}

// startSignIn opens the sign-in link of a reset, valid for the sign-in's
// TTL and never past the conversation's step.
func (e *Engine) startSignIn(ctx context.Context, conv *Conversation, cmd Command) CommandResult {
	res := CommandResult{Command: cmd}
	if e.cfg.SignIns == nil {
		res.Err = &Error{Code: ErrCodeUnsupported, Err: errors.New("engine: no sign-in configured")}
		return res
	}
	res.SignIn, res.Err = e.cfg.SignIns.Start(ctx, SignIn{Owner: conv.Owner, Conv: conv.ID, Device: cmd.Device, Lang: cmd.Lang, Expires: conv.Expires})
	if res.Err == nil && e.cfg.Observer != nil {
		e.cfg.Observer.SignIn("started")
	}
	if res.Err != nil {
		e.storeError()
		e.logger().Warn("sign-in link failed", "user", conv.Owner.Key(), "conversation", conv.ID, "err", res.Err)
		res.Err = &Error{Code: ErrCodeUnavailable, Err: res.Err}
	}
	return res
}
