import { faultMatrixSuite } from '../support/matrix-suite';
import { KNOWN_DEFECTS } from './known-defects';

faultMatrixSuite('console', KNOWN_DEFECTS);
