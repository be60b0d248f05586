// Package signalpb is the Go code protoc-gen-go generates from
// proto/SignalService.proto, Session's wire schema (Envelope, Content,
// WebSocketMessage and the messages they carry). The .pb.go file is
// generated and committed; see the README's development section to
// regenerate it.
package signalpb
