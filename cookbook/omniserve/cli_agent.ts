/**
 * A practical assistant served by the OmniServe CLI, with two local tools that do exact arithmetic so the model
 * does not have to: a unit converter and a calendar calculator.
 *
 *   omniserve run --agent cookbook/omniserve/cli_agent.ts --port 8000
 *
 * The model is OpenAI's gpt-4o-mini. Credentials and endpoint come from the environment, not from this file:
 * LLM_API_KEY (or OPENAI_API_KEY) for the key, LLM_BASE_URL to talk to any OpenAI-compatible server instead.
 * See README.md next to this file.
 */
import { OmniCoreAgent, ToolRegistry } from 'omnicoreagent';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------
// Unit conversion: every unit is a factor to its dimension's base unit (metre, kilogram, litre); temperatures are
// affine, so they get their own pair of functions.

const LINEAR_UNITS = {
  mm: { dimension: 'length', factor: 0.001 },
  cm: { dimension: 'length', factor: 0.01 },
  m: { dimension: 'length', factor: 1 },
  km: { dimension: 'length', factor: 1000 },
  in: { dimension: 'length', factor: 0.0254 },
  ft: { dimension: 'length', factor: 0.3048 },
  yd: { dimension: 'length', factor: 0.9144 },
  mi: { dimension: 'length', factor: 1609.344 },
  mg: { dimension: 'mass', factor: 0.000001 },
  g: { dimension: 'mass', factor: 0.001 },
  kg: { dimension: 'mass', factor: 1 },
  t: { dimension: 'mass', factor: 1000 },
  oz: { dimension: 'mass', factor: 0.028349523125 },
  lb: { dimension: 'mass', factor: 0.45359237 },
  st: { dimension: 'mass', factor: 6.35029318 },
  ml: { dimension: 'volume', factor: 0.001 },
  l: { dimension: 'volume', factor: 1 },
  tsp: { dimension: 'volume', factor: 0.00492892159375 },
  tbsp: { dimension: 'volume', factor: 0.01478676478125 },
  cup: { dimension: 'volume', factor: 0.2365882365 },
  fl_oz: { dimension: 'volume', factor: 0.0295735295625 },
  gal: { dimension: 'volume', factor: 3.785411784 },
} as const;

const TEMPERATURE_UNITS = {
  C: { toKelvin: (v: number) => v + 273.15, fromKelvin: (k: number) => k - 273.15 },
  F: { toKelvin: (v: number) => ((v - 32) * 5) / 9 + 273.15, fromKelvin: (k: number) => ((k - 273.15) * 9) / 5 + 32 },
  K: { toKelvin: (v: number) => v, fromKelvin: (k: number) => k },
} as const;

const UNITS = [...Object.keys(LINEAR_UNITS), ...Object.keys(TEMPERATURE_UNITS)] as [string, ...string[]];
type Unit = keyof typeof LINEAR_UNITS | keyof typeof TEMPERATURE_UNITS;

const convertUnitsInput = z.object({
  value: z.number().finite().describe('The quantity to convert'),
  from: z.enum(UNITS).describe('Unit of the value (US customary units: fl_oz, cup and gal are US measures; C/F/K are temperatures)'),
  to: z.enum(UNITS).describe('Unit to convert to; must measure the same thing as `from`'),
});

function dimensionOf(unit: Unit): string {
  return unit in TEMPERATURE_UNITS ? 'temperature' : LINEAR_UNITS[unit as keyof typeof LINEAR_UNITS].dimension;
}

export function convertUnits({ value, from, to }: z.infer<typeof convertUnitsInput>) {
  const source = from as Unit;
  const target = to as Unit;
  if (dimensionOf(source) !== dimensionOf(target)) {
    throw new Error(`cannot convert ${from} (${dimensionOf(source)}) to ${to} (${dimensionOf(target)})`);
  }
  const result =
    source in TEMPERATURE_UNITS
      ? TEMPERATURE_UNITS[target as keyof typeof TEMPERATURE_UNITS].fromKelvin(
          TEMPERATURE_UNITS[source as keyof typeof TEMPERATURE_UNITS].toKelvin(value),
        )
      : (value * LINEAR_UNITS[source as keyof typeof LINEAR_UNITS].factor) / LINEAR_UNITS[target as keyof typeof LINEAR_UNITS].factor;
  const rounded = Number(result.toPrecision(10));
  return { value, from, to, result: rounded, text: `${value} ${from} = ${rounded} ${to}` };
}

