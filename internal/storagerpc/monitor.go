package storagerpc

import (
	"encoding/hex"
	"strconv"

	"github.com/session-go/session-go/internal/keys"
)

// MonitorSignedMessage returns the bytes a monitor (push notification)
// subscription signs: "MONITOR" ‖ hex(33-byte account ID) ‖ timestamp in
// seconds ‖ "1" or "0" (whether message data is wanted) ‖ the namespaces in
// decimal joined by ",". The namespaces must be given, and are sent, in
// strictly ascending order.
func MonitorSignedMessage(account keys.ID, timestamp int64, wantData bool, namespaces []Namespace) []byte {
	b := append([]byte("MONITOR"), hex.EncodeToString(account.Bytes())...)
	b = strconv.AppendInt(b, timestamp, 10)
	if wantData {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	for i, n := range namespaces {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return b
}
