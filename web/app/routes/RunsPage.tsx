import { RunsScreen } from '../../features/runs/components/RunsScreen';
import { runHref } from '../hrefs';

/** `/runs`: every run, in progress first, filters in the URL. */
export default function RunsPage() {
  return <RunsScreen runHref={runHref} />;
}
