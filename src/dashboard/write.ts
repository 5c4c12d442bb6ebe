/**
 * Writes the provisioned dashboard from its TypeScript source: `npm run dashboard`.
 * The unit tests fail while the committed JSON differs from what this writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { labDashboardJson } from './lab-dashboard';

export const DASHBOARD_PATH = 'grafana/dashboards/consumer-group-lab.json';

if (require.main === module) {
  // From dist/src/dashboard back to the repository root.
  const file = path.resolve(__dirname, '../../..', DASHBOARD_PATH);
  fs.writeFileSync(file, labDashboardJson());
  console.log(`wrote ${file}`);
}
