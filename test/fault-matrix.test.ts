import { faultMatrix } from './support/fault-matrix';

faultMatrix('example');
