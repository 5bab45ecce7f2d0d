// TypeDoc plugin: names each documented module by the import path users write (`caracal-fetch`,
// `caracal-fetch/hono`, ...) instead of its source file name, reading the mapping from the
// package's `exports` map so a new subpath needs no change here.
import { readFileSync } from 'node:fs'
import { Converter, ReflectionKind } from 'typedoc'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
/** `index` -> `caracal-fetch`, `upstash` -> `caracal-fetch/upstash`, from `./dist/<file>.js` targets. */
const importPaths = new Map(
  Object.entries(pkg.exports).flatMap(([subpath, target]) => {
    const file = /^\.\/dist\/(.+)\.js$/.exec(target?.default ?? '')?.[1]
    return file === undefined ? [] : [[file, subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`]]
  }),
)

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (_context, reflection) => {
    if (reflection.kind !== ReflectionKind.Module) return
    const name = importPaths.get(reflection.name)
    if (name !== undefined) reflection.name = name
  })
}
