package entra_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/passbot/passbot/adapters/entra"
)

// The link's page says whose it is (the organisation's name and logo),
// whom to ask, and that Sign in leads to Microsoft's own sign-in page; the
// page's CSP lets the logo's origin in for images only.
func TestTheLinkPageNamesTheOrganisationAndMicrosoft(t *testing.T) {
	t.Parallel()
	r := newRigWith(t, func(c *entra.Config) {
		c.AuthorityURL = "https://login.microsoftonline.com" // the page does not call it; pressing Sign in would
		c.Org = entra.Org{Name: "Contoso Ltd", Logo: "https://cdn.contoso.com/logo.png", Support: "+31 20 123 4567"}
	})
	link := r.toSignIn()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, link, nil)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	html := string(body)
	for _, want := range []string{`<img src="https://cdn.contoso.com/logo.png" alt="">`, "<p>Contoso Ltd</p>",
		"Microsoft&#39;s sign-in page (login.microsoftonline.com)", "Adele&#39;s Galaxy S7", "&#43;31 20 123 4567"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q:\n%s", want, html)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src https://cdn.contoso.com;") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
}
