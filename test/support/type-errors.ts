/**
 * Type-checks one TypeScript file as a user's strict program would (tsc --strict, ES2022 with the
 * DOM, no ambient Node types), for the tests that pin what the public types accept.
 */
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** The messages of every diagnostic of the program rooted at `file` (a `file:` URL); `[]` when it type-checks. */
export function typeErrorsOf(file: URL): string[] {
  const program = ts.createProgram([fileURLToPath(file)], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
  })
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}
