/**
 * Feature modules mounted after the core routes (control plane, OTA, the fleet read model, the operator console). Each entry
 * builds its routes from the shared AppContext and may register closers with `ctx.onClose`.
 */
import type { Hono } from 'hono';
import type { AppContext, AppEnv } from './context.ts';
import { controlPlane } from './control-plane/index.ts';
import { otaFeature } from './ota/routes.ts';
import { fleetFeature } from './fleet/index.ts';
import { consoleFeature } from './ui/index.tsx';

export type Feature = (ctx: AppContext) => Hono<AppEnv> | Promise<Hono<AppEnv>>;

export const features: Feature[] = [controlPlane, otaFeature, fleetFeature, consoleFeature];
