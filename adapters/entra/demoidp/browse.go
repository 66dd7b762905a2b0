package demoidp

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// Browser does what a person does in a browser with a sign-in link on the
// demo provider, one step at a time, through the same endpoints and
// redirects a browser follows. It is how a piped console session signs in,
// and how tests replay or tamper with a step.
type Browser struct{ client *http.Client }

// NewBrowser returns a browser whose requests go through client (nil:
// http.DefaultClient's transport); it follows redirects itself and, like a
// browser, keeps cookies (a jar of its own unless client has one).
func NewBrowser(client *http.Client) *Browser {
	c := http.Client{}
	if client != nil {
		c = *client
	}
	if c.Jar == nil {
		c.Jar, _ = cookiejar.New(nil) // never fails without options
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Browser{client: &c}
}

// Open presses Sign in on the link's page and returns the provider's
// authorization URL it is sent to.
func (b *Browser) Open(ctx context.Context, link string) (*url.URL, error) {
	return b.post(ctx, link, url.Values{"go": {"1"}})
}

// Answer answers the provider's page at authorize: action "signin" as login
// (the login hint when empty), or "cancel". It returns the callback URL the
// provider sends the browser back to.
func (b *Browser) Answer(ctx context.Context, authorize *url.URL, login, action string) (*url.URL, error) {
	q := authorize.Query()
	if login == "" {
		login = q.Get("login_hint")
	}
	form := url.Values{"action": {action}, "login": {login}}
	for _, k := range requestParams {
		if v := q.Get(k); v != "" {
			form.Set(k, v)
		}
	}
	target := *authorize
	target.RawQuery = ""
	return b.post(ctx, target.String(), form)
}

// Get loads a page and returns its status and text.
func (b *Browser) Get(ctx context.Context, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, PageText(string(body)), err
}

// Browse signs in with link as login (the expected person when empty) and
// returns the text of the page the browser ends on.
func Browse(ctx context.Context, client *http.Client, link, login string) (string, error) {
	b := NewBrowser(client)
	authorize, err := b.Open(ctx, link)
	if err != nil {
		return "", err
	}
	callback, err := b.Answer(ctx, authorize, login, "signin")
	if err != nil {
		return "", err
	}
	_, page, err := b.Get(ctx, callback.String())
	return page, err
}

// post submits a form and returns where the answer redirects to; an answer
// that does not redirect is an error carrying its page's text.
func (b *Browser) post(ctx context.Context, target string, form url.Values) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// A browser names the origin of the page whose form it posts: here the
	// form's own, as on passbot's and the provider's pages.
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("%s", PageText(string(body)))
	}
	return resp.Request.URL.Parse(resp.Header.Get("Location"))
}

var paragraph = regexp.MustCompile(`(?s)<p>(.*?)</p>`)

// PageText is the paragraphs of a page, as plain text.
func PageText(page string) string {
	var lines []string
	for _, m := range paragraph.FindAllStringSubmatch(page, -1) {
		lines = append(lines, html.UnescapeString(m[1]))
	}
	if len(lines) == 0 {
		return strings.TrimSpace(page)
	}
	return strings.Join(lines, " ")
}
