// The test MCP server over stdio, for McpToolSource tests: `node stdioTestServer.ts`.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createTestMcpServer } from './mcpTestServer.ts';

const server = createTestMcpServer({ transfers: 0, authorizations: [] }, { allowCrash: true });
await server.connect(new StdioServerTransport());
// Exit when the client closes stdin, even with a slow call still pending (the SDK would otherwise
// wait two seconds before SIGTERM).
process.stdin.on('end', () => process.exit(0));
