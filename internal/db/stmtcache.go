package db

import (
	"context"
	"database/sql/driver"
	"reflect"
	"sync"
)

// The pure-Go SQLite driver parses every statement it is given anew: a query
// through *sql.DB or *sql.Tx prepares, runs and finalizes. On the pages
// measured in docs/PERFORMANCE.md preparing was about a third of the CPU.
// The connector below keeps each connection's prepared statements, keyed by
// their SQL text, and runs a statement it has seen before from the cache
// (the driver resets a prepared statement after each run instead of
// finalizing it). The services keep writing d.R.QueryContext(ctx, sql, …);
// nothing changes for them.
//
// SQLite re-prepares a cached statement by itself when the schema changed
// (sqlite3_prepare_v2), so migrations need no care. A cached statement
// whose rows are still open (a second query of the same text inside one
// transaction, while the first is being read) is not shared: that call
// prepares a statement of its own, as without the cache.

// stmtCacheSize bounds the statements kept per connection. The application
// has a few hundred distinct statements; those built with a variable number
// of placeholders come and go.
const stmtCacheSize = 256

// cachingConnector wraps the SQLite driver's connector.
type cachingConnector struct {
	driver.Connector
	size int
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(sqliteConn)
	if !ok {
		return dc, nil
	}
	return &cachingConn{sqliteConn: sc, size: c.size, stmts: map[string]*cachedStmt{}}, nil
}

// sqliteConn is what the SQLite driver's connections implement and
// database/sql looks for.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool   // its rows are open
	used uint64 // the cache's clock when last run
}

// cachingConn is one pooled SQLite connection and its prepared statements.
// database/sql uses a connection from one goroutine at a time; the mutex
// only guards against a rows Close racing with that.
type cachingConn struct {
	sqliteConn
	size  int
	mu    sync.Mutex
	stmts map[string]*cachedStmt
	clock uint64
}

// Unwrap returns the driver's connection (the driver's own helpers look
// through wrappers with it).
func (c *cachingConn) Unwrap() driver.Conn { return c.sqliteConn }

// take returns the cached statement for query, preparing and caching it
// when new, marked busy; nil when the cached one is in use.
func (c *cachingConn) take(ctx context.Context, query string) (*cachedStmt, error) {
	c.mu.Lock()
	c.clock++
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			c.mu.Unlock()
			return nil, nil
		}
		cs.busy, cs.used = true, c.clock
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()
	st, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	full, ok := st.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		st.Close()
		return nil, nil
	}
	cs := &cachedStmt{stmt: full, busy: true}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stmts) >= c.size {
		c.evictLocked()
	}
	cs.used = c.clock
	c.stmts[query] = cs
	return cs, nil
}

// evictLocked closes the least recently run statement not in use.
func (c *cachingConn) evictLocked() {
	var oldest string
	var found *cachedStmt
	for q, cs := range c.stmts {
		if !cs.busy && (found == nil || cs.used < found.used) {
			oldest, found = q, cs
		}
	}
	if found != nil {
		delete(c.stmts, oldest)
		found.stmt.Close()
	}
}

func (c *cachingConn) release(cs *cachedStmt) {
	c.mu.Lock()
	cs.busy = false
	c.mu.Unlock()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	defer c.release(cs)
	return cs.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	r, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		c.release(cs)
		return nil, err
	}
	sr, ok := r.(sqliteRows)
	if !ok {
		r.Close()
		c.release(cs)
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	return &cachedRows{rows: sr, c: c, cs: cs}, nil
}

// Close finalizes the cached statements and closes the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	for q, cs := range c.stmts {
		cs.stmt.Close()
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return c.sqliteConn.Close()
}

// sqliteRows is what the driver's rows implement.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows frees its statement for the next run when closed (the driver
// resets the statement in rows.Close).
type cachedRows struct {
	rows sqliteRows
	c    *cachingConn
	cs   *cachedStmt
	done bool
}

func (r *cachedRows) Columns() []string              { return r.rows.Columns() }
func (r *cachedRows) Next(dest []driver.Value) error { return r.rows.Next(dest) }
func (r *cachedRows) Close() error {
	err := r.rows.Close()
	if !r.done {
		r.done = true
		r.c.release(r.cs)
	}
	return err
}
func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.rows.ColumnTypeDatabaseTypeName(i)
}
func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) { return r.rows.ColumnTypeLength(i) }
func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	return r.rows.ColumnTypeNullable(i)
}
func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.rows.ColumnTypePrecisionScale(i)
}
func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type { return r.rows.ColumnTypeScanType(i) }
