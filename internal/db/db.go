// Package db opens the database (embedded SQLite or PostgreSQL), runs the
// embedded migrations and provides the transaction helper every store uses.
//
// SQL is written once in the dialect both engines accept: $1 placeholders,
// RETURNING, ON CONFLICT. The rare difference goes through Dialect.
package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite" // also registers "sqlite"
)

// Dialect names the database engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations
var migrations embed.FS

// DB is the application's database handle. On SQLite, writes go through a
// pool of exactly one connection (SQLite has one writer; queueing in Go is
// cheaper than busy-waiting in SQLite) and reads through a separate pool. On
// PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	W       *sql.DB // writes and read-your-writes transactions
	R       *sql.DB // plain reads
	path    string  // SQLite file, for backup
	dsn     string
	opts    Options
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens dsn: a postgres:// URL, or else a SQLite file path. Without
// options an unmarked context works across organizations (ModeSystem).
func Open(ctx context.Context, dsn string, options ...Options) (*DB, error) {
	var o Options
	if len(options) > 0 {
		o = options[0]
	}
	if IsPostgres(dsn) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("db: open postgres: %w", err)
		}
		p := sql.OpenDB(&tenantConnector{base: stdlib.GetConnector(*cfg), mode: o.Mode})
		p.SetMaxOpenConns(32)
		p.SetMaxIdleConns(32)
		p.SetConnMaxIdleTime(5 * time.Minute)
		if err := p.PingContext(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("db: connect postgres: %w", err)
		}
		return &DB{Dialect: Postgres, W: p, R: p, dsn: dsn, opts: o}, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("db: create data folder: %w", err)
		}
	}
	// Every pooled connection gets the same pragmas through the DSN.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// The file is not memory-mapped by default: every mapped page a reader
	// touched counts in the server's resident memory, up to the size of the
	// file. Each connection keeps a small page cache: in WAL mode a
	// connection drops its whole cache when its next read transaction finds
	// another connection's commit, which under a mix of reads and writes is
	// nearly every time, so a large cache costs memory and the time to drop
	// it without being read again (2 MB: 219 requests a second against 173
	// with 16 MB in the same 20 s mixed load, resident memory 169 against
	// 298 MB at the peak; docs/PERFORMANCE.md). Both can be changed
	// (SHEGONG_SQLITE_CACHE_MB, SHEGONG_SQLITE_MMAP_MB; docs/OPERATIONS.md).
	q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", sqliteMmapBytes()))
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", sqliteCacheKB()))
	q.Set("_time_format", "sqlite")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	w, err := openSQLite("file:" + path + "?" + wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
	}
	q.Add("_pragma", "query_only(1)")
	r, err := openSQLite("file:" + path + "?" + q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite reader: %w", err)
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{Dialect: SQLite, W: w, R: r, path: path, dsn: dsn, opts: o}, nil
}

// sqliteCacheMB is each SQLite connection's page cache unless
// SHEGONG_SQLITE_CACHE_MB says otherwise (docs/OPERATIONS.md).
const sqliteCacheMB = 2

// sqliteCacheKB is the page cache of each SQLite connection in KiB: the
// default, or SHEGONG_SQLITE_CACHE_MB (1 to 1024).
func sqliteCacheKB() int {
	if v, err := strconv.Atoi(os.Getenv("SHEGONG_SQLITE_CACHE_MB")); err == nil && v >= 1 && v <= 1024 {
		return v << 10
	}
	return sqliteCacheMB << 10
}

// sqliteMmapBytes is how much of the database file SQLite maps into memory:
// none unless SHEGONG_SQLITE_MMAP_MB says so (docs/OPERATIONS.md).
func sqliteMmapBytes() int64 {
	if v, err := strconv.Atoi(os.Getenv("SHEGONG_SQLITE_MMAP_MB")); err == nil && v >= 0 && v <= 1<<20 {
		return int64(v) << 20
	}
	return 0
}

// openSQLite opens a pool of SQLite connections that keep their prepared
// statements (see stmtcache.go).
func openSQLite(dsn string) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{Connector: c, size: stmtCacheSize}), nil
}

// Close closes both pools.
func (d *DB) Close() error {
	err := d.W.Close()
	if d.R != d.W {
		err = errors.Join(err, d.R.Close())
	}
	return err
}

// Path returns the SQLite file path ("" on PostgreSQL).
func (d *DB) Path() string { return d.path }

// DSN returns the DSN the database was opened with.
func (d *DB) DSN() string { return d.dsn }

