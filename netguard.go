package requests

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrDeniedAddress: DenyPrivateNetworks refused the address a connection
// was about to be made to. Nothing was sent. It is not an ErrConnection:
// the network is fine and trying again cannot help, so no Retry policy
// retries it.
var ErrDeniedAddress = newKind("denied address")

// DenyPrivateNetworks(true) refuses to connect to addresses that are not on
// the public internet: loopback, private (RFC 1918), shared (CGNAT,
// 100.64.0.0/10), link-local (cloud metadata at 169.254.169.254 included),
// multicast, unspecified, reserved and broadcast IPv4 addresses; IPv6
// loopback, unspecified, unique local (fc00::/7), link-local (fe80::/10),
// site-local and multicast addresses; and those IPv4 addresses written as
// IPv6 (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4). It guards a
// server that fetches URLs its users give it (SSRF).
//
// The check is on the address actually dialled, after resolution, for every
// connection of every redirect hop and retry, so a name that resolves to a
// public address once and a private one later (DNS rebinding) cannot pass.
// A refused call fails with ErrDeniedAddress before any byte is sent.
// Through a proxy, the address checked is the proxy's: the proxy resolves
// and connects to the target itself, so the guard cannot see it, and a
// proxy must enforce its own policy. With DialContext, the address the
// function connected to is checked before the connection is used; a
// connection that has no IP address (a Unix socket) is refused.
//
// AllowAddresses names exceptions. It is a Session setting (NewSession,
// Update): a call given another value is refused with ErrSessionOption.
func DenyPrivateNetworks(on bool) Option {
	return optionFunc(func(c *config) { c.DenyPrivateNetworks = on })
}

// AllowAddresses exempts addresses from DenyPrivateNetworks: each entry is
// a prefix ("10.1.0.0/16", "fd00::/8") or a single address ("127.0.0.1").
// An entry that parses as neither makes every call fail with
// ErrInvalidAddress. It is a Session setting, like DenyPrivateNetworks.
func AllowAddresses(prefixes ...string) Option {
	list := &allowList{}
	for _, p := range prefixes {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				list.err = fmt.Errorf("%w: %q is neither an address nor a prefix", ErrInvalidAddress, p)
				break
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		list.prefixes = append(list.prefixes, pfx.Masked())
	}
	return optionFunc(func(c *config) {
		c.allow = list
		if list.err != nil && c.err == nil {
			c.err = list.err // a Session's is set again when published
		}
	})
}

// ErrInvalidAddress: AllowAddresses was given something that is neither an
// IP address nor a prefix.
var ErrInvalidAddress = newKind("invalid address")

// allowList is AllowAddresses' parsed prefixes. Transports are keyed by its
// pointer.
type allowList struct {
	prefixes []netip.Prefix
	err      error
}

func (l *allowList) allows(a netip.Addr) bool {
	if l == nil {
		return false
	}
	for _, p := range l.prefixes {
		if p.Contains(a) || p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// guard is the address check of one Transport; nil when off.
type guard struct{ allow *allowList }

// check refuses a denied address.
func (g *guard) check(a netip.Addr) error {
	if g == nil || !isPrivateAddr(a) || g.allow.allows(a) {
		return nil
	}
	return fmt.Errorf("%w: %s is not a public address", ErrDeniedAddress, a)
}

// control is a net.Dialer Control hook: it runs for every address the
// dialer tries, resolved, before the connection is made.
func (g *guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot check %q", ErrDeniedAddress, address)
	}
	return g.check(ap.Addr())
}

// checkConn checks the address a DialFunc connected to, closing the
// connection if it is denied (nothing has been written to it yet).
func (g *guard) checkConn(conn net.Conn) (net.Conn, error) {
	var a netip.Addr
	switch ra := conn.RemoteAddr().(type) {
	case *net.TCPAddr:
		a, _ = netip.AddrFromSlice(ra.IP)
	case *net.UDPAddr:
		a, _ = netip.AddrFromSlice(ra.IP)
	}
	if !a.IsValid() {
		conn.Close()
		return nil, fmt.Errorf("%w: cannot check the address of a %s connection", ErrDeniedAddress, conn.RemoteAddr().Network())
	}
	if err := g.check(a); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// guardedDial is a Transport's dial under DenyPrivateNetworks: the shared
// dialer's settings with the guard as its Control hook, or the caller's
// DialFunc with the connection's address checked.
func (g *guard) dial(dial DialFunc) DialFunc {
	if dial != nil {
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return g.checkConn(conn)
		}
	}
	d := *dialer
	d.Control = g.control
	return d.DialContext
}

var (
	cgnat      = netip.MustParsePrefix("100.64.0.0/10")
	thisNet    = netip.MustParsePrefix("0.0.0.0/8")
	reserved4  = netip.MustParsePrefix("240.0.0.0/4") // broadcast included
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	siteLocal  = netip.MustParsePrefix("fec0::/10")
)

// isPrivateAddr reports whether a is an address DenyPrivateNetworks refuses.
func isPrivateAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() {
		return true
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return isPrivateAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return isPrivateAddr(netip.AddrFrom4([4]byte(b[2:6])))
		case nat64Local.Contains(a), siteLocal.Contains(a):
			return true
		}
	}
	return a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() ||
		cgnat.Contains(a) || thisNet.Contains(a) || reserved4.Contains(a)
}
