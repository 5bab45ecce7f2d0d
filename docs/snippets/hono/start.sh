node server.ts
