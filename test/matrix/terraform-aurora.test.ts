import { faultMatrixSuite } from '../support/matrix-suite';
import { KNOWN_DEFECTS } from './known-defects';

faultMatrixSuite('terraform-aurora', KNOWN_DEFECTS);
