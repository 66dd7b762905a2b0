package teams

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/teams/bftest"
	"github.com/passbot/passbot/bot"
)

// BenchmarkVerify is the check every incoming activity passes: a
// Bot Framework token verified against the cached keys.
func BenchmarkVerify(b *testing.B) {
	bf := bftest.New(b)
	v := &verifier{appID: bf.AppID, metadataURL: bf.OpenIDURL, client: bf.Client(), now: time.Now}
	header := "Bearer " + bf.Sign(bf.Claims(bf.ServiceURL), nil)
	if err := verifyFor(b.Context(), v, header, "msteams", bf.ServiceURL); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := verifyFor(b.Context(), v, header, "msteams", bf.ServiceURL); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender is a device list of ten buttons as a message activity.
func BenchmarkRender(b *testing.B) {
	r := bot.Reply{Text: "Which device do you want to manage?\nThese are the devices you enrolled in Intune:"}
	for range 10 {
		r.Buttons = append(r.Buttons, bot.Button{Label: "Adele's Galaxy S7 (Android)", Action: "ABCDEFGH|12|4f2b6c1e-8d3a-4c55-9a6e-1b2c3d4e5f60|device:1"})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(message(r)); err != nil {
			b.Fatal(err)
		}
	}
}
