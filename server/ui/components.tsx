/**
 * Pieces every console page uses: status badges (colour and a text label, never colour alone),
 * times (relative, with the absolute UTC time in `datetime` and the tooltip), progress bars (a
 * native <progress> with its numbers in text), the "do it from the CLI" box, empty states.
 */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { ConnectionStatus } from '../fleet/row.ts';
import { ago, isoOf, utc } from './format.ts';

export type Tone = 'good' | 'warn' | 'bad' | 'muted' | 'info';

const STATUS: Record<ConnectionStatus, { label: string; tone: Tone }> = {
  online: { label: 'Online', tone: 'good' },
  offline: { label: 'Offline', tone: 'bad' },
  never_seen: { label: 'Never seen', tone: 'muted' },
  revoked: { label: 'Revoked', tone: 'warn' },
};

export const Badge: FC<PropsWithChildren<{ tone: Tone; title?: string }>> = ({ tone, title, children }) => (
  <span class={`badge badge-${tone}`} title={title}>
    <span class="dot" aria-hidden="true"></span>
    {children}
  </span>
);

export const StatusBadge: FC<{ status: ConnectionStatus }> = ({ status }) => <Badge tone={STATUS[status].tone}>{STATUS[status].label}</Badge>;

export const statusLabel = (s: ConnectionStatus): string => STATUS[s].label;

export const Time: FC<{ ms: number | null | undefined; now: number; never?: string }> = ({ ms, now, never }) =>
  ms === null || ms === undefined ? (
    <span class="muted">{never ?? 'never'}</span>
  ) : (
    <time datetime={isoOf(ms)} title={utc(ms)}>
      {ago(ms, now)}
    </time>
  );

export const Progress: FC<{ value: number; max: number; label: string; tone?: Tone }> = ({ value, max, label, tone }) => (
  <span class={`progress ${tone ? `progress-${tone}` : ''}`}>
    <progress value={Math.min(value, max)} max={Math.max(max, 1)} aria-label={label}></progress>
    <span class="progress-text">{label}</span>
  </span>
);

/** Changes the console does not make itself: the CLI line (or curl) that makes them. */
export const Cli: FC<{ title?: string; lines: string[] }> = ({ title, lines }) => (
  <aside class="cli" aria-label={title ?? 'Make changes from the CLI'}>
    <h2 class="cli-title">{title ?? 'Change it from the CLI'}</h2>
    <pre>
      <code>{lines.join('\n')}</code>
    </pre>
  </aside>
);

export const Empty: FC<PropsWithChildren> = ({ children }) => <p class="empty">{children}</p>;

export const Card: FC<PropsWithChildren<{ title: string; id?: string; live?: boolean; actions?: Child }>> = ({ title, id, live, actions, children }) => (
  <section class="card" aria-labelledby={id ? `${id}-title` : undefined}>
    <header class="card-head">
      <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
      {actions}
    </header>
    <div class="card-body" id={id} data-live={live ? '' : undefined}>
      {children}
    </div>
  </section>
);

/** A <dl> of label → value pairs. */
export const Facts: FC<{ items: [string, Child][] }> = ({ items }) => (
  <dl class="facts">
    {items.map(([k, v]) => (
      <div>
        <dt>{k}</dt>
        <dd>{v}</dd>
      </div>
    ))}
  </dl>
);

/** JSON for client code, in a non-executed script element (`<` escaped so it cannot close the tag). */
export const JsonData: FC<{ id: string; data: unknown }> = ({ id, data }) => (
  <script type="application/json" id={id} data-live="" dangerouslySetInnerHTML={{ __html: JSON.stringify(data).replace(/</g, '\\u003c') }}></script>
);

export type Column = string | { label: string; numeric?: boolean };

/** A table that scrolls inside its card on a narrow screen; the rows are the children. */
export const Table: FC<PropsWithChildren<{ columns: Column[]; compact?: boolean }>> = ({ columns, compact, children }) => (
  <div class="table-wrap">
    <table class={compact ? 'table compact' : 'table'}>
      <thead>
        <tr>
          {columns.map((c) =>
            typeof c === 'string' ? (
              <th scope="col">{c}</th>
            ) : (
              <th scope="col" class={c.numeric ? 'num' : undefined}>
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);

/** A labelled <select> of a form; the empty value is "any". */
export const Select: FC<{ label: string; name: string; value: string | undefined; options: [string, string][] }> = ({ label, name, value, options }) => (
  <label>
    <span>{label}</span>
    <select name={name}>
      <option value="">any</option>
      {options.map(([v, text]) => (
        <option value={v} selected={value === v}>
          {text}
        </option>
      ))}
    </select>
  </label>
);
