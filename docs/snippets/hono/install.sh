npm init -y && npm pkg set type=module
npm install caracal-fetch hono @hono/node-server
npm install -D typescript @types/node@22 # only to type-check: npx tsc
