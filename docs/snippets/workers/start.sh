npx wrangler dev --port "${PORT:-8787}"
