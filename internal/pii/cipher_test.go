package pii_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"shegong/internal/pii"
)

func testKey(fill byte) []byte {
	return bytes.Repeat([]byte{fill}, pii.KeySize)
}

func newTestCipher(t testing.TB, fill byte) *pii.Cipher {
	t.Helper()
	c, err := pii.NewCipher(testKey(fill))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewCipherKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := pii.NewCipher(make([]byte, n)); !errors.Is(err, pii.ErrKeySize) {
			t.Errorf("NewCipher with %d-byte key: got %v, want ErrKeySize", n, err)
		}
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	c := newTestCipher(t, 1)
	for _, in := range []string{
		"",
		"a",
		"11010519491231002X",
		"13812345678",
		"广东省东莞市莞城区某某路1号",
		strings.Repeat("长文本", 10000),
		"\x00\xff invalid utf-8",
	} {
		enc, err := c.Encrypt(in)
		if err != nil {
			t.Fatalf("Encrypt(%q): %v", in, err)
		}
		if in != "" && !strings.HasPrefix(enc, "v1:") {
			t.Errorf("Encrypt(%q) = %q, want v1: prefix", in, enc)
		}
		// Short plaintexts may appear in base64 output by chance.
		if len(in) >= 8 && strings.Contains(enc, in) {
			t.Errorf("Encrypt(%q) output contains the plaintext", in)
		}
		dec, err := c.Decrypt(enc)
		if err != nil {
			t.Fatalf("Decrypt(Encrypt(%q)): %v", in, err)
		}
		if dec != in {
			t.Errorf("round trip of %q gave %q", in, dec)
		}
	}
}

func TestEncryptEmpty(t *testing.T) {
	c := newTestCipher(t, 1)
	if enc, err := c.Encrypt(""); enc != "" || err != nil {
		t.Fatalf(`Encrypt("") = %q, %v; want "", nil`, enc, err)
	}
}

func TestEncryptUsesFreshNonce(t *testing.T) {
	c := newTestCipher(t, 1)
	a, _ := c.Encrypt("13812345678")
	b, _ := c.Encrypt("13812345678")
	if a == b {
		t.Fatal("encrypting the same value twice gave identical output")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "v1:"))
	if err != nil {
		t.Fatal(err)
	}
	// 12-byte nonce, 11-byte plaintext, 16-byte tag.
	if len(raw) != 12+11+16 {
		t.Fatalf("payload length = %d, want %d", len(raw), 12+11+16)
	}
}

func TestDecryptTampered(t *testing.T) {
	c := newTestCipher(t, 1)
	enc, err := c.Encrypt("11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(enc, "v1:"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		mod := bytes.Clone(raw)
		mod[i] ^= 0x01
		tampered := "v1:" + base64.StdEncoding.EncodeToString(mod)
		if _, err := c.Decrypt(tampered); !errors.Is(err, pii.ErrDecrypt) {
			t.Fatalf("flipping byte %d: got %v, want ErrDecrypt", i, err)
		}
	}
	truncated := "v1:" + base64.StdEncoding.EncodeToString(raw[:len(raw)-1])
	if _, err := c.Decrypt(truncated); !errors.Is(err, pii.ErrDecrypt) {
		t.Fatalf("truncated: got %v, want ErrDecrypt", err)
	}
	extended := "v1:" + base64.StdEncoding.EncodeToString(append(bytes.Clone(raw), 0))
	if _, err := c.Decrypt(extended); !errors.Is(err, pii.ErrDecrypt) {
		t.Fatalf("extended: got %v, want ErrDecrypt", err)
	}
}

func TestDecryptWrongKey(t *testing.T) {
	enc, err := newTestCipher(t, 1).Encrypt("13812345678")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newTestCipher(t, 2).Decrypt(enc); !errors.Is(err, pii.ErrDecrypt) {
		t.Fatalf("got %v, want ErrDecrypt", err)
	}
}

func TestDecryptMalformed(t *testing.T) {
	c := newTestCipher(t, 1)
	short := "v1:" + base64.StdEncoding.EncodeToString(make([]byte, 27))
	tests := []struct {
		in   string
		want error
	}{
		{"13812345678", pii.ErrCiphertextFormat},
		{"v1:", pii.ErrCiphertextFormat},
		{"v1:!!!!", pii.ErrCiphertextFormat},
		{"v1:" + "AAAA\n", pii.ErrCiphertextFormat},
		{short, pii.ErrCiphertextFormat},
		{"v2:AAAA", pii.ErrCiphertextVersion},
		{":AAAA", pii.ErrCiphertextVersion},
	}
	for _, tt := range tests {
		if _, err := c.Decrypt(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("Decrypt(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestBlindIndex(t *testing.T) {
	c1 := newTestCipher(t, 1)
	c1again := newTestCipher(t, 1)
	c2 := newTestCipher(t, 2)

	a := c1.BlindIndex("phone", "13812345678")
	if len(a) != 64 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("BlindIndex = %q, want 64 lowercase hex characters", a)
	}
	if b := c1.BlindIndex("phone", "13812345678"); a != b {
		t.Error("BlindIndex is not deterministic")
	}
	if b := c1again.BlindIndex("phone", "13812345678"); a != b {
		t.Error("BlindIndex differs between ciphers with the same key")
	}
	if b := c2.BlindIndex("phone", "13812345678"); a == b {
		t.Error("BlindIndex does not depend on the key")
	}
	if b := c1.BlindIndex("id_number", "13812345678"); a == b {
		t.Error("BlindIndex does not depend on the kind")
	}
	if b := c1.BlindIndex("phone", "13812345679"); a == b {
		t.Error("BlindIndex does not depend on the value")
	}
	if c1.BlindIndex("ab", "c") == c1.BlindIndex("a", "bc") {
		t.Error("BlindIndex is ambiguous at the kind/value boundary")
	}
	if c1.BlindIndex("phone", "") == c1.BlindIndex("", "phone") {
		t.Error("BlindIndex is ambiguous for an empty kind")
	}
}

func TestCipherConcurrentUse(t *testing.T) {
	c := newTestCipher(t, 1)
	done := make(chan error)
	for range 8 {
		go func() {
			for range 100 {
				enc, err := c.Encrypt("13812345678")
				if err == nil {
					var dec string
					dec, err = c.Decrypt(enc)
					if err == nil && dec != "13812345678" {
						err = errors.New("round trip mismatch")
					}
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
