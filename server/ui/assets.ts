/**
 * The console's static files, served by the gateway itself (fleets run on closed networks: no
 * CDN): its stylesheet and script (server/ui/assets/) and uPlot's, from the npm package. Read once
 * at start and served from memory under a URL carrying a hash of their content, so browsers cache
 * them for good and a new release is fetched at once.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  name: string;
  type: string;
  body: Buffer;
  /** First 16 hex digits of its SHA-256: the URL's version and the ETag. */
  hash: string;
}

/**
 * server/ui/assets: beside this module when it runs from the sources (tests, CLI), found from the
 * project root when it runs from the bundle in .build/ (walking up, as migrations are found).
 */
function assetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const candidate of [join(dir, 'assets'), join(dir, 'server', 'ui', 'assets')]) {
      if (existsSync(join(candidate, 'console.css'))) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find server/ui/assets');
    dir = parent;
  }
}

function asset(name: string, type: string, path: string): Asset {
  const body = readFileSync(path);
  return { name, type, body, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) };
}

export function loadAssets(): Map<string, Asset> {
  const own = assetsDir();
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
  const list = [
    asset('console.css', 'text/css; charset=utf-8', join(own, 'console.css')),
    asset('console.js', 'text/javascript; charset=utf-8', join(own, 'console.js')),
    asset('uplot.js', 'text/javascript; charset=utf-8', join(uplot, 'uPlot.iife.min.js')),
    asset('uplot.css', 'text/css; charset=utf-8', join(uplot, 'uPlot.min.css')),
  ];
  return new Map(list.map((a) => [a.name, a]));
}

/** The URL of an asset, versioned by its content. */
export function assetUrl(assets: ReadonlyMap<string, Asset>, name: string): string {
  const a = assets.get(name);
  if (!a) throw new Error(`no console asset ${name}`);
  return `/ui/assets/${name}?v=${a.hash}`;
}
