package main

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// aadsts finds Entra ID's error code in a refused token request, such as
// AADSTS7000222, "The provided client secret keys are expired"
// (learn.microsoft.com/entra/identity-platform/reference-error-codes).
var aadsts = regexp.MustCompile(`AADSTS[0-9]+`)

// credentialRecheck is how often readiness asks Entra ID again while the
// credential is refused: a fixed secret makes the replica ready within it.
const credentialRecheck = 30 * time.Second

// tokenReporter receives the outcome of each token request (ops.Metrics).
type tokenReporter interface{ GraphToken(code string) }

// checkedCredential is the Graph app's credential, watched: every token
// request's outcome goes to the metrics, the last refusal is what
// readiness reports, and check asks for a token at start so a wrong or
// expired secret shows before the first employee's reset.
type checkedCredential struct {
	azcore.TokenCredential
	scope  string
	report tokenReporter
	now    func() time.Time

	mu      sync.Mutex
	err     error // the last refusal; nil once a token came
	checked time.Time
}

// GetToken implements azcore.TokenCredential.
func (c *checkedCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.TokenCredential.GetToken(ctx, opts)
	if ctx.Err() != nil && err != nil {
		return tok, err // our own deadline, not Entra ID's answer
	}
	code := ""
	if err != nil {
		if code = aadsts.FindString(err.Error()); code == "" {
			code = "other"
		}
	}
	c.report.GraphToken(code)
	c.mu.Lock()
	c.err, c.checked = err, c.now()
	c.mu.Unlock()
	return tok, err
}

// check asks for a Graph token, as the first reset would.
func (c *checkedCredential) check(ctx context.Context) (azcore.AccessToken, error) {
	return c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
}

// ready is nil while the credential works; while it is refused it asks
// again at most every credentialRecheck.
func (c *checkedCredential) ready(ctx context.Context) error {
	c.mu.Lock()
	err, due := c.err, c.now().Sub(c.checked) >= credentialRecheck
	c.mu.Unlock()
	if err != nil && due {
		_, err = c.check(ctx)
	}
	if err != nil {
		return fmt.Errorf("graph credential: %s", refusal(err))
	}
	return nil
}

// refusal is what the log and /readyz say of a refused token: Entra ID's
// code, or the error (azidentity's errors carry the answer's description,
// never the secret).
func refusal(err error) string {
	if code := aadsts.FindString(err.Error()); code != "" {
		return code + " (learn.microsoft.com/entra/identity-platform/reference-error-codes; AADSTS7000222: the client secret expired, AADSTS7000215: a wrong secret)"
	}
	return err.Error()
}

// logCheck is the start-up line of the credential check.
func logCheck(log *slog.Logger, cfg IntuneConfig, tok azcore.AccessToken, err error) {
	if err != nil {
		log.Error("graph credential refused: resets will fail until it is fixed; /readyz reports it", "tenant", cfg.TenantID, "client_id", cfg.ClientID, "reason", refusal(err))
		return
	}
	log.Info("graph credential ok", "tenant", cfg.TenantID, "client_id", cfg.ClientID, "token_expires", tok.ExpiresOn.UTC().Format(time.RFC3339))
}
