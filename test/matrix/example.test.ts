import { faultMatrixSuite } from '../support/matrix-suite';
import { KNOWN_DEFECTS } from './known-defects';

faultMatrixSuite('example', KNOWN_DEFECTS);
