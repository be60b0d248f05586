package client

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
)

// groupLatencyMessages is how many group messages (and as many 1:1
// messages, the floor) one round of BenchmarkGroupSendReceiveLatency sends.
const groupLatencyMessages = 100

// BenchmarkGroupSendReceiveLatency measures the time from Alice calling
// Send to a group of 100 members (Session's limit) to Bob's OnMessage
// callback firing, with Bob in Run (long-polling the group's swarm). The
// group is real: its key message carries a key for each of the 100
// members. Only Alice and Bob run clients; the other 98 members are
// accounts that exist as keys only (they are invited, and nothing in the
// sending or receiving path waits for them).
//
// The floor is the same trip one-to-one (Alice to Bob's own swarm),
// measured in the same round, interleaved, so that both see the same
// machine: the figure is the group p50 and p99 and their ratio to the
// 1:1 ones. A group send does a little more than a 1:1 send: it first
// fetches the group's key messages, so that it encrypts with the newest
// key (a member added a moment ago holds only that one).
//
//	go test -run '^$' -bench GroupSendReceive -benchtime 1x ./client
func BenchmarkGroupSendReceiveLatency(b *testing.B) {
	benchNet(b)
	ctx := b.Context()
	alice := benchAccount(b, b.TempDir(), "Alice")
	defer alice.Close()
	bob := benchAccount(b, b.TempDir(), "Bob")
	defer bob.Close()
	if _, err := bob.Send(ctx, alice.SessionID(), "hi"); err != nil { // Bob approves Alice
		b.Fatal(err)
	}
	members := []string{bob.SessionID()}
	for len(members) < groups.MaxMembers-1 {
		seed := make([]byte, 32)
		rand.Read(seed)
		id, err := keys.NewIdentity(seed)
		if err != nil {
			b.Fatal(err)
		}
		members = append(members, id.SessionID().String())
	}
	gid, err := alice.CreateGroup(ctx, "Hundred", members...)
	if err != nil {
		b.Fatal(err)
	}
	if mem, err := alice.GroupMembers(ctx, gid); err != nil || len(mem) != groups.MaxMembers {
		b.Fatalf("the group has %d members (%v), want %d", len(mem), err, groups.MaxMembers)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !bob.IsGroup(ctx, gid) {
		bob.Receive(ctx)
		if time.Now().After(deadline) {
			b.Fatal("Bob never joined")
		}
	}

	arrived := make(chan arrival, 16)
	from := alice.SessionID()
	bob.OnMessage(func(m Message) {
		if m.From != from {
			return
		}
		select {
		case arrived <- arrival{m.Conversation + "/" + m.Body, time.Now()}:
		default:
		}
	})
	runCtx, stop := context.WithCancel(ctx)
	var runDone sync.WaitGroup
	runDone.Go(func() { bob.Run(runCtx) })
	defer func() { stop(); runDone.Wait() }()

	roundTrip := func(to, body string) time.Duration {
		start := time.Now()
		m, err := alice.Send(ctx, to, body)
		if err != nil {
			b.Fatalf("send %q: %v", body, err)
		}
		want := m.Conversation + "/" + body
		if to == bob.SessionID() {
			want = alice.SessionID() + "/" + body // Bob's conversation is Alice
		}
		timeout := time.After(60 * time.Second)
		for {
			select {
			case a := <-arrived:
				if a.body == want {
					return a.at.Sub(start)
				}
			case <-timeout:
				b.Fatalf("Bob did not get %q within 60s", body)
			}
		}
	}
	roundTrip(gid, "warm up")
	roundTrip(bob.SessionID(), "warm up")

	var group, direct []time.Duration
	round := 0
	for b.Loop() {
		for i := range groupLatencyMessages {
			group = append(group, roundTrip(gid, fmt.Sprintf("group %d/%d", round, i)))
			direct = append(direct, roundTrip(bob.SessionID(), fmt.Sprintf("direct %d/%d", round, i)))
		}
		round++
	}
	slices.Sort(group)
	slices.Sort(direct)
	g50, g99 := percentile(group, 50), percentile(group, 99)
	d50, d99 := percentile(direct, 50), percentile(direct, 99)
	b.ReportMetric(ms(g50), "p50-ms")
	b.ReportMetric(ms(g99), "p99-ms")
	b.ReportMetric(ms(d50), "floor-p50-ms")
	b.ReportMetric(ms(d99), "floor-p99-ms")
	b.ReportMetric(float64(g50)/float64(d50), "p50-x-floor")
	b.ReportMetric(float64(g99)/float64(d99), "p99-x-floor")
	b.Logf("group of %d: send→receive p50 %v, p99 %v; 1:1 floor p50 %v, p99 %v; ratio p50 %.2f×, p99 %.2f× (%d messages each)",
		groups.MaxMembers, g50.Round(time.Millisecond), g99.Round(time.Millisecond), d50.Round(time.Millisecond), d99.Round(time.Millisecond),
		float64(g50)/float64(d50), float64(g99)/float64(d99), len(group))
}
