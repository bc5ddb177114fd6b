import type { Json } from './assembly';

/**
 * The JSONPath the definition writes (`$.DbInstances[0].DbParameterGroups[0].ParameterApplyStatus`,
 * `$.Executions[*].Name`, `$.TaskDefinition.ContainerDefinitions[?(@.Name == 'metadata-service')].Image`),
 * as segments the rehearsal can follow into a value to find the concrete places a path reads. Any
 * other form is refused, so a new one is noticed rather than followed wrongly.
 */
export type Segment =
  | { readonly name: string }
  | { readonly index: number }
  | { readonly wildcard: true }
  | { readonly filter: { readonly field: string; readonly equals: Json; readonly text: string } };

/** A place in a value: keys and array indexes from the top. */
export type Location = readonly (string | number)[];

const FILTER = /^\?\(@\.(\w+)\s*==\s*(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?|true|false|null))\s*\)$/;

export function parsePath(path: string): Segment[] {
  if (!path.startsWith('$') || path.startsWith('$$')) throw new Error(`not a path into the state's data: ${path}`);
  const segments: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const name = /^\.([^.[\]\s]+)/.exec(rest);
    if (name) {
      segments.push({ name: name[1] as string });
      rest = rest.slice(name[0].length);
      continue;
    }
    const quoted = /^\['([^']+)'\]/.exec(rest);
    if (quoted) {
      segments.push({ name: quoted[1] as string });
      rest = rest.slice(quoted[0].length);
      continue;
    }
    const index = /^\[(\d+)\]/.exec(rest);
    if (index) {
      segments.push({ index: Number(index[1]) });
      rest = rest.slice(index[0].length);
      continue;
    }
    if (rest.startsWith('[*]')) {
      segments.push({ wildcard: true });
      rest = rest.slice(3);
      continue;
    }
    const end = rest.startsWith('[?(') ? rest.indexOf(')]') : -1;
    const filter = end > 0 ? FILTER.exec(rest.slice(1, end + 1)) : null;
    if (!filter) throw new Error(`unsupported JSONPath at "${rest}" in ${path}`);
    const literal = filter[4];
    const equals: Json = filter[2] ?? filter[3] ?? (literal === undefined ? null : (JSON.parse(literal) as Json));
    segments.push({ filter: { field: filter[1] as string, equals, text: rest.slice(1, end + 1) } });
    rest = rest.slice(end + 2);
  }
  return segments;
}

export function formatPath(segments: readonly Segment[]): string {
  return `$${segments
    .map((s) => ('name' in s ? `.${s.name}` : 'index' in s ? `[${s.index}]` : 'wildcard' in s ? '[*]' : `[${s.filter.text}]`))
    .join('')}`;
}

/** Whether a path reads one value at most: no wildcard, no filter. */
export function isDefinite(segments: readonly Segment[]): boolean {
  return segments.every((s) => 'name' in s || 'index' in s);
}

/** Every place in `value` the path reaches, in document order. */
export function locate(value: Json, segments: readonly Segment[]): Location[] {
  let found: { at: Location; value: Json }[] = [{ at: [], value }];
  for (const segment of segments) {
    const next: typeof found = [];
    for (const { at, value: here } of found) {
      if ('name' in segment) {
        if (isObject(here) && segment.name in here) next.push({ at: [...at, segment.name], value: here[segment.name] as Json });
      } else if (Array.isArray(here)) {
        here.forEach((element, i) => {
          const matches =
            'index' in segment ? i === segment.index : 'wildcard' in segment || (isObject(element) && element[segment.filter.field] === segment.filter.equals);
          if (matches) next.push({ at: [...at, i], value: element });
        });
      }
    }
    found = next;
  }
  return found.map((f) => f.at);
}

/** Takes the member (or the array element) at `location` out of `value`, in place. */
export function removeAt(value: Json, location: Location): void {
  const parent = location.slice(0, -1).reduce<Json>((v, key) => (v as Record<string | number, Json>)[key] as Json, value);
  const last = location.at(-1);
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isObject(parent) && typeof last === 'string') delete parent[last];
  else throw new Error(`nothing at ${JSON.stringify(location)}`);
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
