import { createRequire } from 'node:module';
import { sfnMemberName } from '../handlers/lib/sdk-casing';

/**
 * The AWS API models as the AWS SDK v3 clients carry them at run time: the schema each client
 * serializes with (`@aws-sdk/client-rds` exports `DBInstance$` and the like). Reading the shapes
 * from the installed clients, not from a hand-kept list, means an attribute AWS adds later shows up
 * here by itself.
 *
 * Schema encoding (Smithy's run-time schemas): a structure is `[3, namespace, name, traits,
 * memberNames, memberSchemas, requiredCount?]` (required members first), a list `[1, ns, name,
 * traits, memberSchema]`, a map `[2, ...]`, an operation `[9, ns, name, traits, input, output]`, an
 * error `[-3, ...]`; a member schema is a simple type code (0 string, 1 number, 2 boolean, 4
 * timestamp, 15 blob; `64 | t` a list of t, `128 | t` a map of t), a thunk `() => Shape$`, or
 * `[thunk, memberTraits]`.
 */
export type Service = 'rds' | 'ecs' | 'sfn' | 'sns' | 'kms' | 'lambda' | 'sts';

const CLIENTS: Record<Service, string> = {
  rds: '@aws-sdk/client-rds',
  ecs: '@aws-sdk/client-ecs',
  sfn: '@aws-sdk/client-sfn',
  sns: '@aws-sdk/client-sns',
  kms: '@aws-sdk/client-kms',
  lambda: '@aws-sdk/client-lambda',
  sts: '@aws-sdk/client-sts',
};

export type ShapeType = 'string' | 'number' | 'boolean' | 'timestamp' | 'blob' | 'document';

export type Shape =
  | { readonly kind: 'structure'; readonly name: string; readonly members: ReadonlyMap<string, Shape | (() => Shape)>; readonly required: readonly string[] }
  | { readonly kind: 'list'; readonly member: () => Shape }
  | { readonly kind: 'map'; readonly value: () => Shape }
  | { readonly kind: 'scalar'; readonly type: ShapeType };

type RawSchema = unknown[];
const nativeRequire = createRequire(__filename);
const modules = new Map<Service, Record<string, unknown>>();

function client(service: Service): Record<string, unknown> {
  let mod = modules.get(service);
  if (!mod) {
    mod = nativeRequire(CLIENTS[service]) as Record<string, unknown>;
    modules.set(service, mod);
  }
  return mod;
}

const SCALARS: Record<number, ShapeType> = { 0: 'string', 1: 'number', 2: 'boolean', 4: 'timestamp', 15: 'blob', 21: 'number' };

function simple(code: number): Shape {
  if (code & 64) return { kind: 'list', member: () => simple(code & ~64) };
  if (code & 128) return { kind: 'map', value: () => simple(code & ~128) };
  return { kind: 'scalar', type: SCALARS[code] ?? 'document' };
}

function fromSchema(schema: unknown): Shape {
  if (typeof schema === 'number') return simple(schema);
  if (typeof schema === 'function') return fromSchema((schema as () => unknown)());
  const raw = schema as RawSchema;
  // [thunk, traits]: a member reference with traits of its own.
  if (typeof raw[0] === 'function') return fromSchema(raw[0]);
  switch (raw[0]) {
    case 3:
    case -3: {
      const names = raw[4] as string[];
      const schemas = raw[5] as unknown[];
      const members = new Map<string, () => Shape>(names.map((n, i) => [n, () => fromSchema(schemas[i])]));
      const required = names.slice(0, typeof raw[6] === 'number' ? raw[6] : 0);
      return { kind: 'structure', name: raw[2] as string, members, required };
    }
    case 1:
      return { kind: 'list', member: () => fromSchema(raw[4]) };
    case 2:
      return { kind: 'map', value: () => fromSchema(raw[5] ?? raw[4]) };
    default:
      return { kind: 'scalar', type: 'document' };
  }
}

/** A named structure of a service's model, e.g. `shape('rds', 'DBInstance')`. */
export function shape(service: Service, name: string): Extract<Shape, { kind: 'structure' }> {
  const raw = client(service)[`${name}$`];
  if (!Array.isArray(raw)) throw new Error(`${CLIENTS[service]} has no shape ${name}`);
  return fromSchema(raw) as Extract<Shape, { kind: 'structure' }>;
}

/** An operation's input and output structures, e.g. `operation('rds', 'RestoreDBInstanceFromDBSnapshot')`. */
export function operation(service: Service, name: string): { input: Extract<Shape, { kind: 'structure' }>; output: Extract<Shape, { kind: 'structure' }> } {
  const raw = client(service)[`${name}$`] as RawSchema | undefined;
  if (!Array.isArray(raw) || raw[0] !== 9) throw new Error(`${CLIENTS[service]} has no operation ${name}`);
  return { input: fromSchema(raw[4]) as never, output: fromSchema(raw[5]) as never };
}

/** The member names of a structure, in the model's order. */
export function memberNames(s: Extract<Shape, { kind: 'structure' }>): string[] {
  return [...s.members.keys()];
}

export function memberShape(s: Extract<Shape, { kind: 'structure' }>, member: string): Shape | undefined {
  const m = s.members.get(member);
  return m === undefined ? undefined : typeof m === 'function' ? m() : m;
}

/**
 * Problems with `value` as Step Functions would send it for `s` (member names in Step Functions
 * casing, see sdk-casing.ts): unknown members, wrong types, required members missing. Empty when
 * the value fits.
 */
export function valueProblems(s: Shape, value: unknown, where: string): string[] {
  if (s.kind === 'list') {
    if (!Array.isArray(value)) return [`${where}: expected a list, got ${describe(value)}`];
    return value.flatMap((item, i) => valueProblems(s.member(), item, `${where}[${i}]`));
  }
  if (s.kind === 'map') {
    if (!isObject(value)) return [`${where}: expected a map, got ${describe(value)}`];
    return Object.entries(value).flatMap(([k, v]) => valueProblems(s.value(), v, `${where}.${k}`));
  }
  if (s.kind === 'scalar') {
    const ok =
      s.type === 'string' ? typeof value === 'string'
      : s.type === 'number' ? typeof value === 'number' && Number.isFinite(value)
      : s.type === 'boolean' ? typeof value === 'boolean'
      : s.type === 'timestamp' ? typeof value === 'string' || typeof value === 'number'
      : true;
    return ok ? [] : [`${where}: expected a ${s.type}, got ${describe(value)}`];
  }
  if (!isObject(value)) return [`${where}: expected an object (${s.name}), got ${describe(value)}`];
  const bySfnName = new Map([...s.members.keys()].map((m) => [sfnMemberName(m), m]));
  const problems = Object.entries(value).flatMap(([key, v]) => {
    const member = bySfnName.get(key);
    if (member === undefined) return [`${where}.${key}: not a member of ${s.name}`];
    return valueProblems(memberShape(s, member) as Shape, v, `${where}.${key}`);
  });
  const missing = s.required.map(sfnMemberName).filter((m) => !(m in value));
  return [...problems, ...missing.map((m) => `${where}: the required member ${m} of ${s.name} is missing`)];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : JSON.stringify(v);
}
