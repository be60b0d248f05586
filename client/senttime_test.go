package client

import (
	"testing"
	"time"
)

// Network time jitters as offset samples come in; messages sent in a row
// must still be dated in order.
func TestSentTimeIsIncreasingWhenNetworkTimeStepsBack(t *testing.T) {
	c := &Client{}
	t0 := time.UnixMilli(1_750_000_000_000)
	a := c.sentTime(t0)
	b := c.sentTime(t0.Add(-3 * time.Millisecond)) // the offset moved back
	d := c.sentTime(t0)
	e := c.sentTime(t0.Add(time.Second))
	if !a.Equal(t0) || !b.After(a) || !d.After(b) || !e.Equal(t0.Add(time.Second)) {
		t.Fatalf("sent times %v %v %v %v: want strictly increasing, and the clock's when it is ahead", a, b, d, e)
	}
}
