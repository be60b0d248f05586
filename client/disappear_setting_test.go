package client

import (
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/keys"
)

// Disappearing reads back the setting as Disappear names its modes: off
// until set, then each mode with its timer and the time of the change;
// an off setting has no timer.
func TestDisappearingSetting(t *testing.T) {
	c, _, err := Create(t.Context(), Options{Home: t.TempDir(), Network: "/nonexistent/network.json"}, "Ann")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer := "05" + strings.Repeat("cd", 32)
	id, err := keys.ParseSessionID(peer)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Disappearing(t.Context(), peer)
	if err != nil || s.Mode != DisappearOff || s.Timer != 0 || !s.Updated.IsZero() {
		t.Fatalf("never set: %+v, %v; want off with no time", s, err)
	}
	at := time.UnixMilli(1_700_000_000_000)
	for i, tc := range []struct {
		d    clientdb.Disappearing
		mode string
	}{
		{clientdb.Disappearing{Mode: clientdb.DisappearingAfterRead, Timer: 5 * time.Minute}, DisappearAfterRead},
		{clientdb.Disappearing{Mode: clientdb.DisappearingAfterSend, Timer: 24 * time.Hour}, DisappearAfterSend},
		{clientdb.Disappearing{Mode: clientdb.DisappearingOff}, DisappearOff},
	} {
		tc.d.Updated = at.Add(time.Duration(i) * time.Minute)
		if _, err := c.db.SetDisappearing(t.Context(), id, tc.d); err != nil {
			t.Fatal(err)
		}
		s, err := c.Disappearing(t.Context(), peer)
		if err != nil || s.Mode != tc.mode || s.Timer != tc.d.Timer || !s.Updated.Equal(tc.d.Updated) {
			t.Errorf("after %+v: %+v, %v", tc.d, s, err)
		}
	}
	if _, err := c.Disappearing(t.Context(), "05nothex"); err == nil {
		t.Error("a bad Session ID is accepted")
	}
}
