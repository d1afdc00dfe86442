/**
 * The login page (/ui/login) and the console's error page. The login form posts an admin token
 * once; it never travels in a URL. The hidden `_csrf` field is bound to a short-lived pre-login
 * cookie, so another site cannot log a browser in under its own token.
 */
import type { FC } from 'hono/jsx';
import type { Asset } from '../assets.ts';
import type { Tone } from '../components.tsx';
import { Layout } from '../layout.tsx';
import type { ConsoleUser } from '../sessions.ts';

export const LoginPage: FC<{ assets: ReadonlyMap<string, Asset>; csrf: string; next?: string | undefined; message?: { tone: Tone; text: string } | undefined }> = ({
  assets,
  csrf,
  next,
  message,
}) => (
  <Layout title="Log in" page="login" assets={assets}>
    <div class="login">
      <section class="card login-card" aria-labelledby="login-title">
        <h1 id="login-title">Operator console</h1>
        <p class="muted">Log in with an admin token of any role. The console only reads; changes stay on the API and the CLI.</p>
        {message ? (
          <p class={`notice notice-${message.tone}`} role={message.tone === 'bad' ? 'alert' : 'status'}>
            {message.text}
          </p>
        ) : null}
        <form method="post" action="/ui/login" class="stack">
          <input type="hidden" name="_csrf" value={csrf} />
          {next ? <input type="hidden" name="next" value={next} /> : null}
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required maxlength={512} spellcheck={false} autofocus />
          <button type="submit">Log in</button>
        </form>
        <p class="muted small">
          The bootstrap token is in <code>keys/admin_token</code> on the gateway. Better, give each person their own:{' '}
          <code>fleetgate token create --name alice --role viewer</code>.
        </p>
      </section>
    </div>
  </Layout>
);

export const ErrorPage: FC<{ assets: ReadonlyMap<string, Asset>; status: number; message: string; user?: ConsoleUser | undefined; csrf?: string | undefined }> = ({
  assets,
  status,
  message,
  user,
  csrf,
}) => (
  <Layout title={status === 404 ? 'Not found' : 'Error'} page="fleet" assets={assets} user={user} csrf={csrf}>
    <div class="page-head">
      <h1>{status === 404 ? 'Not found' : status === 400 ? 'Bad request' : status === 429 ? 'Too many attempts' : status >= 500 ? 'Something went wrong' : 'Refused'}</h1>
    </div>
    <p class="notice notice-bad" role="alert">
      {message}
    </p>
    <p>
      <a href="/ui/">Back to the fleet</a>
    </p>
  </Layout>
);
