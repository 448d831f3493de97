/**
 * The range controls of aggregates and history: a preset, or from / to (UTC). The date inputs are disabled (not
 * sent) unless the range is "custom"; static/app.js enables them when it is chosen.
 */
import type { FC } from 'hono/jsx';
import { Select } from '../layout.tsx';
import { RANGE_LABELS, type TimeRange } from '../params.ts';

/** Minutes of an instant as an <input type="datetime-local"> shows them (the form says they are UTC). */
const local = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/** A chosen range's bounds as the form and the canonical URL give them; nothing for a preset. */
export const customBounds = (r: TimeRange) =>
  r.range === 'custom' ? { from: local(r.from), to: local(r.to) } : {};

export const RangeFields: FC<{ area: string; range: TimeRange; presets: string[] }> = (p) => (
  <>
    <Select
      area={p.area}
      name="range"
      label="Range"
      value={p.range.range}
      options={[...p.presets, 'custom']}
      labels={RANGE_LABELS}
    />
    {(['from', 'to'] as const).map((name) => (
      <div class="field">
        <label for={`${p.area}-${name}`}>{name === 'from' ? 'From' : 'To'} (UTC)</label>
        <input
          id={`${p.area}-${name}`}
          type="datetime-local"
          name={name}
          step="60"
          value={local(p.range[name])}
          disabled={p.range.range !== 'custom'}
        />
      </div>
    ))}
  </>
);
