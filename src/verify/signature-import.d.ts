// The package's `#signature` import (package.json "imports") picks a primitive per runtime by export
// condition. Declared here rather than through tsconfig `paths`: Bun applies `paths` at run time,
// which would load the TypeScript source instead of the built file in this repository.
declare module '#signature' {
  export const primitive: import('./signature.js').SignaturePrimitive
}
