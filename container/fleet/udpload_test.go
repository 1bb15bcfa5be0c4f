package fleet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/echo-activation/echo-server/engine/echotest"
)

// udpLoad sends Rate datagrams a second for Duration, spread over Flows
// client sockets (each its own source port, so a balancer maps each to a
// host of its own), and counts the echoes that come back intact within
// Grace after the last send. Each datagram is Size bytes: a 4-byte sequence
// number, then the flow's payload.
type udpLoad struct {
	Addr     string
	Flows    int
	Rate     int
	Duration time.Duration
	Size     int
	Grace    time.Duration
}

// udpResult counts datagrams: Echoed are intact echoes of distinct
// datagrams; Wrong came back altered; Duplicates came back twice.
type udpResult struct {
	Sent, Echoed, Wrong, Duplicates int64
}

type udpFlow struct {
	c    *net.UDPConn
	body []byte
	sent atomic.Uint32
	seen []bool // by sequence number; only the flow's reader touches it
}

func (l udpLoad) run() (udpResult, error) {
	flows := make([]*udpFlow, l.Flows)
	raddr, err := net.ResolveUDPAddr("udp4", l.Addr)
	if err != nil {
		return udpResult{}, err
	}
	total := int(l.Duration.Seconds() * float64(l.Rate))
	for i := range flows {
		c, err := net.DialUDP("udp4", nil, raddr)
		if err != nil {
			return udpResult{}, err
		}
		flows[i] = &udpFlow{c: c, body: echotest.Payload(l.Size-4, uint64(i)), seen: make([]bool, total/l.Flows+1)}
	}
	var res udpResult
	var wg sync.WaitGroup
	for _, fl := range flows {
		wg.Add(1)
		go func() { defer wg.Done(); fl.read(&res) }()
	}
	res.Sent = l.send(flows, total)
	time.Sleep(l.Grace)
	for _, fl := range flows {
		_ = fl.c.Close()
	}
	wg.Wait()
	return res, nil
}

// send sends total datagrams round-robin over the flows at l.Rate.
func (l udpLoad) send(flows []*udpFlow, total int) int64 {
	interval := time.Second / time.Duration(l.Rate)
	t0 := time.Now()
	msg := make([]byte, l.Size)
	for i := range total {
		time.Sleep(time.Until(t0.Add(time.Duration(i) * interval)))
		fl := flows[i%len(flows)]
		// counted before the write: the echo may be read before Write returns
		binary.BigEndian.PutUint32(msg, fl.sent.Add(1)-1)
		copy(msg[4:], fl.body)
		_, _ = fl.c.Write(msg) // a datagram that could not be sent counts as lost
	}
	return int64(total)
}

// read counts the flow's echoes until its socket is closed.
func (fl *udpFlow) read(res *udpResult) {
	buf := make([]byte, 65536)
	for {
		n, err := fl.c.Read(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // an ICMP error reported on the socket: not an echo
			continue
		}
		seq := binary.BigEndian.Uint32(buf)
		switch {
		case n != len(fl.body)+4 || !bytes.Equal(buf[4:n], fl.body) || seq >= fl.sent.Load():
			atomic.AddInt64(&res.Wrong, 1)
		case fl.seen[seq]:
			atomic.AddInt64(&res.Duplicates, 1)
		default:
			fl.seen[seq] = true
			atomic.AddInt64(&res.Echoed, 1)
		}
	}
}
