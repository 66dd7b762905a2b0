// Package intune implements bot.Devices over Microsoft Graph: the Intune
// managed devices of a user, the resetPasscode and remoteLock actions, and
// the action results that carry the temporary passcode.
//
// It speaks Graph with net/http and encoding/json. The Microsoft Graph SDK for
// Go (msgraph-sdk-go) covers every Graph resource and pulls in Kiota and its
// serialisation stack; passbot makes four calls, so the SDK would be most of
// the binary for none of the benefit.
//
// # Calls
//
//	ListDevices    GET  {URL}/users/{id | upn}/managedDevices?$select=…   (follows @odata.nextLink)
//	ResetPasscode  POST {URL}/deviceManagement/managedDevices/{id}/resetPasscode   → 204
//	RemoteLock     POST {URL}/deviceManagement/managedDevices/{id}/remoteLock      → 204
//	ResetStatus    GET  {URL}/deviceManagement/managedDevices/{id}?$select=id,deviceActionResults
//
// ResetPasscode only starts the reset and answers bot.ActionPending; the
// temporary passcode arrives later as the passcode of the latest
// resetPasscodeActionResult, which ResetStatus reads one device at a time
// (list queries are reported to return deviceActionResults empty). The
// passcode is returned to the caller and never logged or stored here.
//
// # beta or v1.0
//
// URL (PASSBOT_GRAPH_URL) defaults to https://graph.microsoft.com/beta.
// device.Managed.Kind needs what only beta reports: v1.0's managedDevice has no
// deviceType and its deviceEnrollmentType has no androidEnterprise* values,
// so on v1.0 an Android Enterprise work-profile device (deviceEnrollmentType
// userEnrollment, no deviceType) classifies as Android device administrator
// and gets that platform's answer (factory reset from Android 7.0) instead
// of the helpdesk route (unless managementAgent shows Google's device policy
// controller), and a Windows 10 Mobile device that reports operatingSystem
// Windows classifies as a Windows PC, which has no passcode reset (Windows
// Phone 8.1 still shows by its 8.x osVersion). Microsoft may change beta APIs
// without notice.
//
// v1.0 keeps working, for tenants whose policy forbids beta:
// ListDevices selects deviceType only when URL is a beta endpoint, because
// v1.0 answers 400 to a $select naming a property it lacks, and
// resetPasscodeActionResult with its passcode is in v1.0 since 2024-09.
// Android Enterprise devices managed by Google's device policy controller
// (managementAgent googleCloudDevicePolicyController) are recognised on
// v1.0 as well.
//
// # One request path
//
// Every call goes through one send method: it checks the circuit breaker,
// waits for the write limiter before each POST attempt, gets a token, sets
// Authorization, Accept and client-request-id, applies Config.Timeout per
// attempt, decodes the JSON answer or Graph's error body into a graphError,
// and retries 429, 503 and 504 (and, for reads only, network errors and
// timeouts) up to Config.MaxAttempts times. It waits what Retry-After says,
// or a jittered exponential backoff (1 s doubling to 30 s) when Graph sends
// none, and gives up at once when Retry-After exceeds a minute or the wait
// would outlive the caller's context. An Observer (ops.Metrics) hears of
// every attempt. Failures come back as
// *bot.Error with one of the ErrCode constants; the wrapped error, for the
// log, carries Graph's status, code, request-id and, on 403, the permission
// the app registration lacks.
//
// After a run of consecutive failures (5xx, 429 after all attempts, network
// errors, timeouts) the circuit breaker stops calling Graph for a cool-down
// and fails fast with bot.ErrCodeUnavailable; then one probe call decides
// whether to close it again.
//
// Intune allows 200 write requests per 20 seconds per app and tenant. A
// Limiter is waited on before every POST; store.WriteLimiter is a token
// bucket in Redis shared by all replicas that queues callers rather than
// failing them.
//
// # Connect to Intune
//
// Register an application in Microsoft Entra ID (App registrations → New
// registration), then under API permissions → Add a permission → Microsoft
// Graph → Application permissions add
//
//   - DeviceManagementManagedDevices.Read.All, to list a user's devices and
//     read action results, and
//   - DeviceManagementManagedDevices.PrivilegedOperations.All, to reset
//     passcodes and lock devices,
//
// and press "Grant admin consent for <tenant>" (a Global Administrator or
// Privileged Role Administrator must do this). The tenant needs an active
// Intune licence. Create a client secret or upload a certificate under
// Certificates & secrets and set PASSBOT_GRAPH_TENANT_ID,
// PASSBOT_GRAPH_CLIENT_ID and PASSBOT_GRAPH_CLIENT_SECRET (or
// PASSBOT_GRAPH_CERTIFICATE_PATH). NewCredential also accepts workload
// identity, managed identity and the standard AZURE_* variables; see there.
// With Azure CLI the same is:
//
//	az ad app create --display-name passbot
//	az ad sp create --id <appId>
//	az ad app permission add --id <appId> --api 00000003-0000-0000-c000-000000000000 \
//	  --api-permissions 2f51be20-0bb4-4fed-bf7b-db946066c75e=Role 5b07b0dd-2377-4e44-a38d-703f09a0dc3c=Role
//	az ad app permission admin-consent --id <appId>
//	az ad app credential reset --id <appId>
//
// (2f51be20-… is DeviceManagementManagedDevices.Read.All, 5b07b0dd-… is
// DeviceManagementManagedDevices.PrivilegedOperations.All.)
package intune
