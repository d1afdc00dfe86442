/**
 * The console session suite (session.test.ts) again, with every gateway on PostgreSQL: sessions
 * in the database's console_sessions table.
 */
import '../helpers/postgres.ts';

process.env.FLEETGATE_TEST_BACKEND = 'postgres';
await import('./session.test.ts');
