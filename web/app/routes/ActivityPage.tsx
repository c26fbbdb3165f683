import { ActivityScreen } from '../../features/activity/components/ActivityScreen';
import { runHref } from '../hrefs';

/**
 * The instances screen shows exactly the instances named in `ids` (docs/product.md#step-10-activity: a link from each operation to
 * its instances). Instance IDs are `i-` plus lowercase alphanumerics, so the list needs no escaping.
 */
function instancesHref(regionId: string, instanceIds: readonly string[]): string {
  return `/regions/${encodeURIComponent(regionId)}?ids=${instanceIds.map(encodeURIComponent).join(',')}`;
}

export default function ActivityPage() {
  return <ActivityScreen instancesHref={instancesHref} runHref={runHref} />;
}
