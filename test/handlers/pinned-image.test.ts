import { pinnedImage } from '../../handlers/logic/retarget-task-definition';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('the image a rollback pins: the same repository at the digest the service ran', () => {
  it.each([
    ['a Docker Hub tag', 'netflixoss/metaflow_metadata_service:latest', `netflixoss/metaflow_metadata_service@${DIGEST}`],
    ['no tag at all', 'netflixoss/metaflow_metadata_service', `netflixoss/metaflow_metadata_service@${DIGEST}`],
    ['an official image: no namespace, no tag', 'postgres', `postgres@${DIGEST}`],
    ['an official image with a tag', 'postgres:15', `postgres@${DIGEST}`],
    ['a registry with a port and no tag', 'registry.example.com:5000/ml/metadata', `registry.example.com:5000/ml/metadata@${DIGEST}`],
    ['a registry with a port and a tag', 'registry.example.com:5000/ml/metadata:v2.2.4', `registry.example.com:5000/ml/metadata@${DIGEST}`],
    ['an ECR repository', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/metaflow/metadata:2.2.4', `123456789012.dkr.ecr.eu-west-1.amazonaws.com/metaflow/metadata@${DIGEST}`],
    ['a reference already pinned to another digest', `netflixoss/metaflow_metadata_service@sha256:${'f'.repeat(64)}`, `netflixoss/metaflow_metadata_service@${DIGEST}`],
  ])('%s', (_case, image, pinned) => {
    expect(pinnedImage(image, DIGEST)).toBe(pinned);
  });
});
