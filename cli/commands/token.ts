/**
 * `fleetgate token create|list|revoke`: named admin tokens with roles (viewer reads; operator also
 * steers commands, config and rollouts; admin also manages devices, keys, releases and tokens).
 * A token is printed once, when created; the gateway keeps only its hash. Admin role needed.
 */
import type { Command } from 'commander';
import { adminRequest, seg } from '../admin-client.ts';
import { CliError, ExitCode } from '../errors.ts';
import { adminOptions, examples, type AdminOptions } from '../options.ts';
import { keyValues, show, showList, shortTime } from '../output.ts';
import type { Answer } from './views.ts';

/** Written out for help; kept equal to server/auth/roles.ts ROLES by a test. */
export const ROLES_HELP = 'viewer|operator|admin';

interface TokenView {
  name: string;
  role: string;
  status: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

export function tokenCommand(program: Command): void {
  const group = program.command('token').description('admin tokens with roles: create (shown once), list, revoke');
  examples(group, [['fleetgate token create --name alice --role operator', 'a token for an operator']]);

  const create = adminOptions(
    group
      .command('create')
      .description('create a named token; prints it once (store it: the gateway keeps only its hash)')
      .requiredOption('--name <name>', 'who it is for: 1-64 of a-z 0-9 _ . - (shown as token:<name> in the audit log)')
      .requiredOption('--role <role>', `${ROLES_HELP}`),
  );
  examples(create, [
    ['fleetgate token create --name alice --role operator', 'commands, config and rollouts'],
    ['fleetgate token create --name grafana --role viewer --json', 'read-only, for a script'],
  ]);
  create.action(async (opts: AdminOptions & { name: string; role: string }) => {
    if (!ROLES_HELP.split('|').includes(opts.role)) throw new CliError(`--role must be one of ${ROLES_HELP.replaceAll('|', ', ')}`, ExitCode.usage);
    const res = await adminRequest<Answer<{ name: string; role: string; token: string }>>(opts, 'POST', '/tokens', { name: opts.name, role: opts.role });
    show(opts, res, () => keyValues([['name', res.name], ['role', res.role], ['token', res.token], ['note', 'shown only now: the gateway keeps only its hash']]));
  });

  const list = adminOptions(group.command('list').description('every token with its role and status (never a token)'));
  examples(list, [['fleetgate token list', 'who can do what']]);
  list.action(async (opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ tokens: TokenView[] }>>(opts, 'GET', '/tokens');
    showList(opts, res.tokens, 'no named tokens (only the bootstrap token)', [
      { header: 'NAME', value: (t) => t.name },
      { header: 'ROLE', value: (t) => t.role },
      { header: 'STATUS', value: (t) => t.status },
      { header: 'CREATED', value: (t) => `${shortTime(t.created_at)} by ${t.created_by}` },
      { header: 'REVOKED', value: (t) => (t.revoked_at ? shortTime(t.revoked_at) : '-') },
    ]);
  });

  const revoke = adminOptions(group.command('revoke').description('revoke a token: refused from its next request on').argument('<name>', 'the token name'));
  examples(revoke, [['fleetgate token revoke alice', 'alice no longer signs in']]);
  revoke.action(async (name: string, opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ token: TokenView }>>(opts, 'DELETE', `/tokens/${seg(name)}`);
    show(opts, res, () => `token ${res.token.name} revoked`);
  });
}
