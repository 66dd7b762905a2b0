package demoidp

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Browse does what a person does in a browser with a sign-in link on the
// demo provider: open the link, press Sign in on passbot's page, sign in as
// login (the login hint when empty) on the provider's page, and land on the
// callback. It returns the text of the last page. It is how a piped console
// session signs in; every request goes through the same endpoints a browser
// uses. client carries the requests (nil: http.DefaultClient's transport);
// Browse follows the redirects itself.
func Browse(ctx context.Context, client *http.Client, link, login string) (string, error) {
	c := http.Client{}
	if client != nil {
		c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client = &c
	authorize, err := post(ctx, client, link, url.Values{"go": {"1"}})
	if err != nil {
		return "", err
	}
	q := authorize.Query()
	if login == "" {
		login = q.Get("login_hint")
	}
	form := url.Values{"action": {"signin"}, "login": {login}}
	for _, k := range requestParams {
		if v := q.Get(k); v != "" {
			form.Set(k, v)
		}
	}
	authorize.RawQuery = ""
	callback, err := post(ctx, client, authorize.String(), form)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, callback.String(), nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return pageText(string(body)), err
}

// post submits a form and returns where the answer redirects to.
func post(ctx context.Context, client *http.Client, target string, form url.Values) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("%s", pageText(string(body)))
	}
	return resp.Request.URL.Parse(resp.Header.Get("Location"))
}

var paragraph = regexp.MustCompile(`(?s)<p>(.*?)</p>`)

// pageText is the paragraphs of a page, as plain text.
func pageText(page string) string {
	var lines []string
	for _, m := range paragraph.FindAllStringSubmatch(page, -1) {
		lines = append(lines, html.UnescapeString(m[1]))
	}
	if len(lines) == 0 {
		return strings.TrimSpace(page)
	}
	return strings.Join(lines, " ")
}
