module github.com/session-go/session-go

go 1.26.0

require (
	filippo.io/edwards25519 v1.2.0
	golang.org/x/crypto v0.58.0
	google.golang.org/protobuf v1.36.12
)

require golang.org/x/sys v0.49.0 // indirect

tool google.golang.org/protobuf/cmd/protoc-gen-go
