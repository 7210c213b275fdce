import Foundation
import Tracking

/// The store's schema on PostgreSQL: the SQLite store's tables and columns (see `Schema` in
/// Tracking), as versioned migrations with the same identifiers, recorded in
/// `temper_migrations`. Reals are `DOUBLE PRECISION` (±infinity kept, NaN stored as NULL as in
/// SQLite), integers `BIGINT`, JSON `TEXT` (kept byte for byte). `history` and `histogram`
/// have a `seq` column for write order (SQLite's rowid).
///
/// Several processes may open a new store at once: the migrations run in one transaction under
/// an advisory lock, so one applies them and the others find them applied.
enum PostgresSchema {
    /// `pg_advisory_xact_lock` key of Temper's migrations ("TMPR").
    static let lockKey: Int64 = 0x544D_5052

    static let migrations: [(id: String, sql: String)] = [
        ("v1: runs, history, summaries, histograms, system metrics, sweeps", """
            CREATE TABLE sweep (
                id TEXT PRIMARY KEY,
                project TEXT NOT NULL,
                name TEXT NOT NULL,
                method TEXT NOT NULL,
                config TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            );
            CREATE TABLE run (
                id TEXT PRIMARY KEY,
                project TEXT NOT NULL,
                name TEXT NOT NULL,
                group_name TEXT,
                tags TEXT NOT NULL DEFAULT '[]',
                notes TEXT NOT NULL DEFAULT '',
                config TEXT NOT NULL DEFAULT '{}',
                state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'failed', 'crashed')),
                error TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                ended_at DOUBLE PRECISION,
                heartbeat_at DOUBLE PRECISION NOT NULL,
                host TEXT NOT NULL,
                command TEXT NOT NULL,
                git_commit TEXT,
                sweep_id TEXT REFERENCES sweep(id) ON DELETE SET NULL,
                trial BIGINT
            );
            CREATE INDEX run_project ON run(project, created_at);
            CREATE INDEX run_sweep ON run(sweep_id, trial);
            CREATE TABLE history (
                seq BIGSERIAL PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                step BIGINT NOT NULL,
                data TEXT NOT NULL
            );
            CREATE INDEX history_run_step ON history(run_id, step);
            CREATE TABLE summary (
                run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                key TEXT NOT NULL,
                last DOUBLE PRECISION,
                last_step BIGINT NOT NULL,
                min DOUBLE PRECISION,
                max DOUBLE PRECISION,
                count BIGINT NOT NULL,
                PRIMARY KEY (run_id, key)
            );
            CREATE TABLE histogram (
                seq BIGSERIAL PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                step BIGINT NOT NULL,
                data TEXT NOT NULL
            );
            CREATE INDEX histogram_run_step ON histogram(run_id, step);
            CREATE TABLE system_metric (
                run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                time DOUBLE PRECISION NOT NULL,
                key TEXT NOT NULL,
                value DOUBLE PRECISION
            );
            CREATE INDEX system_metric_run ON system_metric(run_id, key, time);
            """),
        ("v2: the process that writes a run", """
            ALTER TABLE run ADD COLUMN pid BIGINT;
            ALTER TABLE run ADD COLUMN boot_id TEXT;
            ALTER TABLE run ADD COLUMN process_start BIGINT;
            """),
        ("v3: sweeps' trials", """
            ALTER TABLE sweep ADD COLUMN seed BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE sweep ADD COLUMN spec_hash TEXT NOT NULL DEFAULT '';
            ALTER TABLE sweep ADD COLUMN ended_at DOUBLE PRECISION;
            CREATE INDEX sweep_spec ON sweep(project, spec_hash, seed);
            CREATE TABLE trial (
                sweep_id TEXT NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
                number BIGINT NOT NULL,
                config TEXT NOT NULL,
                seed BIGINT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'finished', 'failed', 'crashed', 'stopped')),
                attempt BIGINT NOT NULL,
                score DOUBLE PRECISION,
                error TEXT,
                claimed_at DOUBLE PRECISION NOT NULL,
                heartbeat_at DOUBLE PRECISION NOT NULL,
                ended_at DOUBLE PRECISION,
                host TEXT NOT NULL,
                pid BIGINT,
                boot_id TEXT,
                process_start BIGINT,
                PRIMARY KEY (sweep_id, number)
            );
            """),
        ("v4: when each step was logged", """
            ALTER TABLE history ADD COLUMN time DOUBLE PRECISION;
            """),
    ]

    /// Checks the database (a Temper store, or empty; no migration this version does not know)
    /// and, unless `readOnly`, applies the missing migrations.
    static func prepare(_ db: PostgresTransaction, location: String, readOnly: Bool, mustExist: Bool = false) throws {
        try db.simple(readOnly ? "BEGIN READ ONLY" : "BEGIN")
        do {
            if !readOnly { try db.execute("SELECT pg_advisory_xact_lock(?)", lockKey) }
            let tables = try db.fetch("SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name", [])
                .map { try $0.text("name") }
            if !tables.contains("temper_migrations") {
                if !tables.isEmpty {
                    throw TrackingError.foreignStore("\(location) holds another program's tables (\(tables.prefix(5).joined(separator: ", "))); Temper only uses an empty database or its own: create one (createdb temper) and name it in the URL")
                }
                if readOnly || mustExist {
                    throw TrackingError.foreignStore("\(location) is an empty database, not a Temper run store; runs are recorded by `temper casestudy batchnorm --store …` or `Tracker(store:)`")
                }
                try db.execute("CREATE TABLE temper_migrations (identifier TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)")
            }
            let applied = Set(try db.fetch("SELECT identifier FROM temper_migrations", []).map { try $0.text("identifier") })
            let unknown = applied.subtracting(migrations.map(\.id)).sorted()
            if !unknown.isEmpty {
                throw TrackingError.incompatibleStore("\(location) has a schema this version of Temper does not know (migrations: \(unknown.joined(separator: "; "))); open it with the Temper that wrote it, or name another database")
            }
            if !readOnly {
                for migration in migrations where !applied.contains(migration.id) {
                    // One statement at a time (the extended protocol takes one per message).
                    for statement in migration.sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                        try db.simple(String(statement))
                    }
                    try db.execute("INSERT INTO temper_migrations (identifier, applied_at) VALUES (?, extract(epoch FROM clock_timestamp()))", migration.id)
                }
            }
            try db.simple("COMMIT")
        } catch {
            try? db.simple("ROLLBACK")
            throw error
        }
    }
}
