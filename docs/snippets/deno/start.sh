deno run --allow-net --allow-env='CARACAL_*,PORT' main.ts
