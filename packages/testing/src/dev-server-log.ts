import type { StoredEvent } from './event-store.js';

/** Properties every SDK stamps; the log line shows them in their own columns or not at all. */
const STAMPED = new Set(['distinct_id', 'time', '$insert_id', '$lib', '$lib_version']);
const SHOWN_PROPERTIES = 4;
const VALUE_WIDTH = 40;

/**
 * One readable line for an accepted event: its time (the event's own `time` when it has one),
 * name, distinct id, `$lib` and the first few other properties.
 */
export function formatEventLine(event: StoredEvent): string {
  const { properties } = event;
  const time = typeof properties.time === 'number' ? properties.time : event.receivedAt;
  const stamp = Number.isFinite(new Date(time).getTime())
    ? new Date(time).toISOString()
    : String(time);
  const lib = typeof properties.$lib === 'string' ? properties.$lib : '-';
  const others = Object.entries(properties).filter(([name]) => !STAMPED.has(name));
  const shown = others.slice(0, SHOWN_PROPERTIES).map(([name, value]) => {
    const text = JSON.stringify(value) ?? String(value);
    return `${name}=${text.length > VALUE_WIDTH ? `${text.slice(0, VALUE_WIDTH - 3)}...` : text}`;
  });
  if (others.length > SHOWN_PROPERTIES) shown.push(`(+${others.length - SHOWN_PROPERTIES} more)`);
  return [stamp, JSON.stringify(event.event), event.distinctId, lib, ...shown].join('  ');
}
