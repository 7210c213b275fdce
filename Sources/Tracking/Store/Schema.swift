import GRDB

/// The store's schema, as versioned migrations.
///
/// - `run`: one row per run (config, tags as JSON; state; heartbeat; host, command, git commit;
///   sweep id and trial number for runs of a hyperparameter sweep).
/// - `history`: per step, a JSON object of the metrics logged at it (`{"loss":0.42}`); a step
///   logged in several writes has several rows, merged when read (later values win). Non-finite
///   values are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
/// - `summary`: last, min, max and count of each metric, kept up to date by every write.
/// - `histogram`: per step, a JSON object of equal-width histograms by name
///   (`{"gradients/dense/kernel":{"low":-0.1,"high":0.1,"counts":[…]}}`).
/// - `system_metric`: time-stamped CPU, memory … samples.
/// - `sweep`: hyperparameter sweeps, whose trials are runs.
/// - v2 adds to `run` the process id, boot id and process start time of the writing process.
/// - v3 adds to `sweep` its seed, the hash of its spec (to resume it) and its end, and the
///   `trial` table: per sweep and trial number, the configuration, seed, state, attempt, score
///   and error, and who claimed it (host, process, heartbeat). A trial's runs are the runs with
///   its sweep_id and trial number.
/// - v4 adds to `history` the time each row was logged (seconds since 1970; NULL in rows written
///   before), for charts against wall-clock time.
///
/// Query it with any SQLite client, e.g.
/// `SELECT step, data ->> '$.val_accuracy' FROM history WHERE run_id = ?`.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, history, summaries, histograms, system metrics, sweeps") { db in
            try db.execute(sql: "PRAGMA application_id = \(SQLiteEngine.applicationID)")
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
                CREATE TABLE history (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    data TEXT NOT NULL
                );
                CREATE INDEX history_run_step ON history(run_id, step);
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
                    data TEXT NOT NULL
                );
                CREATE INDEX histogram_run_step ON histogram(run_id, step);
                CREATE TABLE system_metric (
                    run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    time REAL NOT NULL,
                    key TEXT NOT NULL,
                    value REAL
                );
                CREATE INDEX system_metric_run ON system_metric(run_id, key, time);
                """)
        }
        migrator.registerMigration("v2: the process that writes a run") { db in
            // So that a reader on the same machine sees at once that a run's process is gone.
            try db.execute(sql: """
                ALTER TABLE run ADD COLUMN pid INTEGER;
                ALTER TABLE run ADD COLUMN boot_id TEXT;
                ALTER TABLE run ADD COLUMN process_start INTEGER;
                """)
        }
        migrator.registerMigration("v3: sweeps' trials") { db in
            // A trial is claimed by one process at a time; its runs (one per execution and
            // attempt) carry sweep_id and trial.
            try db.execute(sql: """
                ALTER TABLE sweep ADD COLUMN seed INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE sweep ADD COLUMN spec_hash TEXT NOT NULL DEFAULT '';
                ALTER TABLE sweep ADD COLUMN ended_at REAL;
                CREATE INDEX sweep_spec ON sweep(project, spec_hash, seed);
                CREATE TABLE trial (
                    sweep_id TEXT NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    config TEXT NOT NULL,
                    seed INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'finished', 'failed', 'crashed', 'stopped')),
                    attempt INTEGER NOT NULL,
                    score REAL,
                    error TEXT,
                    claimed_at REAL NOT NULL,
                    heartbeat_at REAL NOT NULL,
                    ended_at REAL,
                    host TEXT NOT NULL,
                    pid INTEGER,
                    boot_id TEXT,
                    process_start INTEGER,
                    PRIMARY KEY (sweep_id, number)
                );
                """)
        }
        migrator.registerMigration("v4: when each step was logged") { db in
            try db.execute(sql: "ALTER TABLE history ADD COLUMN time REAL")
        }
        return migrator
    }
}