// OwnerDSN returns the DSN of the role that owns the tables: the owner DSN
// given to Open, or else the DSN itself. Backups and restores use it.
func (d *DB) OwnerDSN() string {
	if d.opts.OwnerDSN != "" {
		return d.opts.OwnerDSN
	}
	return d.dsn
}

// Migrate applies the embedded migrations for the dialect. On PostgreSQL
// with an owner DSN, the owner runs them and then grants the application's
// role the use of the tables.
func (d *DB) Migrate(ctx context.Context) error {
	ctx = System(ctx)
	if d.Dialect == Postgres && d.opts.OwnerDSN != "" && d.opts.OwnerDSN != d.dsn {
		owner, err := sql.Open("pgx", d.opts.OwnerDSN)
		if err != nil {
			return fmt.Errorf("db: open owner: %w", err)
		}
		defer owner.Close()
		if err := d.migrate(ctx, owner); err != nil {
			return err
		}
		return d.grantApp(ctx, owner)
	}
	return d.migrate(ctx, d.W)
}

func (d *DB) migrate(ctx context.Context, conn *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(d.Dialect))
	if err != nil {
		return err
	}
	gd := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if d.Dialect == Postgres {
		gd = goose.DialectPostgres
		// Several instances may start at once; only one migrates. The lock
		// is per schema, so databases in separate schemas (tests, several
		// deployments in one cluster) do not wait for each other.
		l, err := lock.NewPostgresSessionLocker(lock.WithLockID(d.lockID()), lock.WithLockTimeout(1, 300))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	p, err := goose.NewProvider(gd, conn, sub, opts...)
	if err != nil {
		return fmt.Errorf("db: migrations: %w", err)
	}
	applied, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	if d.Dialect == SQLite {
		// Without statistics SQLite's planner can pick an index for its
		// order over the one that selects (see docs/PERFORMANCE.md). Gather
		// them, sampling: for every index after a migration (new indexes
		// have none), otherwise for tables never analyzed or grown much
		// since. A fraction of a second on ten million rows; nothing when
		// nothing changed.
		stmt := `PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002`
		if len(applied) > 0 {
			stmt = `PRAGMA analysis_limit=1000; ANALYZE`
		}
		if _, err := d.W.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("db: optimize: %w", err)
		}
	}
	return nil
}

// lockID derives the migration advisory-lock id from the DSN's search_path.
func (d *DB) lockID() int64 {
	const base = 5887940537704921958 // goose's default lock id
	u, err := url.Parse(d.dsn)
	if err != nil {
		return base
	}
	sp := u.Query().Get("search_path")
	if sp == "" {
		return base
	}
	h := fnv.New64a()
	h.Write([]byte(sp))
	return int64(h.Sum64() >> 1)
}

// txAttempts bounds how often Tx runs a transaction PostgreSQL aborted as a
// deadlock victim or a serialization failure.
const txAttempts = 4

// Tx runs fn in a write transaction and commits when fn returns nil. The
// exported store method owns the transaction; helpers take the *sql.Tx.
//
// On PostgreSQL, a transaction aborted as a deadlock victim or for a
// serialization failure is run again from the start (a few times), so that
// such an error never reaches a user while the other transaction proceeds.
// fn may therefore run more than once: it must set, not accumulate, what it
// hands back through captured variables.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := d.tx(ctx, fn)
		if err == nil || d.Dialect != Postgres || attempt == txAttempts || !IsRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

// IsRetryable reports whether err is PostgreSQL aborting a transaction
// that succeeds when run again: a deadlock victim (40P01) or a
// serialization failure (40001).
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40P01" || pe.Code == "40001"
	}
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 40P01") || strings.Contains(s, "SQLSTATE 40001")
}

func (d *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// Querier is what read helpers need: *sql.DB and *sql.Tx both satisfy it.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}

// Like escapes s for use in a LIKE pattern with ESCAPE '\'.
func Like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// CaseInsensitiveLike returns the operator for case-insensitive LIKE.
func (d *DB) ILike() string {
	if d.Dialect == Postgres {
		return "ILIKE"
	}
	return "LIKE"
}

// MigrationsDigest is a hash of the embedded migrations of a dialect: equal
// digests mean equal schemas after Migrate (tests key migrated templates on
// it).
func MigrationsDigest(d Dialect) string {
	h := sha256.New()
	fs.WalkDir(migrations, "migrations/"+string(d), func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := migrations.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}
