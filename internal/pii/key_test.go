package pii_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"shegong/internal/pii"
)

func TestKeyFromString(t *testing.T) {
	key := testKey(7)
	enc := base64.StdEncoding.EncodeToString(key)

	got, err := pii.KeyFromString(enc)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("KeyFromString(valid) = %x, %v", got, err)
	}
	got, err = pii.KeyFromString("  " + enc + "\n")
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("KeyFromString(with spaces) = %x, %v", got, err)
	}

	tests := []struct {
		in   string
		want error
	}{
		{"", pii.ErrKeySize},
		{"not base64!", pii.ErrKeyEncoding},
		{strings.TrimRight(enc, "="), pii.ErrKeyEncoding},
		{base64.StdEncoding.EncodeToString(make([]byte, 16)), pii.ErrKeySize},
		{base64.StdEncoding.EncodeToString(make([]byte, 33)), pii.ErrKeySize},
	}
	for _, tt := range tests {
		if _, err := pii.KeyFromString(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("KeyFromString(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets", "pii")
	path := filepath.Join(dir, "master.key")

	key, err := pii.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != pii.KeySize {
		t.Fatalf("key length = %d, want %d", len(key), pii.KeySize)
	}
	if bytes.Equal(key, make([]byte, pii.KeySize)) {
		t.Fatal("generated key is all zeros")
	}

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode = %o, want 600", perm)
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := di.Mode().Perm(); perm != 0o700 {
			t.Errorf("key directory mode = %o, want 700", perm)
		}
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := pii.KeyFromString(string(data))
	if err != nil || !bytes.Equal(fromFile, key) {
		t.Fatalf("key file does not hold the returned key: %v", err)
	}

	again, err := pii.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, key) {
		t.Fatal("reloading the key file gave a different key")
	}

	other, err := pii.LoadOrCreateKey(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, key) {
		t.Fatal("two generated keys are equal")
	}
}

func TestLoadOrCreateKeyKeepsDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pii.LoadOrCreateKey(path); !errors.Is(err, pii.ErrKeyEncoding) {
		t.Fatalf("got %v, want ErrKeyEncoding", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "damaged" {
		t.Fatal("damaged key file was overwritten")
	}
}
