package intune

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/device"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

func TestListDevices(t *testing.T) {
	t.Parallel()
	t.Run("follows nextLink across pages with one token", func(t *testing.T) {
		f := newFakeGraph(t)
		c, _ := newClient(t, f, newFakeClock())

		devices, err := c.ListDevices(t.Context(), adele)
		if err != nil {
			t.Fatal(err)
		}
		if ids, want := deviceIDs(devices), []string{androidDevice, workDevice, iPhone, desktop}; !slices.Equal(ids, want) {
			t.Fatalf("device IDs = %v, want %v", ids, want)
		}
		want := bot.DeviceRef{
			ID: iPhone, Name: "Adele's iPhone", Kind: eligibility.IOS, OSVersion: "17.4.1", Company: true,
			OwnerID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", OwnerUPN: adele, LastSync: time.Date(2024, 5, 1, 6, 2, 17, 0, time.UTC),
		}
		if devices[2] != want {
			t.Errorf("iPhone = %+v\nwant %+v", devices[2], want)
		}

		reqs := f.Requests()
		if len(reqs) != 2 {
			t.Fatalf("%d Graph requests, want 2 (two pages)", len(reqs))
		}
		if reqs[0].Path != "/v1.0/users/"+adele+"/managedDevices" {
			t.Errorf("first page path %s", reqs[0].Path)
		}
		if got, want := reqs[0].Query.Get("$select"), strings.Join(device.Properties(false), ","); got != want {
			t.Errorf("$select = %q, want %q", got, want)
		}
		if reqs[1].RawQuery != "$top=2&$skiptoken=opaque-skiptoken-value" {
			t.Errorf("second page query %q, want the nextLink's verbatim", reqs[1].RawQuery)
		}
		for _, r := range reqs {
			if r.Auth != "Bearer "+f.Token || r.Accept != "application/json" || r.ClientRequestID == "" {
				t.Errorf("request headers: Authorization %q, Accept %q, client-request-id %q", r.Auth, r.Accept, r.ClientRequestID)
			}
		}
		if n := len(f.TokenRequests()); n != 1 {
			t.Errorf("%d token requests, want 1 (azidentity caches)", n)
		}
		form := f.TokenRequests()[0]
		// MSAL adds "openid offline_access profile" to the resource scope.
		if !slices.Contains(strings.Fields(form.Get("scope")), f.URL+"/.default") || form.Get("grant_type") != "client_credentials" {
			t.Errorf("token request scope %q grant %q", form.Get("scope"), form.Get("grant_type"))
		}
	})

	t.Run("a person linked by object ID: the same devices, asked by the ID", func(t *testing.T) {
		f := newFakeGraph(t)
		c, _ := newClient(t, f, newFakeClock())
		const oid = "87d349ed-44d7-43e1-9a83-5f2406dee5bd" // Adele's userId in the fixtures
		devices, err := c.ListDevices(t.Context(), oid)
		if err != nil {
			t.Fatal(err)
		}
		if ids, want := deviceIDs(devices), []string{androidDevice, workDevice, iPhone, desktop}; !slices.Equal(ids, want) {
			t.Errorf("device IDs = %v, want %v", ids, want)
		}
		if p := f.Requests()[0].Path; p != "/v1.0/users/"+oid+"/managedDevices" {
			t.Errorf("path %s", p)
		}
	})

	t.Run("beta endpoint also selects deviceType", func(t *testing.T) {
		f := newFakeGraph(t)
		cfg := fakeConfig(f)
		cfg.URL = f.URL + "/beta"
		c, _ := newClientConfig(t, f, cfg, newFakeClock())
		if _, err := c.ListDevices(t.Context(), adele); err != nil {
			t.Fatal(err)
		}
		if sel := f.Requests()[0].Query.Get("$select"); !strings.Contains(sel, "deviceType") {
			t.Errorf("beta $select = %q, want deviceType in it", sel)
		}
	})

	t.Run("guest UPN is path-escaped and unknown user is not found", func(t *testing.T) {
		f := newFakeGraph(t)
		c, _ := newClient(t, f, newFakeClock())
		upn := "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com"
		_, err := c.ListDevices(t.Context(), upn)
		if code := bot.ErrorCode(err); code != ErrCodeNotFound {
			t.Fatalf("code %s, want %s (err %v)", code, ErrCodeNotFound, err)
		}
		r := f.Requests()[0]
		if r.EscapedPath != "/v1.0/users/guest_fabrikam.com%23EXT%23@contoso.onmicrosoft.com/managedDevices" {
			t.Errorf("escaped path %s", r.EscapedPath)
		}
		if r.Query.Get("$select") == "" {
			t.Error("the # ate the query")
		}
	})

	t.Run("nextLink to another host is refused before the token leaves", func(t *testing.T) {
		var calls int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			w.Write([]byte(`{"value":[],"@odata.nextLink":"https://graph.example.net/v1.0/users/x/managedDevices?$skiptoken=1"}`))
		}))
		defer srv.Close()
		c, err := New(Config{URL: srv.URL + "/v1.0"}, StaticToken("t"), WithHTTPClient(srv.Client()), WithLogger(discard()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ListDevices(t.Context(), adele)
		if code := bot.ErrorCode(err); code != bot.ErrCodeInternal || !strings.Contains(err.Error(), "graph.example.net") {
			t.Fatalf("err %v (code %s), want internal naming the foreign host", err, code)
		}
		if calls != 1 {
			t.Errorf("%d calls, want 1", calls)
		}
	})
}

func TestResetPasscodeThenStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		device       string
		finish       string // state the fake moves the reset to; "" leaves it pending
		passcode     string
		wantState    bot.ActionState
		wantPasscode string
	}{
		{"reset still pending", androidDevice, "", "", bot.ActionPending, ""},
		{"android reset done shows the temporary passcode", androidDevice, "done", "Xk29-Qp71", bot.ActionDone, "Xk29-Qp71"},
		{"iPhone reset done removes the passcode", iPhone, "done", "", bot.ActionDone, ""},
		{"new reset failing hides the previous passcode", workDevice, "failed", "", bot.ActionFailed, ""},
		{"new reset pending hides the previous passcode", workDevice, "", "", bot.ActionPending, ""},
		{"active is reported as active", iPhone, "active", "", bot.ActionActive, ""},
		{"not supported", iPhone, "notSupported", "", bot.ActionNotSupported, ""},
		{"passcode of an unfinished reset is not handed out", androidDevice, "active", "Xk29-Qp71", bot.ActionActive, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGraph(t)
			c, _ := newClient(t, f, newFakeClock())
			res, err := c.ResetPasscode(t.Context(), tt.device)
			if err != nil {
				t.Fatal(err)
			}
			if res != (bot.ResetResult{State: bot.ActionPending}) {
				t.Errorf("ResetPasscode = %+v, want pending", res)
			}
			if tt.finish != "" {
				f.FinishReset(tt.device, tt.finish, tt.passcode)
			}
			res, err = c.ResetStatus(t.Context(), tt.device, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if res.State != tt.wantState || res.Passcode != tt.wantPasscode {
				t.Errorf("ResetStatus = {%s %q}, want {%s %q}", res.State, res.Passcode, tt.wantState, tt.wantPasscode)
			}
			reqs := f.Requests()
			post, get := reqs[0], reqs[len(reqs)-1]
			if post.Method != http.MethodPost || post.Path != "/v1.0/deviceManagement/managedDevices/"+tt.device+"/resetPasscode" {
				t.Errorf("reset sent %s %s", post.Method, post.Path)
			}
			if get.Path != "/v1.0/deviceManagement/managedDevices/"+tt.device || get.RawQuery != "$select=id,deviceActionResults" {
				t.Errorf("status read %s?%s", get.Path, get.RawQuery)
			}
		})
	}
}

