/**
 * The console's page shell: head (stylesheets, the script, no inline code: the pages are served
 * with a Content-Security-Policy that forbids it), a header with the navigation and who is logged
 * in (with the logout form), a skip link for keyboard users, and the live-refresh status. Pages put
 * the parts that refresh themselves in elements with an id and `data-live` (assets/console.js).
 */
import type { Child, FC } from 'hono/jsx';
import type { Asset } from './assets.ts';
import { assetUrl } from './assets.ts';
import type { ConsoleUser } from './sessions.ts';

export type NavPage = 'fleet' | 'firmware' | 'security' | 'device' | 'login';

const NAV: { page: NavPage; href: string; label: string }[] = [
  { page: 'fleet', href: '/ui/', label: 'Fleet' },
  { page: 'firmware', href: '/ui/firmware', label: 'Firmware' },
  { page: 'security', href: '/ui/security', label: 'Security' },
];

export interface LayoutProps {
  title: string;
  page: NavPage;
  assets: ReadonlyMap<string, Asset>;
  user?: ConsoleUser;
  csrf?: string;
  /** Refresh the page's live parts every few seconds. */
  live?: boolean;
  charts?: boolean;
  children?: Child;
}

export const Layout: FC<LayoutProps> = ({ title, page, assets, user, csrf, live, charts, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      <link rel="icon" href="data:," />
      <title>{`${title} · fleetgate`}</title>
      {charts ? <link rel="stylesheet" href={assetUrl(assets, 'uplot.css')} /> : null}
      <link rel="stylesheet" href={assetUrl(assets, 'console.css')} />
      {charts ? <script src={assetUrl(assets, 'uplot.js')} defer></script> : null}
      <script src={assetUrl(assets, 'console.js')} defer></script>
    </head>
    <body data-live-refresh={live ? '5000' : undefined} data-page={page}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="top-inner">
          <a class="brand" href="/ui/">
            <span class="brand-mark" aria-hidden="true">
              ◆
            </span>{' '}
            fleetgate
          </a>
          {user ? (
            <nav class="nav" aria-label="Console">
              {NAV.map((n) => (
                <a href={n.href} aria-current={n.page === page ? 'page' : undefined}>
                  {n.label}
                </a>
              ))}
            </nav>
          ) : null}
          {user ? (
            <div class="who">
              <span class="who-name" title={`token ${user.name}, role ${user.role}`}>
                {user.name} <span class="muted">({user.role})</span>
              </span>
              <form method="post" action="/ui/logout" class="inline">
                <input type="hidden" name="_csrf" value={csrf} />
                <button type="submit" class="link-button">
                  Log out
                </button>
              </form>
            </div>
          ) : null}
        </div>
      </header>
      <main id="main" tabindex={-1}>
        {children}
      </main>
      <footer class="foot">
        {live ? (
          <p class="live-status" id="live-status" aria-live="off">
            Live: refreshes every 5 s.
          </p>
        ) : null}
        <p class="muted">
          The console only reads. Changes go through the API (<a href="/openapi.json">its OpenAPI description</a>) or the <code>fleetgate</code> CLI, authenticated with an admin
          token.
        </p>
      </footer>
    </body>
  </html>
);
