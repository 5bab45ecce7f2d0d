npm init -y && npm pkg set type=module
npm install caracal-fetch
npm install -D wrangler
