import { compareVersions, parseVersion } from '../handlers/logic/versions';

/**
 * What each metadata service image knows, from the facts about the migration service: the schema
 * versions (goose) it can migrate to, and the service build it starts for a given schema. The
 * v2.5.1 image knows these eight (observed on the real service).
 */
export const SCHEMA_VERSIONS = [
  '1',
  '20200603104139',
  '20201002000616',
  '20210202145952',
  '20210260056859',
  '20211202100726',
  '20220503175500',
  '20230118020300',
] as const;

/** The newest service build compatible with each schema (the migration service's version_dict). */
const SERVICE_FOR_SCHEMA: Record<string, string> = {
  '1': '2.0.1',
  '20200603104139': '2.0.4',
  '20201002000616': '2.0.6',
  '20210202145952': '2.1.0',
  '20210260056859': '2.1.0',
  '20211202100726': '2.2.4',
  '20220503175500': '2.3.11',
  '20230118020300': '2.5.1',
};

/** Image tag bands → the newest migration the image carries. */
const NEWEST_SCHEMA_BY_VERSION: [minVersion: string, schema: string][] = [
  ['2.4.0', '20230118020300'],
  ['2.2.5', '20220503175500'],
  ['2.2.0', '20211202100726'],
  ['2.1.0', '20210260056859'],
  ['2.0.5', '20201002000616'],
  ['2.0.4', '20200603104139'],
  ['0.0.0', '1'],
];

export const LATEST_IMAGE_VERSION = '2.5.1';

export interface ImageProfile {
  readonly image: string;
  readonly version: string;
  /** Every schema version this image can migrate through, oldest first. */
  readonly knownVersions: string[];
  /** The service version a container of this image starts on a database at `schema`. */
  serviceVersionFor(schema: string): string;
}

export function imageProfile(image: string): ImageProfile {
  const tag = /:([^:@/]+)(?:@.*)?$/.exec(image)?.[1] ?? 'latest';
  const version = tag === 'latest' ? LATEST_IMAGE_VERSION : tag.replace(/^v/, '');
  const newest = NEWEST_SCHEMA_BY_VERSION.find(([min]) => compare(version, min) >= 0)?.[1] ?? '1';
  const knownVersions = SCHEMA_VERSIONS.slice(0, SCHEMA_VERSIONS.indexOf(newest as (typeof SCHEMA_VERSIONS)[number]) + 1);
  return {
    image,
    version,
    knownVersions,
    serviceVersionFor(schema: string): string {
      if (schema === newest) return version;
      // The 2.5.1 image builds only /opt/v_1_0_1 and /opt/latest: on any 2.x schema it starts
      // latest, i.e. its own version (shared/facts/metaflow-migration-service.md, observed).
      if (compare(version, LATEST_IMAGE_VERSION) >= 0) return schema === '1' ? '1.0.1' : version;
      const compatible = SERVICE_FOR_SCHEMA[schema] ?? '2.0.1';
      return compare(compatible, version) > 0 ? version : compatible;
    },
  };
}

function compare(a: string, b: string): number {
  return compareVersions(parseVersion(a) ?? [0], parseVersion(b) ?? [0]);
}
