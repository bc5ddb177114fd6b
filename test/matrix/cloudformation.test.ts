import { faultMatrixSuite } from '../support/matrix-suite';
import { KNOWN_DEFECTS } from './known-defects';

faultMatrixSuite('cloudformation', KNOWN_DEFECTS);
