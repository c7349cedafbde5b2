// Package faultproxy is a TCP proxy for fault tests: it forwards to a real
// server (the shared PostgreSQL or Redis) and can cut every connection and
// refuse new ones for a while, without touching the server other tests use.
package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Proxy forwards connections from Addr to a target address.
type Proxy struct {
	l      net.Listener
	target string

	mu      sync.Mutex
	cut     bool
	closed  bool
	trigger []byte // when set, the first client write containing it cuts the proxy
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// New listens on 127.0.0.1:0 and forwards every connection to target (host:port).
func New(target string) (*Proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{l: l, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the host:port clients should dial instead of the target.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// Cut drops every open connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.dropLocked()
}

// CutOn arms a one-shot trigger: the first time a client sends bytes
// containing pattern (a statement's text, a command name), the proxy cuts
// before forwarding them, so the server never sees that request. This places
// a fault at an exact point of a conversation, e.g. between the update
// journal's insert and the report's insert into the same database.
func (p *Proxy) CutOn(pattern string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trigger = []byte(pattern)
}

// IsCut reports whether the proxy is cut now.
func (p *Proxy) IsCut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// Restore accepts and forwards connections again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Close stops the proxy and drops every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.dropLocked()
	p.mu.Unlock()
	err := p.l.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) dropLocked() {
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// track registers c unless the proxy is cut or closed; then it closes c.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		// A cut proxy accepts and closes at once: the client sees a reset
		// connection straight away rather than a hanging dial.
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	defer p.untrack(c)
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(up) {
		return
	}
	defer p.untrack(up)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go func() {
		p.forward(up, c)
		done <- struct{}{}
	}()
	go pipe(c, up)
	<-done // one side ended: close both (deferred), which ends the other copy
}

// forward copies client bytes to the server, checking each chunk (with the
// tail of the previous one, for a pattern split across reads) against the
// armed trigger.
func (p *Proxy) forward(dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	var tail []byte
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if p.tripped(append(tail, chunk...)) {
				return
			}
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
			tail = append(tail[:0], chunk[max(0, n-256):]...)
		}
		if err != nil {
			return
		}
	}
}

// tripped cuts the proxy and reports true when b contains the armed trigger.
func (p *Proxy) tripped(b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.trigger) == 0 || !bytes.Contains(b, p.trigger) {
		return false
	}
	p.trigger = nil
	p.cut = true
	p.dropLocked()
	return true
}
