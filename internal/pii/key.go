package pii

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrKeyEncoding is returned when a key is not valid base64.
var ErrKeyEncoding = errors.New("密钥不是有效的Base64编码")

// KeyFromString decodes a master key given as standard base64 (for example
// from configuration or an environment variable). Surrounding white space is
// ignored. The decoded key must be exactly 32 bytes.
func KeyFromString(s string) ([]byte, error) {
	key, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, ErrKeyEncoding
	}
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	return key, nil
}

// LoadOrCreateKey reads a master key stored as base64 in the file at path.
// If the file does not exist, it generates a random key, creates the parent
// directory with mode 0700 if needed and writes the key with mode 0600. An
// existing file is never overwritten, so a damaged key file produces an error
// instead of a new key that could not decrypt existing data.
func LoadOrCreateKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := KeyFromString(string(data))
		if err != nil {
			return nil, fmt.Errorf("密钥文件内容无效：%w", err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("读取密钥文件失败：%w", err)
	}

	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("生成密钥失败：%w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("创建密钥目录失败：%w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created the key in the meantime; use it.
		return LoadOrCreateKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("创建密钥文件失败：%w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("写入密钥文件失败：%w", err)
	}
	return key, nil
}
