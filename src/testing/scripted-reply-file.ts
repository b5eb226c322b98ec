import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ScriptedReply } from './scripted-reply.ts';

const count = z.number().int().min(0);
const timing = { delayMs: count.optional() };
const streaming = { chunkSize: z.number().int().min(1).optional(), chunkDelayMs: count.optional() };
const usage = z.object({ promptTokens: count, completionTokens: count }).strict().optional();

const TEXT = z.object({ text: z.string(), usage, finishReason: z.enum(['stop', 'length', 'content_filter']).optional(), ...timing, ...streaming }).strict();
const TOOL_CALLS = z
  .object({
    toolCalls: z
      .array(z.object({ name: z.string().min(1), arguments: z.union([z.record(z.string(), z.unknown()), z.string()]), id: z.string().min(1).optional() }).strict())
      .min(1),
    text: z.string().optional(),
    usage,
    ...timing,
    ...streaming,
  })
  .strict();
const ERROR = z
  .object({
    error: z
      .object({
        status: z.number().int().min(400).max(599),
        message: z.string().optional(),
        type: z.string().optional(),
        code: z.string().optional(),
        headers: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
    ...timing,
  })
  .strict();
const HANG = z.object({ hang: z.literal(true), ...timing }).strict();

/** A script file that is not a JSON array of replies; the message names the file, the reply and the field. */
export class ScriptFileError extends Error {
  override name = 'ScriptFileError';
}

/**
 * The replies of a script (a JSON array of what `ScriptedOpenAIServer.enqueue` takes), checked the way the server
 * tells them apart: by `hang`, `error`, `toolCalls` or `text`, in that order. `source` names the file in messages.
 */
export function parseScript(json: string, source: string): ScriptedReply[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new ScriptFileError(`${source} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(data)) throw new ScriptFileError(`${source} must hold a JSON array of replies, such as [{"text": "Hello"}]`);
  return data.map((item, index) => {
    const where = `${source}: reply ${index + 1}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ScriptFileError(`${where} must be an object`);
    const schema = 'hang' in item ? HANG : 'error' in item ? ERROR : 'toolCalls' in item ? TOOL_CALLS : 'text' in item ? TEXT : null;
    if (schema === null) {
      throw new ScriptFileError(`${where} must have "text", "toolCalls", "error" or "hang" (a text reply is {"text": "..."})`);
    }
    const checked = schema.safeParse(item);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const field = issue === undefined || issue.path.length === 0 ? '' : ` (${issue.path.map(String).join('.')})`;
      throw new ScriptFileError(`${where}${field}: ${issue?.message ?? 'is not a reply'}`);
    }
    // Checked above against the same shapes the type describes.
    return checked.data as ScriptedReply;
  });
}

/** Reads and checks a script file (see `parseScript`). */
export async function readScript(path: string): Promise<ScriptedReply[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ScriptFileError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseScript(text, path);
}
