package gen

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// day is a calendar day as days since 1970-01-01 (UTC). Rows carry days,
// and each sink turns them into what its driver stores for a DATE.
type day int32

func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d day) time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (d day) String() string { return d.time().Format(time.DateOnly) }

// at is a moment on day d at minute m after midnight (Beijing time, stored
// in UTC like the application does).
func (d day) at(m int) time.Time { return d.time().Add(time.Duration(m-8*60) * time.Minute) }

// table is one table the generator fills, with its columns in the order
// rows give them.
type table struct {
	name string
	cols []string
	rank int // position in insertion order: parents before children
}

// sink writes rows in bulk. Rows of a table are buffered; before a table's
// buffer is written, the buffers of every table ranked before it are, so
// foreign keys always find their parents.
type sink interface {
	put(t *table, vals ...any) error
	flush() error
}

// counter keeps each table's rows and the time spent writing them.
type counter struct {
	rows map[string]int64
	dur  map[string]time.Duration
}

func (c *counter) add(t *table, n int, d time.Duration) {
	c.rows[t.name] += int64(n)
	c.dur[t.name] += d
}

// sqliteSink writes multi-row INSERT statements (within SQLite's 32766
// bound variables), prepared once per table and batch size, on one
// connection inside a transaction.
type sqliteSink struct {
	ctx   context.Context
	tx    *sql.Tx
	c     *counter
	buf   map[*table][]any
	stmts map[stmtKey]*sql.Stmt
	order []*table // tables with buffered rows
	days  map[day]string
	// ordered writes parents before children (foreign keys are checked).
	ordered bool
}

const sqliteMaxVars = 32766

func batchRows(t *table) int { return min(1000, sqliteMaxVars/len(t.cols)) }

func newSQLiteSink(ctx context.Context, tx *sql.Tx, c *counter, ordered bool) *sqliteSink {
	return &sqliteSink{ctx: ctx, tx: tx, c: c, buf: map[*table][]any{}, stmts: map[stmtKey]*sql.Stmt{}, days: map[day]string{},
		ordered: ordered}
}

func insertSQL(t *table, rows int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", t.name, strings.Join(t.cols, ", "))
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(t.cols)), ",") + ")"
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

func (s *sqliteSink) put(t *table, vals ...any) error {
	if len(vals) != len(t.cols) {
		return fmt.Errorf("gen: %s: %d values for %d columns", t.name, len(vals), len(t.cols))
	}
	b, ok := s.buf[t]
	if !ok {
		s.order = append(s.order, t)
		sortByRank(s.order)
		b = make([]any, 0, batchRows(t)*len(t.cols))
	}
	for _, v := range vals {
		if d, ok := v.(day); ok {
			str, ok := s.days[d]
			if !ok {
				str = d.String()
				s.days[d] = str
			}
			v = str
		}
		b = append(b, v)
	}
	s.buf[t] = b
	if len(b) >= batchRows(t)*len(t.cols) {
		if !s.ordered {
			return s.write(t)
		}
		return s.flushUpTo(t)
	}
	return nil
}

// flushUpTo writes the buffers of t and of every table ranked before it.
func (s *sqliteSink) flushUpTo(t *table) error {
	for _, o := range s.order {
		if o.rank <= t.rank {
			if err := s.write(o); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *sqliteSink) write(t *table) error {
	b := s.buf[t]
	if len(b) == 0 {
		return nil
	}
	start := time.Now()
	n := len(b) / len(t.cols)
	// Full batches, then the rest in power-of-two chunks, so that every
	// statement is prepared once (parsing a long VALUES list is costly).
	for len(b) > 0 {
		rows := min(batchRows(t), len(b)/len(t.cols))
		if rows < batchRows(t) {
			rows = 1 << (bitsLen(rows) - 1) // the largest power of two that fits
		}
		st, err := s.stmt(t, rows)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(s.ctx, b[:rows*len(t.cols)]...); err != nil {
			return fmt.Errorf("gen: insert %s: %w", t.name, err)
		}
		b = b[rows*len(t.cols):]
	}
	s.buf[t] = s.buf[t][:0]
	s.c.add(t, n, time.Since(start))
	return nil
}

func bitsLen(n int) int {
	l := 0
	for ; n > 0; n >>= 1 {
		l++
	}
	return l
}

type stmtKey struct {
	t    *table
	rows int
}

func (s *sqliteSink) stmt(t *table, rows int) (*sql.Stmt, error) {
	k := stmtKey{t, rows}
	if st := s.stmts[k]; st != nil {
		return st, nil
	}
	st, err := s.tx.PrepareContext(s.ctx, insertSQL(t, rows))
	if err != nil {
		return nil, fmt.Errorf("gen: prepare %s: %w", t.name, err)
	}
	s.stmts[k] = st
	return st, nil
}

func (s *sqliteSink) flush() error {
	sortByRank(s.order)
	for _, t := range s.order {
		if err := s.write(t); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqliteSink) close() {
	for _, st := range s.stmts {
		st.Close()
	}
}

func sortByRank(ts []*table) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].rank < ts[j-1].rank; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// pgSink writes with COPY through pgx, a batch of rows per COPY.
type pgSink struct {
	ctx   context.Context
	tx    pgx.Tx
	c     *counter
	buf   map[*table][][]any
	order []*table
}

const pgBatch = 20000

func newPGSink(ctx context.Context, tx pgx.Tx, c *counter) *pgSink {
	return &pgSink{ctx: ctx, tx: tx, c: c, buf: map[*table][][]any{}}
}

func (s *pgSink) put(t *table, vals ...any) error {
	if len(vals) != len(t.cols) {
		return fmt.Errorf("gen: %s: %d values for %d columns", t.name, len(vals), len(t.cols))
	}
	b, ok := s.buf[t]
	if !ok {
		s.order = append(s.order, t)
		sortByRank(s.order)
	}
	row := make([]any, len(vals))
	for i, v := range vals {
		if d, ok := v.(day); ok {
			v = d.time()
		}
		row[i] = v
	}
	b = append(b, row)
	s.buf[t] = b
	if len(b) >= pgBatch {
		for _, o := range s.order {
			if o.rank <= t.rank {
				if err := s.write(o); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *pgSink) write(t *table) error {
	b := s.buf[t]
	if len(b) == 0 {
		return nil
	}
	start := time.Now()
	if _, err := s.tx.CopyFrom(s.ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(b)); err != nil {
		return fmt.Errorf("gen: copy %s: %w", t.name, err)
	}
	s.buf[t] = b[:0]
	s.c.add(t, len(b), time.Since(start))
	return nil
}

func (s *pgSink) flush() error {
	sortByRank(s.order)
	for _, t := range s.order {
		if err := s.write(t); err != nil {
			return err
		}
	}
	return nil
}