// ---------------------------------------------------------------------------------------------------------------
// Calendar arithmetic on plain dates (YYYY-MM-DD), in UTC so the server's time zone never shifts a day.

const DAY_MS = 86_400_000;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

const dateCalculatorInput = z.object({
  operation: z
    .enum(['add', 'subtract', 'difference', 'weekday'])
    .describe('add/subtract: move `date` by `amount` `unit`s; difference: days from `date` to `other_date`; weekday: day of the week of `date`'),
  date: z.iso.date().optional().describe('A date as YYYY-MM-DD; today (UTC) when omitted'),
  amount: z.number().int().min(0).max(100_000).optional().describe('For add/subtract: how many units'),
  unit: z.enum(['days', 'weeks', 'months', 'years']).optional().describe('For add/subtract; defaults to days'),
  other_date: z.iso.date().optional().describe('For difference: the second date, YYYY-MM-DD'),
});

function parseDate(text: string | undefined): Date {
  if (text === undefined) {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  }
  return new Date(`${text}T00:00:00Z`);
}

function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Adds whole months, keeping the day of the month unless the target month is shorter (Jan 31 + 1 month = Feb 28/29). */
function addMonths(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay)));
}

export function calculateDate(input: z.infer<typeof dateCalculatorInput>) {
  const date = parseDate(input.date);
  switch (input.operation) {
    case 'weekday':
      return { date: formatDate(date), weekday: WEEKDAYS[date.getUTCDay()] };
    case 'difference': {
      if (input.other_date === undefined) throw new Error('difference needs other_date (YYYY-MM-DD)');
      const other = parseDate(input.other_date);
      const days = Math.round((other.getTime() - date.getTime()) / DAY_MS);
      return { from: formatDate(date), to: input.other_date, days, weeks: Math.trunc(days / 7), remaining_days: days % 7 };
    }
    case 'add':
    case 'subtract': {
      if (input.amount === undefined) throw new Error(`${input.operation} needs amount`);
      const unit = input.unit ?? 'days';
      const signed = input.operation === 'add' ? input.amount : -input.amount;
      const moved =
        unit === 'days' || unit === 'weeks'
          ? new Date(date.getTime() + signed * (unit === 'weeks' ? 7 : 1) * DAY_MS)
          : addMonths(date, unit === 'years' ? signed * 12 : signed);
      return { date: formatDate(date), operation: input.operation, amount: input.amount, unit, result: formatDate(moved), weekday: WEEKDAYS[moved.getUTCDay()] };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

const tools = new ToolRegistry()
  .register({
    name: 'convert_units',
    description: 'Convert a quantity between units of length, mass, volume or temperature. Exact factors; use it instead of mental arithmetic.',
    inputSchema: convertUnitsInput,
    execute: convertUnits,
  })
  .register({
    name: 'date_calculator',
    description: 'Calendar arithmetic: add or subtract days/weeks/months/years, count the days between two dates, or find the weekday of a date.',
    inputSchema: dateCalculatorInput,
    execute: calculateDate,
  });

export const agent = new OmniCoreAgent({
  name: 'UnitsAndDatesAssistant',
  systemInstruction: [
    'You are a concise, friendly assistant for everyday measurements and calendar questions.',
    'Always use the convert_units tool for unit conversions and the date_calculator tool for date arithmetic;',
    'never compute these in your head. If a tool answers with an error, explain the problem and ask for what is missing.',
    'Round answers sensibly for the question (for example two decimals for distances) and show the units.',
  ].join(' '),
  modelConfig: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0.2 },
  localTools: tools,
  agentConfig: { maxSteps: 6 },
});
