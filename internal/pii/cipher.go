package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// KeySize is the length in bytes of the master key.
const KeySize = 32

// Errors returned by [Cipher] and the key functions.
var (
	ErrKeySize           = errors.New("密钥长度应为32字节")
	ErrCiphertextFormat  = errors.New("密文格式无效")
	ErrCiphertextVersion = errors.New("不支持的密文版本")
	ErrDecrypt           = errors.New("解密失败：密文已损坏或密钥不匹配")
)

// ciphertextVersion prefixes every encrypted value so that the format or
// key derivation can change later without ambiguity.
const ciphertextVersion = "v1"

// Labels for deriving independent subkeys from the master key.
const (
	encKeyInfo = "shegong pii v1 encryption"
	macKeyInfo = "shegong pii v1 blind index"
)

// Cipher encrypts personal data for storage and computes blind indexes for
// exact-match lookup. It is safe for concurrent use.
type Cipher struct {
	aead    cipher.AEAD
	macKey  []byte
	observe atomic.Pointer[func(string)]
}

// Observe calls fn with every plaintext Encrypt is given from now on. Test
// suites use it to learn the values that must never appear in plaintext in
// responses, logs or database files.
func (c *Cipher) Observe(fn func(plaintext string)) { c.observe.Store(&fn) }

// NewCipher returns a Cipher for a 32-byte master key. Separate encryption
// and blind-index keys are derived from it with HKDF-SHA256, so a leaked
// blind index key does not expose the encryption key and vice versa.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	encKey, err := hkdf.Key(sha256.New, key, nil, encKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("派生加密密钥失败：%w", err)
	}
	macKey, err := hkdf.Key(sha256.New, key, nil, macKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("派生索引密钥失败：%w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("初始化加密算法失败：%w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("初始化加密算法失败：%w", err)
	}
	return &Cipher{aead: aead, macKey: macKey}, nil
}

// Encrypt encrypts plaintext with AES-256-GCM under a random 12-byte nonce
// and returns text suitable for a TEXT column: "v1:" followed by the standard
// base64 encoding of nonce and ciphertext. Encrypting the same value twice
// gives different results; use [Cipher.BlindIndex] for lookups. The empty
// string is returned unchanged so that absent values stay empty.
func (c *Cipher) Encrypt(plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	if fn := c.observe.Load(); fn != nil {
		(*fn)(plaintext)
	}
	nonceSize := c.aead.NonceSize()
	buf := make([]byte, nonceSize, nonceSize+len(plaintext)+c.aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("生成随机数失败：%w", err)
	}
	buf = c.aead.Seal(buf, buf[:nonceSize], []byte(plaintext), []byte(ciphertextVersion))
	return ciphertextVersion + ":" + base64.StdEncoding.EncodeToString(buf), nil
}

// Decrypt reverses [Cipher.Encrypt]. The empty string decrypts to the empty
// string. It returns [ErrCiphertextFormat] or [ErrCiphertextVersion] for
// malformed input and [ErrDecrypt] if the value was modified or encrypted
// under a different key.
func (c *Cipher) Decrypt(ciphertext string) (string, error) {
	if ciphertext == "" {
		return "", nil
	}
	version, payload, ok := strings.Cut(ciphertext, ":")
	if !ok {
		return "", ErrCiphertextFormat
	}
	if version != ciphertextVersion {
		return "", ErrCiphertextVersion
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(payload)
	if err != nil {
		return "", ErrCiphertextFormat
	}
	nonceSize := c.aead.NonceSize()
	if len(raw) < nonceSize+c.aead.Overhead() {
		return "", ErrCiphertextFormat
	}
	plain, err := c.aead.Open(nil, raw[:nonceSize], raw[nonceSize:], []byte(ciphertextVersion))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}

// BlindIndex returns a deterministic keyed hash (hex-encoded HMAC-SHA256) of
// value for exact-match lookup of encrypted data, for example
// BlindIndex("phone", NormalizePhone(input)). Pass the normalized value so
// that different spellings of the same number match. The kind (such as
// "id_number" or "phone") is part of the hash, so equal values of different
// kinds produce different indexes.
func (c *Cipher) BlindIndex(kind, value string) string {
	m := hmac.New(sha256.New, c.macKey)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(kind)))
	m.Write(n[:])
	m.Write([]byte(kind))
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
