import { faultMatrix } from './support/fault-matrix';

faultMatrix('terraform-aurora');
