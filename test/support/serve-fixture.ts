import { afterAll, afterEach, beforeAll } from 'vitest';
import { OmniCoreAgent, type OmniCoreAgentOptions } from '../../src/agent/omni-core-agent.ts';
import type { ServableAgent } from '../../src/agent/servable-agent.ts';
import { OmniServe } from '../../src/app/omni-serve.ts';
import type { OmniServeOptions } from '../../src/config/serve-config.ts';
import { ScriptedOpenAIServer } from '../../src/testing/scripted-openai-server.ts';

/** An OmniCoreAgent wired to a scripted model server. */
export function scriptedAgent(llm: ScriptedOpenAIServer, options: Partial<OmniCoreAgentOptions> = {}): OmniCoreAgent {
  return new OmniCoreAgent({
    name: 'TestAgent',
    systemInstruction: 'You are a test agent.',
    modelConfig: { provider: 'openai', model: 'scripted-model', baseUrl: llm.baseUrl, apiKey: 'test-key', maxRetries: 0 },
    ...options,
  });
}

/** An OmniServe over the agent, reading no environment and logging nothing. */
export function serve(agent: ServableAgent, options: OmniServeOptions = {}, env: NodeJS.ProcessEnv = {}): OmniServe {
  return new OmniServe(agent, options, { env, logger: false });
}

export interface SseFrame {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: any;
}

/** Parses an SSE body into frames (comments skipped). */
export function parseSse(body: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of body.split('\n\n')) {
    if (block.trim() === '' || block.startsWith(':')) continue;
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    frames.push({ event, id, data: data.length > 0 ? JSON.parse(data.join('\n')) : undefined });
  }
  return frames;
}

export interface ScriptedModelOptions {
  /**
   * Ends what else the tests started, such as the CLI processes of `test/e2e/spawn-cli.ts` (`stopAllClis`): awaited
   * after each test, before the model is reset, and once more before the model closes.
   */
  readonly stop?: () => Promise<void>;
}

export interface ScriptedModel {
  readonly llm: ScriptedOpenAIServer;
  /** The variables that point a spawned `omniserve` at the scripted model (`LLM_BASE_URL`, `LLM_API_KEY`). */
  readonly env: Readonly<Record<string, string>>;
  tracked(server: OmniServe): OmniServe;
}

/**
 * Registers the hooks most server tests need: one scripted model for the file (or the describe block it is called
 * in), reset after each test, with every tracked server stopped (and `options.stop` awaited) before the reset.
 * Call at the top level of a test file or of a describe block.
 */
export function useScriptedModel(options: ScriptedModelOptions = {}): ScriptedModel {
  let llm: ScriptedOpenAIServer | undefined;
  const servers: OmniServe[] = [];
  const started = (): ScriptedOpenAIServer => {
    if (llm === undefined) throw new Error('the scripted model starts in beforeAll');
    return llm;
  };
  beforeAll(async () => {
    llm = await ScriptedOpenAIServer.start();
  });
  afterEach(async () => {
    await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
    await options.stop?.();
    llm?.reset();
  });
  afterAll(async () => {
    await options.stop?.();
    await llm?.close();
  });
  return {
    get llm() {
      return started();
    },
    get env() {
      return { LLM_BASE_URL: started().baseUrl, LLM_API_KEY: 'test' };
    },
    tracked(server) {
      servers.push(server);
      return server;
    },
  };
}
