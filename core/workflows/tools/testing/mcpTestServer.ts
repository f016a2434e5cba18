// A tiny MCP server for tests, built with the same SDK: sanctions screening over synthetic data,
// plus tools that misbehave on purpose (slow, crash) or have side effects (transfer). Served over
// stdio by stdioTestServer.ts, or over streamable HTTP in-process by startHttpTestServer().
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** Synthetic entries — invented names, no real list. */
const sanctionsList = [
  { entryId: 'SYN-0001', name: 'Ivan Testovich Petrenko' },
  { entryId: 'SYN-0002', name: 'Acme Shell Holdings Ltd' },
  { entryId: 'SYN-0003', name: 'Maria Example Sanchez' },
];

/** What the server has done, for tests to check (per process for stdio, shared for HTTP). */
export interface TestServerState {
  transfers: number;
  /** The Authorization header of each HTTP request, in order. */
  authorizations: (string | undefined)[];
}

function tokens(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((token) => token.length > 0);
}

function answer<T extends Record<string, unknown>>(value: T): { content: { type: 'text'; text: string }[]; structuredContent: T } {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

export function createTestMcpServer(state: TestServerState, options: { allowCrash: boolean }): McpServer {
  const server = new McpServer({ name: 'strongroom-test-sanctions', version: '1.0.0' });
  server.registerTool(
    'sanctions_screen',
    {
      description: 'Screens a name against a synthetic sanctions list.',
      inputSchema: { name: z.string().min(1).max(200) },
      outputSchema: { hits: z.array(z.object({ entryId: z.string(), name: z.string(), score: z.number() })) },
      annotations: { readOnlyHint: true },
    },
    ({ name }) => {
      const wanted = new Set(tokens(name));
      const hits = sanctionsList
        .map((entry) => {
          const entryTokens = tokens(entry.name);
          return { ...entry, score: entryTokens.filter((token) => wanted.has(token)).length / entryTokens.length };
        })
        .filter((hit) => hit.score >= 0.5)
        .sort((a, b) => b.score - a.score);
      return answer({ hits });
    },
  );
  server.registerTool('whoami', { description: 'The server process id.', annotations: { readOnlyHint: true } }, () => answer({ pid: process.pid }));
  server.registerTool(
    'slow',
    { description: 'Answers after ms milliseconds.', inputSchema: { ms: z.int().min(0).max(60_000) }, annotations: { readOnlyHint: true } },
    async ({ ms }) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return answer({ waited: ms });
    },
  );
  server.registerTool('crash', { description: 'Exits the server process (stdio only).', annotations: { readOnlyHint: true } }, () => {
    if (options.allowCrash) process.exit(3);
    return answer({ crashed: false });
  });
  server.registerTool(
    'env_has',
    { description: 'Which of these environment variables the server sees.', inputSchema: { names: z.array(z.string()).max(20) }, annotations: { readOnlyHint: true } },
    ({ names }) => answer({ present: names.filter((name) => process.env[name] !== undefined) }),
  );
  server.registerTool(
    'transfer',
    { description: 'Side effect: books a synthetic transfer.', inputSchema: { reference: z.string(), amount: z.number().positive() } },
    () => {
      state.transfers += 1;
      return answer({ transferNumber: state.transfers });
    },
  );
  server.registerTool('transfer_count', { description: 'How many transfers were booked.', annotations: { readOnlyHint: true } }, () => answer({ count: state.transfers }));
  server.registerTool('fail', { description: 'Always reports a tool error.', annotations: { readOnlyHint: true } }, () => ({
    content: [{ type: 'text', text: 'synthetic failure' }],
    isError: true,
  }));
  return server;
}

export interface HttpTestServer {
  url: string;
  state: TestServerState;
  /** Stops listening and drops open connections (a crash, as the client sees it). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** Serves the test server statelessly over streamable HTTP on 127.0.0.1; optionally demands a bearer token. */
export async function startHttpTestServer(options: { token?: string } = {}): Promise<HttpTestServer> {
  const state: TestServerState = { transfers: 0, authorizations: [] };
  let port = 0;
  let http: Server | undefined;

  async function start(): Promise<void> {
    http = createServer((request, response) => {
      state.authorizations.push(request.headers.authorization);
      if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) {
        response.writeHead(401).end();
        return;
      }
      const server = createTestMcpServer(state, { allowCrash: false });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      response.on('close', () => {
        void transport.close();
        void server.close();
      });
      server
        .connect(transport)
        .then(() => transport.handleRequest(request, response))
        .catch(() => {
          if (!response.headersSent) response.writeHead(500).end();
        });
    });
    const listening = http;
    await new Promise<void>((resolve) => listening.listen(port, '127.0.0.1', resolve));
    port = (listening.address() as AddressInfo).port;
  }

  async function stop(): Promise<void> {
    const closing = http;
    http = undefined;
    if (closing === undefined) return;
    closing.closeAllConnections();
    await new Promise<void>((resolve) => closing.close(() => resolve()));
  }

  await start();
  return { url: `http://127.0.0.1:${port}/mcp`, state, stop, start };
}
