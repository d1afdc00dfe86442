/**
 * What a console page is rendered from: the gateway's context and the services whose functions
 * the JSON API calls too (the pages have no data model of their own), the time of the request,
 * and who is looking.
 */
import type { AppContext } from '../context.ts';
import type { ControlPlane } from '../control-plane/index.ts';
import type { FleetService } from '../fleet/service.ts';
import type { OtaService } from '../ota/service.ts';
import type { Asset } from './assets.ts';
import type { ConsoleUser } from './sessions.ts';

export interface UiEnv {
  ctx: AppContext;
  fleet: FleetService;
  plane: ControlPlane;
  ota: OtaService;
  assets: ReadonlyMap<string, Asset>;
  now: number;
  user: ConsoleUser;
  csrf: string;
}

/** A query string from parameters, leaving out empty ones. */
export function queryString(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
