package requests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// DNSCache makes a Session keep the addresses a host name resolved to for
// ttl, so that calls to one host do not each ask the resolver. Concurrent
// calls that need the same name share one look-up; every address is kept
// and tried in turn, the connect timeout shared between them; when a
// refresh fails, the last answer is used until one succeeds. Zero (the
// default) turns the cache off: the system resolver is asked on every new
// connection, as net/http does.
//
// It is a Session setting (NewSession, Update): a call given another value
// is refused with ErrSessionOption. It cannot apply with DialContext, which
// resolves names itself: a Session given both fails its calls with
// ErrSessionOption.
func DNSCache(ttl time.Duration) Option {
	return optionFunc(func(c *config) { c.DNSCache = max(ttl, 0) })
}

var errDNSCacheDial = fmt.Errorf("%w: DNSCache cannot apply with DialContext, which resolves names itself", ErrSessionOption)

// dnsCacheMax bounds the names a Session's cache holds: a Session that
// calls many hosts keeps the freshest answers, not one entry per host ever
// called.
const dnsCacheMax = 4096

// dnsLookupTimeout bounds one shared look-up, which outlives the call that
// started it when other calls wait for it too.
const dnsLookupTimeout = 30 * time.Second

// lookupFunc resolves a host name to its addresses.
type lookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// dnsCache is a Session's cache of resolved addresses. Its zero value is
// ready to use, with the system resolver.
type dnsCache struct {
	lookup lookupFunc // nil: net.DefaultResolver; set by tests
	mu     sync.Mutex
	names  map[string]*dnsEntry
}

// dnsEntry is one name's answer, or the look-up under way for it.
type dnsEntry struct {
	addrs   []netip.Addr // the last good answer
	expires time.Time
	flight  *dnsFlight // the look-up under way, if any
}

// dnsFlight is one look-up that every caller needing the name waits for.
type dnsFlight struct {
	done  chan struct{}
	addrs []netip.Addr
	err   error
}

// resolve returns host's addresses, from the cache while they are fresh.
func (d *dnsCache) resolve(ctx context.Context, host string, ttl time.Duration) ([]netip.Addr, error) {
	d.mu.Lock()
	if d.names == nil {
		d.names = map[string]*dnsEntry{}
	}
	e := d.names[host]
	if e == nil {
		if len(d.names) >= dnsCacheMax {
			d.prune()
		}
		e = &dnsEntry{}
		d.names[host] = e
	}
	if e.addrs != nil && time.Now().Before(e.expires) {
		addrs := e.addrs
		d.mu.Unlock()
		return addrs, nil
	}
	f := e.flight
	if f == nil {
		f = &dnsFlight{done: make(chan struct{})}
		e.flight = f
		go d.run(e, f, host, ttl)
	}
	d.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return f.addrs, f.err
}

// run looks host up for every caller waiting on f. A failed refresh falls
// back to the last good answer.
func (d *dnsCache) run(e *dnsEntry, f *dnsFlight, host string, ttl time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), dnsLookupTimeout)
	defer cancel()
	lookup := d.lookup
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	addrs, err := lookup(ctx, "ip", host)
	if err == nil && len(addrs) == 0 {
		err = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	d.mu.Lock()
	switch {
	case err == nil:
		e.addrs, e.expires = addrs, time.Now().Add(ttl)
	case e.addrs != nil:
		addrs, err = e.addrs, nil // stale, but better than failing
	case d.names[host] == e:
		delete(d.names, host) // nothing to fall back on: keep no entry
	}
	e.flight = nil
	d.mu.Unlock()
	f.addrs, f.err = addrs, err
	close(f.done)
}

// prune makes room under dnsCacheMax, d.mu held: expired answers go
// first, then any settled entry. Entries with a look-up under way stay.
func (d *dnsCache) prune() {
	now := time.Now()
	for k, e := range d.names {
		if e.flight == nil && now.After(e.expires) {
			delete(d.names, k)
		}
	}
	for k, e := range d.names {
		if len(d.names) < dnsCacheMax {
			return
		}
		if e.flight == nil {
			delete(d.names, k)
		}
	}
}

// cachedDial dials addr's host through the cache: each address in turn,
// with what is left of the connect timeout shared between those left.
func (d *dnsCache) dial(ttl time.Duration, next DialFunc) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return next(ctx, network, addr)
		}
		ips, err := d.resolve(ctx, host, ttl)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		var errs []error
		for i, ip := range ips {
			actx, cancel := ctx, context.CancelFunc(func() {})
			if deadline, ok := ctx.Deadline(); ok && i < len(ips)-1 {
				share := time.Until(deadline) / time.Duration(len(ips)-i)
				actx, cancel = context.WithTimeout(ctx, share)
			}
			conn, err := next(actx, network, net.JoinHostPort(ip.String(), port))
			cancel()
			if err == nil {
				return conn, nil
			}
			if ctx.Err() != nil {
				return nil, err
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
}
