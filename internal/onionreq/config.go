package onionreq

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onion"
)

// Diversity selects the subnet-diversity rule for path hops.
type Diversity int

const (
	// DiversityAuto keeps at most one node per subnet (/24 for IPv4, /48 for
	// IPv6) in a path, except for loopback addresses, which a devnet's nodes
	// all share.
	DiversityAuto Diversity = iota
	// DiversityOn keeps at most one node per subnet in a path, loopback
	// addresses included.
	DiversityOn
	// DiversityOff lets a path's hops share subnets.
	DiversityOff
)

// Config configures a [Client]. Zero fields take the defaults given, which
// are Session's (desktop client and libsession-util) values.
type Config struct {
	// Source gives the list of service nodes: usually a
	// [netview.SeedSource] asking seed nodes. Required.
	Source netview.Source
	// Transport carries requests to guards; nil means a new [HTTPTransport].
	Transport Transport
	// Logger receives debug messages about pool loads, paths and strikes;
	// nil discards them.
	Logger *slog.Logger

	// EncType is the onion layers' cipher: [onion.XChaCha20] (the default)
	// or [onion.AESGCM].
	EncType onion.EncType
	// Paths is how many onion paths to keep (3).
	Paths int
	// Hops is the number of service nodes in a path, guard included (3).
	Hops int
	// SubnetDiversity is the subnet rule for the hops of a path.
	SubnetDiversity Diversity
	// PathRotation replaces paths older than this; 0 keeps them until they fail.
	PathRotation time.Duration

	// NodeStrikes is how many failures drop a node (3).
	NodeStrikes int
	// PathStrikes is how many failures drop a path and its guard (3).
	PathStrikes int
	// MaxAttempts is how many paths one request tries (3), and how many
	// nodes get_swarm and [Client.SwarmRPC] try.
	MaxAttempts int

	// MinPoolSize: when strikes shrink the pool below this, it is loaded
	// again (12).
	MinPoolSize int
	// PoolExpiry is how long a loaded pool is used before it is loaded again
	// (2 h).
	PoolExpiry time.Duration
	// PoolMinLifetime is the least time between two loads prompted by a
	// shrinking pool (2 s).
	PoolMinLifetime time.Duration
	// MinSwarmSize: a cached swarm that strikes shrank below this is fetched
	// again (3).
	MinSwarmSize int
	// SwarmTTL is how long a cached swarm is used before it is fetched again
	// (1 h).
	SwarmTTL time.Duration

	// RequestTimeout bounds one onion request through one path (10 s).
	RequestTimeout time.Duration
	// GuardTimeout bounds the direct test of a new guard (10 s).
	GuardTimeout time.Duration
	// MaxResponseSize caps any answer read from a guard (16 MiB: a 10 MiB
	// reply in base64, with room to spare).
	MaxResponseSize int64
}

// withDefaults returns cfg with zero fields set to their defaults, or an
// error for values that cannot work.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Source == nil {
		return cfg, fmt.Errorf("onionreq: Config.Source is required")
	}
	if cfg.EncType == 0 {
		cfg.EncType = onion.XChaCha20
	}
	if cfg.EncType != onion.XChaCha20 && cfg.EncType != onion.AESGCM {
		return cfg, fmt.Errorf("onionreq: Config.EncType %v: want xchacha20 or aes-gcm", cfg.EncType)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Paths, 3)
	def(&cfg.Hops, 3)
	def(&cfg.NodeStrikes, 3)
	def(&cfg.PathStrikes, 3)
	def(&cfg.MaxAttempts, 3)
	def(&cfg.MinPoolSize, 12)
	def(&cfg.MinSwarmSize, 3)
	defDur(&cfg.PoolExpiry, 2*time.Hour)
	defDur(&cfg.PoolMinLifetime, 2*time.Second)
	defDur(&cfg.SwarmTTL, time.Hour)
	defDur(&cfg.RequestTimeout, 10*time.Second)
	defDur(&cfg.GuardTimeout, 10*time.Second)
	if cfg.MaxResponseSize <= 0 {
		cfg.MaxResponseSize = 16 << 20
	}
	if cfg.Hops > onion.MaxHops {
		return cfg, fmt.Errorf("onionreq: Config.Hops %d: at most %d", cfg.Hops, onion.MaxHops)
	}
	if cfg.SubnetDiversity < DiversityAuto || cfg.SubnetDiversity > DiversityOff {
		return cfg, fmt.Errorf("onionreq: Config.SubnetDiversity %d is unknown", cfg.SubnetDiversity)
	}
	return cfg, nil
}
