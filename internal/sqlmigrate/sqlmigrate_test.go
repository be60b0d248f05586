package sqlmigrate_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/session-go/session-go/internal/sqlmigrate"
)

// openDB opens the SQLite file path, closing it at the end of the test. The
// busy timeout lets concurrent handles wait for each other's write lock.
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := driver.Open("file:" + filepath.ToSlash(path) + "?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tempDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.db")
	return openDB(t, path), path
}

// folder builds an fs.FS holding files under migrations/.
func folder(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys["migrations/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

func load(t *testing.T, files map[string]string) []sqlmigrate.Migration {
	t.Helper()
	ms, err := sqlmigrate.Load(folder(files), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func apply(t *testing.T, db *sql.DB, ms []sqlmigrate.Migration, wantFrom, wantTo int) {
	t.Helper()
	from, to, err := sqlmigrate.Apply(t.Context(), db, ms)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if from != wantFrom || to != wantTo {
		t.Fatalf("Apply went from %d to %d, want %d to %d", from, to, wantFrom, wantTo)
	}
}

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// schema lists every object of the database with its SQL, so that a test
// can tell whether anything at all changed.
func schema(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// v1 and v2 are two releases of a schema: v2 adds a step. Each step fails if
// it runs twice (CREATE TABLE of an existing table), so a successful Apply
// also shows that no step ran again.
var (
	v1 = map[string]string{
		"0001_init.sql": "CREATE TABLE a (x); INSERT INTO a VALUES (1);",
	}
	v2 = map[string]string{
		"0001_init.sql": "CREATE TABLE a (x); INSERT INTO a VALUES (1);",
		"0002_more.sql": "CREATE TABLE b (y); CREATE INDEX b_y ON b (y); INSERT INTO a VALUES (2);",
	}
)

func TestApplyToFreshDatabase(t *testing.T) {
	db, _ := tempDB(t)
	apply(t, db, load(t, v2), 0, 2)
	if v := userVersion(t, db); v != 2 {
		t.Errorf("user_version = %d, want 2", v)
	}
	if n := count(t, db, "a"); n != 2 {
		t.Errorf("table a has %d rows, want 2 (one from each step)", n)
	}
	if n := count(t, db, "b"); n != 0 {
		t.Errorf("table b has %d rows, want 0", n)
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	db, path := tempDB(t)
	ms := load(t, v2)
	apply(t, db, ms, 0, 2)
	before := schema(t, db)
	db.Close()

	for range 2 {
		db = openDB(t, path)
		apply(t, db, ms, 2, 2)
		db.Close()
	}
	db = openDB(t, path)
	if after := schema(t, db); !slices.Equal(after, before) {
		t.Errorf("reopening changed the schema:\n%q\nwas\n%q", after, before)
	}
	if v := userVersion(t, db); v != 2 {
		t.Errorf("user_version = %d, want 2", v)
	}
	if n := count(t, db, "a"); n != 2 {
		t.Errorf("table a has %d rows, want 2", n)
	}
}

func TestAddedMigrationRunsAlone(t *testing.T) {
	db, _ := tempDB(t)
	apply(t, db, load(t, v1), 0, 1)
	if v := userVersion(t, db); v != 1 {
		t.Fatalf("user_version = %d, want 1", v)
	}
	// Step 1 would fail if it ran again, and would add a second row 1.
	apply(t, db, load(t, v2), 1, 2)
	if v := userVersion(t, db); v != 2 {
		t.Errorf("user_version = %d, want 2", v)
	}
	var ones, twos int
	if err := db.QueryRow("SELECT count(*) FILTER (WHERE x = 1), count(*) FILTER (WHERE x = 2) FROM a").Scan(&ones, &twos); err != nil {
		t.Fatal(err)
	}
	if ones != 1 || twos != 1 {
		t.Errorf("step 1 ran %d times and step 2 %d times, want once each", ones, twos)
	}
}

func TestLoad(t *testing.T) {
	ms := load(t, map[string]string{"0002_b.sql": "two", "0001_a.sql": "one", "README.md": "not a migration"})
	want := []sqlmigrate.Migration{{Version: 1, Name: "0001_a.sql", SQL: "one"}, {Version: 2, Name: "0002_b.sql", SQL: "two"}}
	if len(ms) != len(want) || ms[0] != want[0] || ms[1] != want[1] {
		t.Errorf("Load = %+v, want %+v", ms, want)
	}
	// A subfolder is not a migration either.
	fsys := folder(map[string]string{"0001_a.sql": "one"})
	fsys["migrations/0002_old.sql/x"] = &fstest.MapFile{Data: []byte("x")}
	if ms, err := sqlmigrate.Load(fsys, "migrations"); err != nil || len(ms) != 1 {
		t.Errorf("Load with a subfolder = %+v, %v; want the one file", ms, err)
	}
	if ms, err := sqlmigrate.Load(folder(nil), "migrations"); err == nil {
		t.Errorf("Load of a missing folder = %+v, want an error", ms)
	}
}

func TestLoadRejectsBadNumbering(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"a gap":                 {"0001_a.sql": "", "0003_c.sql": ""},
		"not starting at 1":     {"0002_b.sql": ""},
		"a repeated number":     {"0001_a.sql": "", "0001_b.sql": ""},
		"a name with no number": {"0001_a.sql": "", "init.sql": ""},
		"number zero":           {"0000_a.sql": ""},
		"a negative number":     {"-001_a.sql": ""},
		"no number before _":    {"x_a.sql": ""},
	} {
		t.Run(name, func(t *testing.T) {
			ms, err := sqlmigrate.Load(folder(files), "migrations")
			if !errors.Is(err, sqlmigrate.ErrInvalidMigrations) {
				t.Errorf("Load = %+v, %v; want ErrInvalidMigrations", ms, err)
			}
		})
	}
}

func TestApplyRejectsGap(t *testing.T) {
	db, _ := tempDB(t)
	ms := load(t, v2)
	gap := []sqlmigrate.Migration{ms[0], {Version: 3, Name: "0003_c.sql", SQL: "CREATE TABLE c (z);"}}
	if _, _, err := sqlmigrate.Apply(t.Context(), db, gap); !errors.Is(err, sqlmigrate.ErrInvalidMigrations) {
		t.Errorf("Apply with a gap: %v, want ErrInvalidMigrations", err)
	}
	if v, s := userVersion(t, db), schema(t, db); v != 0 || len(s) != 0 {
		t.Errorf("a rejected set changed the database: user_version %d, schema %q", v, s)
	}
}

func TestSchemaTooNew(t *testing.T) {
	db, _ := tempDB(t)
	apply(t, db, load(t, v2), 0, 2)
	before := schema(t, db)
	from, to, err := sqlmigrate.Apply(t.Context(), db, load(t, v1))
	if !errors.Is(err, sqlmigrate.ErrSchemaTooNew) {
		t.Fatalf("older program on a newer database: %d→%d, %v; want ErrSchemaTooNew", from, to, err)
	}
	if v := userVersion(t, db); v != 2 {
		t.Errorf("user_version = %d after refusing, want 2", v)
	}
	if after := schema(t, db); !slices.Equal(after, before) {
		t.Errorf("refusing changed the schema:\n%q\nwas\n%q", after, before)
	}
	// The same goes for a program that knows no migrations at all.
	if _, _, err := sqlmigrate.Apply(t.Context(), db, nil); !errors.Is(err, sqlmigrate.ErrSchemaTooNew) {
		t.Errorf("no migrations on a version-2 database: %v, want ErrSchemaTooNew", err)
	}
}

func TestFailedMigrationLeavesDatabaseUnchanged(t *testing.T) {
	broken := map[string]string{
		"0001_init.sql":   v2["0001_init.sql"],
		"0002_more.sql":   v2["0002_more.sql"],
		"0003_broken.sql": "CREATE TABLE c (z); INSERT INTO a VALUES (3); CREATE TABLE broken (",
	}
	t.Run("fresh", func(t *testing.T) {
		db, _ := tempDB(t)
		_, _, err := sqlmigrate.Apply(t.Context(), db, load(t, broken))
		if !errors.Is(err, sqlmigrate.ErrMigrationFailed) {
			t.Fatalf("Apply: %v, want ErrMigrationFailed", err)
		}
		if v, s := userVersion(t, db), schema(t, db); v != 0 || len(s) != 0 {
			t.Errorf("a failed upgrade left user_version %d and schema %q", v, s)
		}
	})
	t.Run("upgrade", func(t *testing.T) {
		db, _ := tempDB(t)
		apply(t, db, load(t, v1), 0, 1)
		before := schema(t, db)
		_, _, err := sqlmigrate.Apply(t.Context(), db, load(t, broken))
		if !errors.Is(err, sqlmigrate.ErrMigrationFailed) {
			t.Fatalf("Apply: %v, want ErrMigrationFailed", err)
		}
		if v := userVersion(t, db); v != 1 {
			t.Errorf("user_version = %d after a failed upgrade, want 1", v)
		}
		if after := schema(t, db); !slices.Equal(after, before) {
			t.Errorf("a failed upgrade changed the schema:\n%q\nwas\n%q", after, before)
		}
		if n := count(t, db, "a"); n != 1 {
			t.Errorf("table a has %d rows after a failed upgrade, want 1", n)
		}
		// Once fixed, the upgrade goes through from where it was.
		apply(t, db, load(t, v2), 1, 2)
	})
}

// TestConcurrentApply opens one file from several handles at once, as
// several processes starting together would: the write lock taken up front
// makes one of them upgrade and the others find nothing to do. Each step
// fails if it runs twice, so a step run by two handles fails the test.
func TestConcurrentApply(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	ms := load(t, v2)
	const handles = 8
	dbs := make([]*sql.DB, handles)
	for i := range dbs {
		dbs[i] = openDB(t, path)
	}
	var wg sync.WaitGroup
	froms := make([]int, handles)
	errs := make([]error, handles)
	for i, db := range dbs {
		wg.Go(func() { froms[i], _, errs[i] = sqlmigrate.Apply(t.Context(), db, ms) })
	}
	wg.Wait()
	upgraded := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("handle %d: %v", i, err)
		} else if froms[i] == 0 {
			upgraded++
		}
	}
	if upgraded != 1 {
		t.Errorf("%d handles found an empty database, want exactly 1", upgraded)
	}
	if n := count(t, dbs[0], "a"); n != 2 {
		t.Errorf("table a has %d rows, want 2", n)
	}
}

func TestCancelledContext(t *testing.T) {
	db, _ := tempDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := sqlmigrate.Apply(ctx, db, load(t, v1)); err == nil {
		t.Fatal("Apply with a cancelled context succeeded")
	}
	if v, s := userVersion(t, db), schema(t, db); v != 0 || len(s) != 0 {
		t.Errorf("a cancelled Apply left user_version %d and schema %q", v, s)
	}
}

func TestUp(t *testing.T) {
	db, _ := tempDB(t)
	gap := folder(map[string]string{"0001_init.sql": v2["0001_init.sql"], "0003_c.sql": "CREATE TABLE c (z);"})
	if _, _, err := sqlmigrate.Up(t.Context(), db, gap, "migrations"); !errors.Is(err, sqlmigrate.ErrInvalidMigrations) {
		t.Fatalf("Up with a gap: %v, want ErrInvalidMigrations", err)
	}
	if v, s := userVersion(t, db), schema(t, db); v != 0 || len(s) != 0 {
		t.Fatalf("a rejected set changed the database: user_version %d, schema %q", v, s)
	}
	from, to, err := sqlmigrate.Up(t.Context(), db, folder(v2), "migrations")
	if err != nil || from != 0 || to != 2 {
		t.Fatalf("Up = %d, %d, %v; want 0, 2, nil", from, to, err)
	}
	if n := count(t, db, "a"); n != 2 {
		t.Errorf("table a has %d rows, want 2", n)
	}
}
