package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/passbot/passbot/store/redistest"
)

// consoleChat is the real program on its embedded default (console, demo
// fleet, the demo sign-in on a free loopback port) over a real Redis, its
// console typed into by the test.
type consoleChat struct{ terminal }

func startConsoleChat(t *testing.T) *consoleChat {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // bounds every wait
	t.Setenv("PASSBOT_REDIS_URL", redistest.Start(t).URL)
	stdin, in := io.Pipe()
	c := &consoleChat{terminal{t: t, ctx: ctx, in: in, out: newTranscript(), logs: newTranscript()}}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, stdin, c.out, c.logs) }()
	t.Cleanup(func() {
		in.Close()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		cancel()
	})
	c.waitFor("adele.vance@contoso.com") // the greeting, in the console's language
	return c
}

// toSignIn walks Adele to Sign in again on her Galaxy S7 and returns the link
// the console printed.
func (c *consoleChat) toSignIn() string {
	c.t.Helper()
	c.say("reset my passcode", "1", "Reset Passcode", "Sign in again")
	c.waitFor("/signin/")
	link := signInLink.FindString(c.out.String())
	if link == "" {
		c.t.Fatalf("no sign-in link in:\n%s", c.out)
	}
	return link
}

// browser starts Debian's chromium, headless, with a fresh profile (its
// own cookies: a second call is a second person's browser) and nothing that
// calls out of the machine.
func browser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("starts chromium (-short skips it)")
	}
	path, err := exec.LookPath("chromium")
	switch {
	case err != nil && os.Getenv("CI") != "":
		t.Fatal("no chromium on PATH: .ci/run installs Debian's chromium")
	case err != nil:
		t.Skip("no chromium on PATH (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return bctx
}

// signInPage opens link, presses Sign in, signs in on the demo provider's
// page (as login, when set, instead of who it offers) and returns who the
// page offered and the text of the page the browser ends on.
func signInPage(t *testing.T, b context.Context, link, login string) (offered, page string) {
	t.Helper()
	err := chromedp.Do(b,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("go-1")),
		chromedp.Click(chromedp.ID("go-1")),
		chromedp.WaitVisible(chromedp.ID("action-signin")),
	)
	if err == nil {
		offered, err = chromedp.Run(b, chromedp.Value(chromedp.ID("login")))
	}
	if err == nil && login != "" {
		err = chromedp.Do(b, chromedp.SetValue(chromedp.ID("login"), login))
	}
	if err == nil {
		err = chromedp.Do(b, chromedp.Click(chromedp.ID("action-signin")),
			chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Go back to the chat")]`)))
	}
	if err == nil {
		page, err = chromedp.Run(b, chromedp.Text(chromedp.CSS("body")))
	}
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return offered, page
}

func TestSignInInARealBrowser(t *testing.T) {
	c := startConsoleChat(t)
	link := c.toSignIn()
	b := browser(t, c.ctx)
	login, page := signInPage(t, b, link, "")
	if login != "adele.vance@contoso.com" {
		t.Errorf("the provider's page offers %q, want the device's owner", login)
	}
	if !strings.Contains(page, "You are signed in. Go back to the chat.") {
		t.Errorf("page %q", page)
	}
	c.waitFor("✅ You signed in as adele.vance@contoso.com.")
	c.waitFor("Do you have Adele's Galaxy S7 with you?")
	c.say("Yes, reset")
	c.waitFor("Your temporary passcode (letters and numbers) is: ")
}

func TestARefusedSignInInARealBrowser(t *testing.T) {
	c := startConsoleChat(t)
	link := c.toSignIn()
	b := browser(t, c.ctx)
	_, page := signInPage(t, b, link, "lieke.devries@contoso.com")
	if !strings.Contains(page, "You signed in with another account than the owner of the device. Nothing was reset.") {
		t.Errorf("page %q", page)
	}
	c.waitFor("❌ You signed in as lieke.devries@contoso.com, but Adele's Galaxy S7 belongs to another account. Nothing was reset")
	c.say("yes, reset")
	c.waitFor("Which device do you want to manage?") // "reset" starts over: nothing waits for a Yes
	if strings.Contains(c.out.String(), "temporary passcode") {
		t.Errorf("a reset ran:\n%s", c.out)
	}
}

// The login CSRF of issue 20 in real browsers: Adele presses Sign in in her
// browser and the provider's URL is finished in another person's browser.
// That browser is told nothing counts and who asked; the chat offers a new
// link; nothing is reset.
func TestASignInFinishedInAnotherRealBrowserResetsNothing(t *testing.T) {
	c := startConsoleChat(t)
	link := c.toSignIn()
	first := browser(t, c.ctx)
	err := chromedp.Do(first,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("go-1")),
		chromedp.Click(chromedp.ID("go-1")),
		chromedp.WaitVisible(chromedp.ID("action-signin")),
	)
	authorize, lerr := chromedp.Run(first, chromedp.Location())
	if err != nil || lerr != nil {
		t.Fatalf("first browser: %v %v", err, lerr)
	}
	second := browser(t, c.ctx)
	err = chromedp.Do(second,
		chromedp.Navigate(authorize),
		chromedp.WaitVisible(chromedp.ID("action-signin")),
		chromedp.Click(chromedp.ID("action-signin")),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "asked for by")]`)),
	)
	page, perr := chromedp.Run(second, chromedp.Text(chromedp.CSS("body")))
	if err != nil || perr != nil {
		t.Fatalf("second browser: %v %v", err, perr)
	}
	for _, want := range []string{"finished in another browser", "Nothing was reset or linked",
		"asked for by adele.vance@contoso.com on passbot console, to reset the passcode of Adele's Galaxy S7"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q: %q", want, page)
		}
	}
	c.waitFor("That sign-in was finished in another browser")
	// The refusal and the banner again come in one go, before anything else.
	if strings.Contains(c.out.String(), "temporary passcode") || strings.Contains(c.out.String(), "Do you have") {
		t.Errorf("the sign-in counted:\n%s", c.out)
	}
}
