import TemperCLI
import TrackingPostgres

// `temper-postgres`: `temper` with PostgreSQL stores (`--store postgres://…`); `temper` hands
// such commands over to it.
PostgresEngine.register()
TemperMain.main()
