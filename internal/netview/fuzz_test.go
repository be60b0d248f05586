package netview

import "testing"

// FuzzParseServiceNodes feeds arbitrary seed answers to the parser: it must
// never panic, and an accepted directory must be internally consistent.
func FuzzParseServiceNodes(f *testing.F) {
	f.Add([]byte(`{"result":{"service_node_states":[{"public_ip":"127.0.0.1","storage_port":1,"pubkey_ed25519":"11"}]}}`))
	f.Add([]byte(`{"result":{"service_node_states":[]}}`))
	f.Add([]byte(`{"result":{"service_node_states":[{"public_ip":"127.0.0.1","storage_port":22021,` +
		`"pubkey_ed25519":"0101010101010101010101010101010101010101010101010101010101010101",` +
		`"pubkey_x25519":"0202020202020202020202020202020202020202020202020202020202020202"}]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseServiceNodes(body)
		if err != nil {
			return
		}
		total := 0
		for _, id := range d.SwarmIDs() {
			total += len(d.Swarm(id))
		}
		if total != d.Len() {
			t.Fatalf("swarms hold %d nodes, directory has %d", total, d.Len())
		}
		for _, n := range d.Nodes() {
			if got, ok := d.Node(n.Ed25519); !ok || got != n {
				t.Fatalf("node %s not found by its key", n.Ed25519)
			}
		}
	})
}
