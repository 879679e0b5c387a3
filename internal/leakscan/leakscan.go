// Package leakscan finds personal data where it must not be: test suites
// register the plaintext ID numbers and phones of their test clients (the
// values the system encrypts at rest), then scan response bodies, log lines,
// Excel exports and raw database files for them, in the spellings a leak
// would likely take (X or x at the end of an ID number, a phone with
// separators or the +86 prefix).
package leakscan

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Finding is one secret found in one place.
type Finding struct {
	Place   string // where: "GET /clients response to worker", "log line", a file …
	Secret  string // the registered plaintext
	Variant string // the spelling found
}

func (f Finding) String() string {
	if f.Variant == f.Secret {
		return fmt.Sprintf("%s contains the plaintext %q", f.Place, f.Secret)
	}
	return fmt.Sprintf("%s contains the plaintext %q (as %q)", f.Place, f.Secret, f.Variant)
}

// Registry holds the secrets to look for. It is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	variants map[string]string // spelling → secret
}

// New returns an empty registry.
func New() *Registry { return &Registry{variants: map[string]string{}} }

// Add registers a plaintext secret and its common spellings. Values that
// are not ID numbers, phones or similar document numbers (short values,
// free text with other than ASCII letters, digits and separators, long
// encoded blobs) are ignored: they would only give false alarms.
func (r *Registry) Add(secret string) {
	secret = strings.TrimSpace(secret)
	if !Interesting(secret) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range Variants(secret) {
		if _, ok := r.variants[v]; !ok {
			r.variants[v] = secret
		}
	}
}

// Len returns the number of registered spellings.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.variants)
}

// Secrets returns the registered secrets, sorted.
func (r *Registry) Secrets() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for _, s := range r.variants {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Interesting reports whether s looks like an identifier worth scanning
// for: 7 to 40 characters of ASCII letters, digits, spaces, '-' and '+',
// with at least 7 digits.
func Interesting(s string) bool {
	if len(s) < 7 || len(s) > 40 {
		return false
	}
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c < unicode.MaxASCII && (c == ' ' || c == '-' || c == '+' || (c|0x20 >= 'a' && c|0x20 <= 'z')):
		default:
			return false
		}
	}
	return digits >= 7
}

// Variants returns the spellings of secret a leak may take: as registered,
// upper and lower case, without separators; for an 18-character ID number
// its 6-8-4 grouping; for an 11-digit mobile number its 3-4-4 groupings and
// the +86 prefix.
func Variants(secret string) []string {
	bare := strings.Map(func(c rune) rune {
		if c == ' ' || c == '-' {
			return -1
		}
		return c
	}, secret)
	set := map[string]bool{secret: true, strings.ToUpper(secret): true, strings.ToLower(secret): true,
		bare: true, strings.ToUpper(bare): true, strings.ToLower(bare): true}
	if len(bare) == 18 {
		for _, b := range []string{strings.ToUpper(bare), strings.ToLower(bare)} {
			set[b[:6]+" "+b[6:14]+" "+b[14:]] = true
		}
	}
	digits := strings.TrimPrefix(strings.TrimPrefix(bare, "+86"), "86")
	if len(digits) == 11 && digits[0] == '1' {
		set[digits] = true
		set[digits[:3]+" "+digits[3:7]+" "+digits[7:]] = true
		set[digits[:3]+"-"+digits[3:7]+"-"+digits[7:]] = true
		set["+86"+digits] = true
	}
	out := make([]string, 0, len(set))
	for v := range set {
		if len(v) >= 7 {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// Scan returns the secrets found in data, one finding per secret.
func (r *Registry) Scan(place string, data []byte) []Finding {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Finding
	found := map[string]bool{}
	for v, s := range r.variants {
		if found[s] {
			continue
		}
		if bytes.Contains(data, []byte(v)) {
			found[s] = true
			out = append(out, Finding{Place: place, Secret: s, Variant: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Secret < out[j].Secret })
	return out
}

// ScanBody scans a response body; a ZIP container (an Excel workbook) is
// opened and each of its files scanned, since the container compresses
// what it holds.
func (r *Registry) ScanBody(place string, body []byte) []Finding {
	if !bytes.HasPrefix(body, []byte("PK\x03\x04")) {
		return r.Scan(place, body)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return r.Scan(place, body)
	}
	var out []Finding
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			continue
		}
		out = append(out, r.Scan(place+" ["+f.Name+"]", b)...)
	}
	return out
}

// DumpPostgresSchema returns a plain pg_dump of the schema named by the
// DSN's search_path (the whole database without one).
func DumpPostgresSchema(dsn string) ([]byte, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	schema := q.Get("search_path")
	keep := url.Values{}
	if v := q.Get("sslmode"); v != "" {
		keep.Set("sslmode", v)
	}
	u.RawQuery = keep.Encode()
	env := os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	args := []string{"--no-owner", "--no-privileges", "--dbname", u.String()}
	if schema != "" {
		args = append(args, "--schema", schema)
	}
	cmd := exec.Command("pg_dump", args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pg_dump: %v: %s", err, errb.String())
	}
	return out.Bytes(), nil
}

// ScanFiles scans each existing file of paths (missing files are skipped,
// so a SQLite database's -wal and -shm may be named whether or not they
// exist). It returns the findings and how many files it read.
func (r *Registry) ScanFiles(paths ...string) ([]Finding, int, error) {
	var out []Finding
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return out, n, err
		}
		n++
		out = append(out, r.Scan(p, b)...)
	}
	return out, n, nil
}
