import GRDB

/// The store's schema, as versioned migrations. Histograms have equal-width bins, so they are kept
/// as their range and a JSON array of counts. Sweeps (coming with hyperparameter tuning) keep
/// their trials here too: a run may belong to a sweep, with its trial number.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, metrics, summaries, histograms, system metrics, sweeps") { db in
            try db.execute(sql: "PRAGMA application_id = \(RunStore.applicationID)")
            try db.execute(sql: """
                CREATE TABLE sweep (
                    id TEXT PRIMARY KEY,
                    project TEXT NOT NULL,
                    name TEXT NOT NULL,
                    method TEXT NOT NULL,
                    config TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at REAL NOT NULL
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
                    created_at REAL NOT NULL,
                    ended_at REAL,
                    heartbeat_at REAL NOT NULL,
                    host TEXT NOT NULL,
                    command TEXT NOT NULL,
                    git_commit TEXT,
                    sweep_id TEXT REFERENCES sweep(id) ON DELETE SET NULL,
                    trial INTEGER
                );
                CREATE INDEX run_project ON run(project, created_at);
                CREATE INDEX run_sweep ON run(sweep_id, trial);
                CREATE TABLE metric (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    key TEXT NOT NULL,
                    value REAL
                );
                CREATE INDEX metric_run_key ON metric(run_id, key, step);
                CREATE TABLE summary (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    last REAL,
                    last_step INTEGER NOT NULL,
                    min REAL,
                    max REAL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (run_id, key)
                );
                CREATE TABLE histogram (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    low REAL NOT NULL,
                    high REAL NOT NULL,
                    counts TEXT NOT NULL
                );
                CREATE INDEX histogram_run_name ON histogram(run_id, name, step);
                CREATE TABLE system_metric (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    time REAL NOT NULL,
                    key TEXT NOT NULL,
                    value REAL
                );
                CREATE INDEX system_metric_run ON system_metric(run_id, key, time);
                """)
        }
        return migrator
    }
}
