package swarm

// mt19937_64 is the 64-bit Mersenne Twister exactly as C++'s std::mt19937_64,
// which oxend seeds from the block hash to make its swarm choices. Go's
// math/rand generators produce different sequences, so the generator is
// spelled out here.
type mt19937_64 struct {
	state [mtN]uint64
	i     int
}

const (
	mtN        = 312
	mtM        = 156
	mtMatrixA  = 0xB5026F5AA96619E9
	mtUpper    = 0xFFFFFFFF80000000 // most significant 33 bits
	mtLower    = 0x7FFFFFFF         // least significant 31 bits
	mtInitMult = 6364136223846793005
)

func newMT19937_64(seed uint64) *mt19937_64 {
	m := &mt19937_64{i: mtN}
	m.state[0] = seed
	for i := 1; i < mtN; i++ {
		prev := m.state[i-1]
		m.state[i] = mtInitMult*(prev^(prev>>62)) + uint64(i)
	}
	return m
}

func (m *mt19937_64) twist() {
	for i := 0; i < mtN; i++ {
		x := m.state[i]&mtUpper | m.state[(i+1)%mtN]&mtLower
		xA := x >> 1
		if x&1 != 0 {
			xA ^= mtMatrixA
		}
		m.state[i] = m.state[(i+mtM)%mtN] ^ xA
	}
	m.i = 0
}

// next returns the next 64-bit output.
func (m *mt19937_64) next() uint64 {
	if m.i >= mtN {
		m.twist()
	}
	x := m.state[m.i]
	m.i++
	x ^= (x >> 29) & 0x5555555555555555
	x ^= (x << 17) & 0x71D67FFFEDA60000
	x ^= (x << 37) & 0xFFF7EEE000000000
	x ^= x >> 43
	return x
}

// uniform returns a value in [0, n) the way oxend's
// tools::uniform_distribution_portable does: reject draws at or above the
// largest multiple of n, then divide (not reduce modulo n). n must be > 0.
func (m *mt19937_64) uniform(n uint64) uint64 {
	const max = ^uint64(0)
	secureMax := max - max%n
	for {
		x := m.next()
		if x < secureMax {
			return x / (secureMax / n)
		}
	}
}
