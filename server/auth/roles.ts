/**
 * Admin roles and what each may do. `viewer` reads; `operator` also steers the fleet (commands,
 * configuration, rollouts, fault injection on test fleets); `admin` also changes who is in the
 * fleet and what it trusts (devices and their keys, nonce resets, releases, tokens).
 *
 * One table decides for every admin route, by method and route pattern, so there is no per-route
 * list to forget: reads need `viewer`; a change needs `admin` unless an OPERATOR_ROUTES rule
 * names it — a new mutating route is admin-only until someone decides otherwise.
 * tests/auth/roles.test.ts walks the router and checks every route against this table.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/**
 * Changes an operator may make: steering the fleet, not who is in it or what it trusts. Releases
 * (PUT /ota/images/:version, POST /ota/images/:version/publish|yank) are deliberately absent: what
 * firmware the fleet may run is an admin's decision; rolling a published release out is an
 * operator's (/ota/rollouts).
 */
const OPERATOR_ROUTES: readonly { methods: readonly string[]; pattern: RegExp }[] = [
  { methods: ['POST', 'DELETE'], pattern: /^\/commands(\/|$)/ },
  { methods: ['PUT', 'DELETE'], pattern: /^\/config\// },
  { methods: ['POST', 'PATCH', 'DELETE'], pattern: /^\/ota\/rollouts(\/|$)/ },
  { methods: ['POST', 'DELETE'], pattern: /^\/fault\// },
];

/** The least role a request to this route needs (`routePath` is the route's pattern, e.g. /devices/:device_id). */
export function requiredRole(method: string, routePath: string): Role {
  if (method === 'GET' || method === 'HEAD') return routePath.startsWith('/tokens') ? 'admin' : 'viewer';
  if (OPERATOR_ROUTES.some((r) => r.methods.includes(method) && r.pattern.test(routePath))) return 'operator';
  return 'admin';
}
