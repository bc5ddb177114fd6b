import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * The API reference's words for each member of a shape, as the installed AWS SDK v3 client ships
 * them (its `dist-types` declarations carry the reference's text as doc comments). The run-time
 * model (sdk-model.ts) has the members and types; what a member does not apply to is only in its
 * documentation, and reading it here keeps the simulation from holding a list of its own.
 */
const nativeRequire = createRequire(__filename);
const cache = new Map<string, string>();

function declarations(pkg: string): string {
  let text = cache.get(pkg);
  if (text === undefined) {
    const root = path.join(path.dirname(nativeRequire.resolve(pkg)), '..', 'dist-types', 'models');
    text = readdirSync(root)
      .filter((f) => f.endsWith('.d.ts'))
      .sort()
      .map((f) => readFileSync(path.join(root, f), 'utf8'))
      .join('\n');
    cache.set(pkg, text);
  }
  return text;
}

/** Each member of `shape` with its documentation as plain text (tags and markup removed). */
export function memberDocs(pkg: string, shape: string): Map<string, string> {
  const body = new RegExp(`export interface ${shape} \\{([\\s\\S]*?)\\n\\}`).exec(declarations(pkg))?.[1];
  if (body === undefined) throw new Error(`${pkg} declares no ${shape}`);
  const docs = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\??:/g)) {
    const text = (m[1] as string)
      .replace(/^\s*\*\s?/gm, ' ')
      .replace(/<[^>]+>/g, '')
      .replace(/&#39;|&apos;/g, "'")
      .replace(/\s+/g, ' ')
      .trim();
    docs.set(m[2] as string, text);
  }
  return docs;
}