func TestResetStatusOfFixtures(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	c, _ := newClient(t, f, newFakeClock())
	for _, tt := range []struct {
		device       string
		wantState    bot.ActionState
		wantPasscode string
	}{
		{androidDevice, bot.ActionPending, ""},
		{workDevice, bot.ActionDone, donePasscode},
		{iPhone, bot.ActionPending, ""}, // never reset: nothing listed yet
	} {
		res, err := c.ResetStatus(t.Context(), tt.device, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if res.State != tt.wantState || res.Passcode != tt.wantPasscode {
			t.Errorf("%s: {%s %q}, want {%s %q}", tt.device, res.State, res.Passcode, tt.wantState, tt.wantPasscode)
		}
	}
}

func TestLatestAction(t *testing.T) {
	t.Parallel()
	code := func(s string) *string { return &s }
	results := []actionResult{
		{ActionName: "resetPasscode", ActionState: "done", LastUpdated: "2024-05-01T09:41:27Z", Passcode: code("old")},
		{ActionName: "remoteLock", ActionState: "done", LastUpdated: "2024-05-02T00:00:00Z"},
		{ActionName: "ResetPasscode", ActionState: "pending", LastUpdated: "2024-05-01T10:00:02.1234567Z"},
		{ActionName: "resetPasscode", ActionState: "failed", LastUpdated: "not a time"},
	}
	got, ok := latestAction(results, "resetPasscode", time.Time{})
	if !ok || got.ActionState != "pending" {
		t.Errorf("latest = %+v, want the pending one updated last", got)
	}
	if _, ok := latestAction(results[:2], "wipe", time.Time{}); ok {
		t.Error("found a wipe that is not there")
	}
	// A reset sent at 10:00 must not take the 09:40 reset's passcode for
	// its own while Intune does not list it yet.
	earlier := []actionResult{{ActionName: "resetPasscode", ActionState: "done", Started: "2024-05-01T09:40:00Z",
		LastUpdated: "2024-05-01T09:41:27Z", Passcode: code("old")}}
	if got, ok := latestAction(earlier, "resetPasscode", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)); ok {
		t.Errorf("an earlier reset passed for this one: %+v", got)
	}
	if _, ok := latestAction(earlier, "resetPasscode", time.Date(2024, 5, 1, 9, 39, 0, 0, time.UTC)); !ok {
		t.Error("this reset's own result was skipped")
	}
	for in, want := range map[string]bot.ActionState{
		"pending": bot.ActionPending, "active": bot.ActionActive, "done": bot.ActionDone, "failed": bot.ActionFailed,
		"notSupported": bot.ActionNotSupported, "canceled": bot.ActionCanceled, "none": bot.ActionPending,
		"unknownFutureValue": bot.ActionPending,
	} {
		if got := actionState(in); got != want {
			t.Errorf("actionState(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRemoteLock(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	c, _ := newClient(t, f, newFakeClock())
	if _, err := c.RemoteLock(t.Context(), iPhone); err != nil {
		t.Fatal(err)
	}
	r := f.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/v1.0/deviceManagement/managedDevices/"+iPhone+"/remoteLock" {
		t.Errorf("sent %s %s", r.Method, r.Path)
	}
	_, err := c.RemoteLock(t.Context(), "00000000-gone")
	if code := bot.ErrorCode(err); code != ErrCodeNotFound {
		t.Errorf("lock of an unknown device: code %s (err %v)", code, err)
	}
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	listPath := "GET /users/" + adele + "/managedDevices"
	tests := []struct {
		name      string
		queue     map[string][]canned
		cfg       func(*Config)
		tokens    TokenSource
		call      func(context.Context, *Client) error
		wantCode  string
		wantInLog []string
	}{
		{
			name:     "reset without PrivilegedOperations is forbidden",
			queue:    map[string][]canned{"POST /deviceManagement/managedDevices/" + androidDevice + "/resetPasscode": {{Status: 403, Fixture: "error_403.json"}}},
			call:     reset(androidDevice),
			wantCode: ErrCodeForbidden,
			wantInLog: []string{PermissionActions, "admin consent", "afab8aee-9d6e-46b7-9c94-f57d30f7d71d",
				"resetPasscode on device", androidDevice},
		},
		{
			name:      "listing without Read.All is forbidden",
			queue:     map[string][]canned{listPath: {{Status: 403, Fixture: "error_403.json"}}},
			call:      list(adele),
			wantCode:  ErrCodeForbidden,
			wantInLog: []string{PermissionRead, "403"},
		},
		{
			name:      "user gone",
			call:      list("nobody@contoso.com"),
			wantCode:  ErrCodeNotFound,
			wantInLog: []string{"Request_ResourceNotFound"},
		},
		{
			name:     "device gone",
			call:     status("00000000-gone"),
			wantCode: ErrCodeNotFound,
		},
		{
			name:      "reset on a Windows PC is unsupported",
			call:      reset(desktop),
			wantCode:  ErrCodeUnsupported,
			wantInLog: []string{"BadRequest", "5e08986f-0f43-46b7-835d-42f3a8240b55"},
		},
		{
			name:     "a bad read request is our bug, not the user's device",
			queue:    map[string][]canned{"GET /deviceManagement/managedDevices/" + iPhone: {{Status: 400, Fixture: "error_400.json"}}},
			call:     status(iPhone),
			wantCode: bot.ErrCodeInternal,
		},
		{
			name:      "token Graph rejects",
			tokens:    StaticToken("expired"),
			call:      list(adele),
			wantCode:  ErrCodeForbidden,
			wantInLog: []string{"InvalidAuthenticationToken", "GRAPH_CLIENT_ID"},
		},
		{
			name:      "wrong client secret",
			cfg:       func(c *Config) { c.ClientSecret = "wrong" },
			call:      list(adele),
			wantCode:  ErrCodeUnavailable,
			wantInLog: []string{"AADSTS7000215"},
		},
		{
			name: "caller gave up",
			call: func(ctx context.Context, c *Client) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return list(adele)(ctx, c)
			},
			wantCode: ErrCodeUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGraph(t)
			for k, q := range tt.queue {
				f.Queue(k, q...)
			}
			cfg := fakeConfig(f)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			var c *Client
			if tt.tokens != nil {
				var err error
				c, err = New(cfg, tt.tokens, WithHTTPClient(f.Client()), WithClock(newFakeClock()), WithLogger(discard()))
				if err != nil {
					t.Fatal(err)
				}
			} else {
				c, _ = newClientConfig(t, f, cfg, newFakeClock())
			}
			err := tt.call(t.Context(), c)
			be, ok := errors.AsType[*bot.Error](err)
			if !ok {
				t.Fatalf("err %v is not a *bot.Error", err)
			}
			if be.Code != tt.wantCode {
				t.Errorf("code %s, want %s (err %v)", be.Code, tt.wantCode, err)
			}
			for _, s := range tt.wantInLog {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestPasscodeNeverLogged(t *testing.T) {
	t.Parallel()
	const secret = "Zq81-Lm07"
	f := newFakeGraph(t)
	// A throttled status read and a throttled reset, so retries log too.
	f.Queue("POST /deviceManagement/managedDevices/"+androidDevice+"/resetPasscode", canned{Status: 429, RetryAfter: "1", Fixture: "error_429.json"})
	f.Queue("GET /deviceManagement/managedDevices/"+androidDevice, canned{Status: 503})
	c, logs := newClient(t, f, newFakeClock())
	ctx := t.Context()

	if _, err := c.ResetPasscode(ctx, androidDevice); err != nil {
		t.Fatal(err)
	}
	f.FinishReset(androidDevice, "done", secret)
	res, err := c.ResetStatus(ctx, androidDevice, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passcode != secret {
		t.Fatalf("passcode %q, want %q", res.Passcode, secret)
	}
	// What a careless caller would do with the result.
	c.log.Info("reset finished", "result", res)
	c.log.Info("reset finished: " + res.String())

	out := logs.String()
	if !strings.Contains(out, "Graph request") || !strings.Contains(out, "retrying") {
		t.Fatalf("expected request and retry logs, got:\n%s", out)
	}
	if strings.Contains(out, secret) || strings.Contains(out, donePasscode) {
		t.Errorf("a passcode is in the log:\n%s", out)
	}
	if strings.Contains(out, f.Token) {
		t.Errorf("the access token is in the log:\n%s", out)
	}
}

func list(upn string) func(context.Context, *Client) error {
	return func(ctx context.Context, c *Client) error { _, err := c.ListDevices(ctx, upn); return err }
}

func reset(id string) func(context.Context, *Client) error {
	return func(ctx context.Context, c *Client) error { _, err := c.ResetPasscode(ctx, id); return err }
}

func status(id string) func(context.Context, *Client) error {
	return func(ctx context.Context, c *Client) error { _, err := c.ResetStatus(ctx, id, time.Time{}); return err }
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
