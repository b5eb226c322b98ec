import type Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { daysBetween } from './support-clock.ts';

const SEED_FILE = new URL('./seed.sql', import.meta.url);

/** Every date or timestamp column of seed.sql, moved together when the database is created on another day. */
const DATED_COLUMNS = [
  ['customers', 'created_at'],
  ['orders', 'ordered_at'],
  ['orders', 'shipped_at'],
  ['orders', 'delivered_at'],
  ['orders', 'cancelled_at'],
  ['orders', 'refunded_at'],
  ['order_items', 'downloaded_at'],
  ['tickets', 'created_at'],
  ['tickets', 'updated_at'],
  ['tickets', 'escalated_at'],
  ['ticket_notes', 'created_at'],
] as const;

/**
 * Creates the schema and the sample data when the database is empty, in one immediate transaction, so two
 * processes opening a new file at once seed it once. The sample dates are written for the seed anchor
 * (app_meta.seed_anchor); they are moved by (today - anchor) days so the data is as old as it reads in seed.sql.
 * Returns true when it seeded.
 */
export function seedIfEmpty(db: Database.Database, today: string): boolean {
  const seed = db.transaction(() => {
    if (db.pragma('user_version', { simple: true }) !== 0) return false;
    db.exec(readFileSync(SEED_FILE, 'utf8'));
    const anchor = (db.prepare("SELECT value FROM app_meta WHERE key = 'seed_anchor'").get() as { value: string }).value;
    const shift = daysBetween(anchor, today);
    if (shift !== 0) {
      const modifier = `${shift > 0 ? '+' : ''}${shift} days`;
      for (const [table, column] of DATED_COLUMNS) {
        // Dates stay dates, timestamps stay timestamps; NULL stays NULL.
        db.prepare(
          `UPDATE ${table} SET ${column} = CASE WHEN length(${column}) = 10 THEN date(${column}, @modifier)
             ELSE strftime('%Y-%m-%dT%H:%M:%SZ', ${column}, @modifier) END
           WHERE ${column} IS NOT NULL`,
        ).run({ modifier });
      }
    }
    db.prepare("INSERT INTO app_meta (key, value) VALUES ('created_on', ?), ('date_shift_days', ?)").run(today, String(shift));
    db.pragma('user_version = 1');
    return true;
  });
  return seed.immediate();
}
