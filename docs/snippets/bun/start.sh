bun server.ts
