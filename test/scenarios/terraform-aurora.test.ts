import { scenarioTable } from '../support/scenario-table';

scenarioTable('terraform-aurora');
