// Package entratest holds the pieces of an imitation of Entra ID that the
// tests' platform imitations share (adapters/intune/graphtest for Graph,
// adapters/teams/bftest for the Bot Framework), so that neither imports the
// other.
package entratest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// TenantDiscovery serves the tenant discovery document MSAL (azidentity)
// reads before its first token request, even with instance discovery off,
// for an imitation of Entra at authority: GET /{tenant}/v2.0/.well-known/openid-configuration.
func TenantDiscovery(authority string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]
		base := strings.TrimRight(authority, "/") + "/" + tenant
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"token_endpoint":         base + "/oauth2/v2.0/token",
			"authorization_endpoint": base + "/oauth2/v2.0/authorize",
			"issuer":                 base + "/v2.0",
		})
	}
}
