package store_test

import (
	"slices"
	"testing"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

func TestLinks(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	links := store.NewLinks(client, bot.Discord)
	ctx := t.Context()

	t.Run("an unlinked user has no UPN", func(t *testing.T) {
		upn, err := links.Get(ctx, "80351110224678912")
		if err != nil || upn != "" {
			t.Fatalf("Get = %q, %v; want empty, nil", upn, err)
		}
	})
	t.Run("an approver links a user, later relinks and unlinks", func(t *testing.T) {
		if err := links.Set(ctx, "discord:approver", "80351110224678912", "adele.vance@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if upn, err := links.Get(ctx, "80351110224678912"); err != nil || upn != "adele.vance@contoso.com" {
			t.Fatalf("Get = %q, %v", upn, err)
		}
		if got, _ := client.Get(ctx, "passbot:link:discord:80351110224678912").Result(); got != "adele.vance@contoso.com" {
			t.Errorf("key passbot:link:discord:<id> holds %q", got)
		}
		if ttl, _ := client.TTL(ctx, "passbot:link:discord:80351110224678912").Result(); ttl > 0 {
			t.Errorf("link expires after %v; links must not expire", ttl)
		}
		if err := links.Set(ctx, "discord:approver", "80351110224678912", "lieke.devries@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if upn, _ := links.Get(ctx, "80351110224678912"); upn != "lieke.devries@contoso.com" {
			t.Fatalf("after relink Get = %q", upn)
		}
		if err := links.Delete(ctx, "discord:approver", "80351110224678912"); err != nil {
			t.Fatal(err)
		}
		if upn, err := links.Get(ctx, "80351110224678912"); err != nil || upn != "" {
			t.Fatalf("after Delete Get = %q, %v", upn, err)
		}
		if err := links.Delete(ctx, "discord:approver", "80351110224678912"); err != nil {
			t.Errorf("deleting a missing link: %v", err)
		}
		// Every change is in the audit trail, by whom and of whom.
		audit, err := store.New(client).RecentAudit(ctx, "discord:80351110224678912", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range audit {
			got = append(got, a.Action+" "+a.UPN+" by "+a.Actor)
		}
		want := []string{"unlink  by discord:approver", "unlink  by discord:approver", "link lieke.devries@contoso.com by discord:approver", "link adele.vance@contoso.com by discord:approver"}
		if !slices.Equal(got, want) {
			t.Errorf("audit %q, want %q", got, want)
		}
	})
	t.Run("an empty UPN is refused", func(t *testing.T) {
		if err := links.Set(ctx, "discord:approver", "1", " "); err == nil {
			t.Error("Set with an empty UPN succeeded")
		}
	})
	t.Run("platforms do not share links", func(t *testing.T) {
		if err := links.Set(ctx, "discord:approver", "42", "adele.vance@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if upn, _ := store.NewLinks(client, bot.Slack).Get(ctx, "42"); upn != "" {
			t.Errorf("slack user 42 sees discord user 42's link %q", upn)
		}
	})
	t.Run("Redis down is an error, not an unlinked user", func(t *testing.T) {
		srv.Stop()
		t.Cleanup(srv.Restart)
		if _, err := links.Get(ctx, "42"); err == nil {
			t.Error("Get with Redis down returned no error")
		}
	})
}
