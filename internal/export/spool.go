package export

import (
	"io"
	"os"
)

// spool holds a file being built until it may be sent: its first limit
// bytes in memory, in chunks, and the rest in a temporary file.
type spool struct {
	limit  int
	chunks [][]byte
	size   int // bytes in chunks
	file   *os.File
}

const spoolChunk = 64 << 10

func (s *spool) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && s.file == nil {
		if s.size >= s.limit {
			f, err := os.CreateTemp("", "shegong-export-*.xlsx")
			if err != nil {
				return n - len(p), err
			}
			// Unlinked at once where the system allows it; close removes
			// it otherwise.
			_ = os.Remove(f.Name())
			s.file = f
			break
		}
		if len(s.chunks) == 0 || len(s.chunks[len(s.chunks)-1]) == spoolChunk {
			s.chunks = append(s.chunks, make([]byte, 0, spoolChunk))
		}
		last := &s.chunks[len(s.chunks)-1]
		k := min(len(p), spoolChunk-len(*last), s.limit-s.size)
		*last = append(*last, p[:k]...)
		s.size += k
		p = p[k:]
	}
	if len(p) > 0 {
		if _, err := s.file.Write(p); err != nil {
			return n - len(p), err
		}
	}
	return n, nil
}

// writeTo sends everything written so far to w.
func (s *spool) writeTo(w io.Writer) error {
	for _, c := range s.chunks {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	if s.file == nil {
		return nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, s.file)
	return err
}

// close releases the memory and removes the temporary file.
func (s *spool) close() {
	s.chunks = nil
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
		s.file = nil
	}
}
