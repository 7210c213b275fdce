import TemperCLI

// `temper`: the command line, without a PostgreSQL client (a `postgres://` store is handed to
// `temper-postgres`, which has one).
TemperMain.main()
