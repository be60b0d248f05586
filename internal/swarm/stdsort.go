package swarm

// sortBySize orders swarms by member count, smallest first, visiting elements
// in exactly the order GCC's libstdc++ std::sort does (introsort: median-of-
// three quicksort down to runs of 16, heapsort past the depth limit, then one
// insertion-sort pass). std::sort is not stable, and oxend draws a random
// index into the sorted list, so which of several equally sized swarms ends up
// where decides which swarm a node joins. A stable sort would pick different
// swarms than oxend does.
func sortBySize(s []swarmSize) {
	if len(s) < 2 {
		return
	}
	introsortLoop(s, 0, len(s), 2*floorLog2(len(s)))
	finalInsertionSort(s, 0, len(s))
}

// sortThreshold is libstdc++'s _S_threshold.
const sortThreshold = 16

func lessSize(a, b swarmSize) bool { return a.size < b.size }

func floorLog2(n int) int {
	l := -1
	for n > 0 {
		n >>= 1
		l++
	}
	return l
}

func introsortLoop(s []swarmSize, first, last, depth int) {
	for last-first > sortThreshold {
		if depth == 0 {
			heapSort(s, first, last)
			return
		}
		depth--
		cut := partitionPivot(s, first, last)
		introsortLoop(s, cut, last, depth)
		last = cut
	}
}

func partitionPivot(s []swarmSize, first, last int) int {
	mid := first + (last-first)/2
	moveMedianToFirst(s, first, first+1, mid, last-1)
	return unguardedPartition(s, first+1, last, first)
}

func moveMedianToFirst(s []swarmSize, result, a, b, c int) {
	switch {
	case lessSize(s[a], s[b]):
		switch {
		case lessSize(s[b], s[c]):
			s[result], s[b] = s[b], s[result]
		case lessSize(s[a], s[c]):
			s[result], s[c] = s[c], s[result]
		default:
			s[result], s[a] = s[a], s[result]
		}
	case lessSize(s[a], s[c]):
		s[result], s[a] = s[a], s[result]
	case lessSize(s[b], s[c]):
		s[result], s[c] = s[c], s[result]
	default:
		s[result], s[b] = s[b], s[result]
	}
}

func unguardedPartition(s []swarmSize, first, last, pivot int) int {
	for {
		for lessSize(s[first], s[pivot]) {
			first++
		}
		last--
		for lessSize(s[pivot], s[last]) {
			last--
		}
		if first >= last {
			return first
		}
		s[first], s[last] = s[last], s[first]
		first++
	}
}

func finalInsertionSort(s []swarmSize, first, last int) {
	if last-first > sortThreshold {
		insertionSort(s, first, first+sortThreshold)
		for i := first + sortThreshold; i < last; i++ {
			unguardedLinearInsert(s, i)
		}
		return
	}
	insertionSort(s, first, last)
}

func insertionSort(s []swarmSize, first, last int) {
	for i := first + 1; i < last; i++ {
		if lessSize(s[i], s[first]) {
			v := s[i]
			copy(s[first+1:i+1], s[first:i])
			s[first] = v
		} else {
			unguardedLinearInsert(s, i)
		}
	}
}

func unguardedLinearInsert(s []swarmSize, last int) {
	v := s[last]
	next := last - 1
	for lessSize(v, s[next]) {
		s[last] = s[next]
		last = next
		next--
	}
	s[last] = v
}

// heapSort is libstdc++'s __partial_sort(first, last, last): make_heap, then
// sort_heap.
func heapSort(s []swarmSize, first, last int) {
	h := s[first:last]
	n := len(h)
	if n >= 2 {
		for parent := (n - 2) / 2; ; parent-- {
			adjustHeap(h, parent, n, h[parent])
			if parent == 0 {
				break
			}
		}
	}
	for end := n - 1; end > 0; end-- {
		v := h[end]
		h[end] = h[0]
		adjustHeap(h, 0, end, v)
	}
}

func adjustHeap(h []swarmSize, hole, n int, v swarmSize) {
	top := hole
	child := hole
	for child < (n-1)/2 {
		child = 2 * (child + 1)
		if lessSize(h[child], h[child-1]) {
			child--
		}
		h[hole] = h[child]
		hole = child
	}
	if n&1 == 0 && child == (n-2)/2 {
		child = 2 * (child + 1)
		h[hole] = h[child-1]
		hole = child - 1
	}
	parent := (hole - 1) / 2
	for hole > top && lessSize(h[parent], v) {
		h[hole] = h[parent]
		hole = parent
		parent = (hole - 1) / 2
	}
	h[hole] = v
}
