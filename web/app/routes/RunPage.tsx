import { RunScreen } from '../../features/runs/components/RunScreen';
import { runHref } from '../hrefs';

/** `/runs/:id`: one run, deep-linkable (docs/product.md#step-7-activation). */
export default function RunPage({ id }: { id: string }) {
  return <RunScreen id={id} runHref={runHref} />;
}
