package leakscan

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const id = "44190019900307123X"
const phone = "13800138000"

func registry() *Registry {
	r := New()
	r.Add(id)
	r.Add(phone)
	r.Add("东莞市南城区一路1号")                       // free text: ignored
	r.Add("v1:" + strings.Repeat("QUJD", 30)) // encoded blob: ignored
	return r
}

func TestRegistryKeepsIdentifiersOnly(t *testing.T) {
	r := registry()
	got := r.Secrets()
	if len(got) != 2 || got[0] != phone || got[1] != id {
		t.Fatalf("secrets %v", got)
	}
	for _, s := range []string{"1234567", "G12345678", "+86 138 0013 8000"} {
		if !Interesting(s) {
			t.Errorf("%q should be scanned for", s)
		}
	}
	for _, s := range []string{"123456", "张三13800138000", "abcdefgh", ""} {
		if Interesting(s) {
			t.Errorf("%q should not be scanned for", s)
		}
	}
}

func TestScanFindsPlantedLeaks(t *testing.T) {
	r := registry()
	cases := map[string]string{
		"plain id":       `<td>` + id + `</td>`,
		"lower x":        `{"id_number":"44190019900307123x"}`,
		"grouped id":     `身份证 441900 19900307 123X`,
		"plain phone":    `tel=13800138000&`,
		"spaced phone":   `电话：138 0013 8000`,
		"dashed phone":   `138-0013-8000`,
		"prefixed phone": `+8613800138000`,
	}
	for name, body := range cases {
		f := r.Scan(name, []byte(body))
		if len(f) != 1 {
			t.Errorf("%s: %d findings in %q", name, len(f), body)
			continue
		}
		if f[0].Place != name || (f[0].Secret != id && f[0].Secret != phone) {
			t.Errorf("%s: finding %+v", name, f[0])
		}
		if !strings.Contains(f[0].String(), name) {
			t.Errorf("finding text %q does not name the place", f[0].String())
		}
	}
	// Masked forms are not leaks.
	for _, masked := range []string{"441900********123X", "138****8000", "4419001990030712"} {
		if f := r.Scan("masked", []byte(masked)); len(f) != 0 {
			t.Errorf("masked %q reported: %v", masked, f)
		}
	}
}

func TestScanBodyOpensWorkbooks(t *testing.T) {
	r := registry()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/sharedStrings.xml")
	w.Write([]byte(`<sst><si><t>` + strings.ToLower(id) + `</t></si></sst>`))
	zw.Close()
	// Compressed, the plaintext is not in the raw bytes…
	if bytes.Contains(buf.Bytes(), []byte(strings.ToLower(id))) {
		t.Skip("the zip writer stored the file uncompressed")
	}
	// …but ScanBody opens the container.
	f := r.ScanBody("export.xlsx", buf.Bytes())
	if len(f) != 1 || f[0].Secret != id || !strings.Contains(f[0].Place, "xl/sharedStrings.xml") {
		t.Fatalf("findings %v", f)
	}
	if f := r.ScanBody("page", []byte("<p>"+phone+"</p>")); len(f) != 1 {
		t.Fatalf("plain body: %v", f)
	}
}

func TestScanFilesSkipsMissing(t *testing.T) {
	r := registry()
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	os.WriteFile(db, []byte("header\x00\x00"+phone+"\x00"), 0o600)
	os.WriteFile(db+"-wal", []byte("nothing here"), 0o600)
	f, n, err := r.ScanFiles(db, db+"-wal", db+"-shm")
	if err != nil || n != 2 {
		t.Fatalf("read %d files: %v", n, err)
	}
	if len(f) != 1 || f[0].Place != db || f[0].Secret != phone {
		t.Fatalf("findings %v", f)
	}
}
