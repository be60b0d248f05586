package directory

import "github.com/hashicorp/raft"

func raftAddrOf(s string) raft.ServerAddress { return raft.ServerAddress(s) }
