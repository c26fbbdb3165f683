import { useEffect } from 'react';
import { useLocation } from 'wouter';
import type { CreateRun } from '../../ecs/runs-api';
import { useCreateRun } from './runs';

/**
 * Creating a run from a dialog (docs/product.md#step-7-activation), the same way everywhere: one POST (the proxy
 * owns every retry of the ECS calls that follow, docs/decisions/retries.md), a warning before the tab is closed
 * while it is in flight, and on success the run's page, where its progress is. A failure stays on the mutation
 * for the dialog to show next to the choices it keeps.
 */
export function useRunCreation(onCreated?: () => void) {
  const [, navigate] = useLocation();
  const mutation = useCreateRun();
  useLeaveWarning(mutation.isPending);
  const create = (input: CreateRun): void =>
    mutation.mutate(input, {
      onSuccess: (run) => {
        onCreated?.();
        navigate(`/runs/${encodeURIComponent(run.id)}`);
      },
    });
  return { create, isCreating: mutation.isPending, error: mutation.error, reset: mutation.reset };
}

/**
 * While the create is in flight, closing or reloading the tab asks first: the proxy may create the run anyway,
 * and the page that would have said so is lost. The browser shows its own wording; `preventDefault` is the
 * standard signal, `returnValue` the one older browsers read. (In the app, the dialog is modal and cannot be
 * closed until the answer comes, so no link can be followed meanwhile.)
 */
function useLeaveWarning(isActive: boolean): void {
  useEffect(() => {
    if (!isActive) return undefined;
    const onBeforeUnload = (event: BeforeUnloadEvent): void => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [isActive]);
}
