import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
// How Step Functions names a model member: the handlers' own function, held to literal cases by
// test/handlers/sdk-casing.test.ts.
import { sfnMemberName } from '../../handlers/lib/sdk-casing';

/**
 * The AWS API models (botocore's, shipped with the aws CLI) and Step Functions' naming of them: the
 * stack tests check every SDK Task of a definition against them, a DB instance's and an Aurora
 * cluster's alike.
 */

export interface ShapeRef {
  shape: string;
}
export interface Shape {
  type: string;
  members?: Record<string, ShapeRef>;
  member?: ShapeRef;
  required?: string[];
  exception?: boolean;
}
export interface ApiModel {
  operations: Record<string, { input?: ShapeRef; output?: ShapeRef }>;
  shapes: Record<string, Shape>;
}

/** botocore's data folder: $BOTOCORE_DATA_DIR, python3's botocore, or the one bundled with aws CLI v2. */
function botocoreDataDir(): string {
  const candidates: Array<() => string | undefined> = [
    () => process.env.BOTOCORE_DATA_DIR,
    () => {
      const find = "import importlib.util as u; print(u.find_spec('botocore').submodule_search_locations[0])";
      const python = spawnSync('python3', ['-c', find], { encoding: 'utf8' });
      return python.status === 0 ? path.join(python.stdout.trim(), 'data') : undefined;
    },
    () => {
      const aws = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' });
      return aws.status === 0 ? path.join(realpathSync(aws.stdout.trim()), '..', '..', 'dist', 'awscli', 'botocore', 'data') : undefined;
    },
  ];
  for (const candidate of candidates) {
    const dir = candidate();
    if (dir && existsSync(path.join(dir, 'rds'))) return dir;
  }
  throw new Error('No botocore API models found: install the aws CLI or set BOTOCORE_DATA_DIR to botocore/data');
}

const models = new Map<string, ApiModel>();
export function apiModel(service: 'rds' | 'ecs' | 'sfn'): ApiModel {
  const cached = models.get(service);
  if (cached) return cached;
  const serviceDir = path.join(botocoreDataDir(), service === 'sfn' ? 'stepfunctions' : service);
  const version = readdirSync(serviceDir).sort().at(-1) as string;
  const file = path.join(serviceDir, version, 'service-2.json');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
  const model = JSON.parse(text) as ApiModel;
  models.set(service, model);
  return model;
}

/** Java SDK v2's exception class name for an error shape (`CodegenNamingUtils.pascalCase` + Exception). */
export function sfnExceptionName(shapeName: string): string {
  const pascal = (word: string) =>
    word
      .replace(/[^A-Za-z0-9]+/g, ' ')
      .split(/(?<=[a-z])(?=[A-Z][a-zA-Z0-9])/)
      .join(' ')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .replace(/([0-9])([a-zA-Z])/g, '$1 $2')
      .trim()
      .split(/ +/)
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
      .join('');
  if (shapeName.endsWith('Fault')) return `${pascal(shapeName.slice(0, -'Fault'.length))}Exception`;
  return shapeName.endsWith('Exception') ? pascal(shapeName) : `${pascal(shapeName)}Exception`;
}

export const membersOf = (shape: Shape) => new Map(Object.entries(shape.members ?? {}).map(([m, ref]) => [sfnMemberName(m), ref]));
const SCALAR_CHECKS: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  integer: (v) => Number.isInteger(v),
  long: (v) => Number.isInteger(v),
};

/** Problems with `value` as an instance of `shapeName`: unknown or missing members, wrong types. */
export function shapeProblems(model: ApiModel, shapeName: string, value: unknown, where: string): string[] {
  const shape = model.shapes[shapeName] as Shape;
  if (shape.type === 'list') {
    if (!Array.isArray(value)) return [`${where}: expected a list (${shapeName})`];
    return value.flatMap((item, i) => shapeProblems(model, shape.member?.shape as string, item, `${where}[${i}]`));
  }
  if (shape.type !== 'structure') {
    const check = SCALAR_CHECKS[shape.type];
    return check && !check(value) ? [`${where}: ${JSON.stringify(value)} is not a ${shape.type}`] : [];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where}: expected an object (${shapeName})`];
  const members = membersOf(shape);
  const problems = Object.entries(value).flatMap(([key, v]) => {
    const name = key.replace(/\.\$$/, '');
    const ref = members.get(name);
    if (!ref) return [`${where}.${name}: not a member of ${shapeName} (members: ${[...members.keys()].join(', ')})`];
    return key.endsWith('.$') ? [] : shapeProblems(model, ref.shape, v, `${where}.${name}`);
  });
  const missing = (shape.required ?? []).map(sfnMemberName).filter((m) => !(m in value) && !(`${m}.$` in value));
  return [...problems, ...missing.map((m) => `${where}: required member ${m} of ${shapeName} is not sent`)];
}

/** Problems with a JSONPath such as `$.DbInstances[0].DbInstanceStatus` read from `shapeName`. */
export function pathProblems(model: ApiModel, shapeName: string, jsonPath: string, where: string): string[] {
  let shape = model.shapes[shapeName] as Shape;
  for (const [, field, index] of jsonPath.matchAll(/\.([A-Za-z0-9_]+)|\[(\d+)\]/g)) {
    const next = index !== undefined ? (shape.type === 'list' ? shape.member : undefined) : membersOf(shape).get(field as string);
    if (!next) return [`${where}: ${jsonPath} — no ${field ?? `[${index}]`} in ${shape.type} shape`];
    shape = model.shapes[next.shape] as Shape;
  }
  return [];
}

/** `$.a.b` paths inside a ResultSelector value, intrinsic functions included; `$$.` context paths left out. */
export const resultPaths = (expression: string) => [...expression.matchAll(/(?<!\$)\$((?:\.[A-Za-z0-9_]+|\[\d+\])+)/g)].map((m) => `$${m[1]}`);
