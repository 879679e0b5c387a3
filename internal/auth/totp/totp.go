// Package totp computes time-based one-time passwords (RFC 6238) as the
// common authenticator apps do: HMAC-SHA-1, 6 digits, 30-second steps. The
// caller passes the time (the injected clock), never the wall clock.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Parameters shared with the authenticator apps.
const (
	Digits = 6
	Period = 30 // seconds per step
	// Window is how many steps before and after the current one are
	// accepted, for clock drift and typing time.
	Window = 1
	// SecretSize is the length of a generated secret in bytes (160 bits,
	// the size RFC 4226 recommends).
	SecretSize = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random secret.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// Encode returns the secret in base32 without padding, as apps expect it.
func Encode(secret []byte) string { return b32.EncodeToString(secret) }

// Decode reads a base32 secret, ignoring spaces, dashes and letter case.
func Decode(s string) ([]byte, error) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(s))
	b, err := b32.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("totp: bad secret")
	}
	return b, nil
}

// Group writes a base32 secret in groups of four for reading aloud or typing.
func Group(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), " ")
}

// Step is the time step of t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// HOTP is the RFC 4226 value of counter as a zero-padded decimal string of
// digits digits, with HMAC-SHA-1.
func HOTP(secret []byte, counter int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// Code is the 6-digit code at time t.
func Code(secret []byte, t time.Time) string { return HOTP(secret, Step(t), Digits) }

// Verify reports whether code is valid at t within the window, and the step
// it matched (so the caller can refuse it, and any earlier step, next time).
// Steps at or before notAfter are never accepted.
func Verify(secret []byte, code string, t time.Time, notAfter int64) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != Digits {
		return 0, false
	}
	now := Step(t)
	for d := int64(-Window); d <= Window; d++ {
		s := now + d
		if s <= notAfter {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(HOTP(secret, s, Digits)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// URI is the otpauth:// URI that authenticator apps read from a QR code.
func URI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer + ":" + account)
	q := url.Values{}
	q.Set("secret", Encode(secret))
	q.Set("issuer", issuer)
	// SHA-1, 6 digits and 30 seconds are every app's defaults; leaving
	// them out keeps the QR code small.
	return "otpauth://totp/" + label + "?" + q.Encode()
}
