/**
 * The config-lag suite (config-lag.test.ts) again, with every gateway on PostgreSQL: a fresh
 * database per gateway on the run's cluster (tests/helpers/postgres.ts).
 */
import '../helpers/postgres.ts';

process.env.FLEETGATE_TEST_BACKEND = 'postgres';
await import('./config-lag.test.ts');
