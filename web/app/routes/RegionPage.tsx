import Box from '@mui/material/Box';
import { useQuery } from '@tanstack/react-query';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useLocation, useSearchParams } from 'wouter';
import { AttachFlow } from '../../features/attach/components/AttachFlow';
import type { AttachTarget } from '../../features/attach/model';
import { useInstances } from '../../features/instances/api/describe-instances';
import { pendingQueries } from '../../features/instances/api/pending';
import { InstancesScreen } from '../../features/instances/components/InstancesScreen';
import { KeyPairPicker } from '../../features/keypairs/components/KeyPairPicker';
import { RegionPicker } from '../../features/regions/components/RegionPicker';
import { rememberRegion } from '../last-region';

/**
 * `/regions/:regionId`: docs/product.md#the-flow and the attach flow. Only the app composes features; they share
 * data through props and query-key roots, never by importing each other.
 */
export default function RegionPage({ regionId }: { regionId: string }) {
  const [, navigate] = useLocation();
  const [params] = useSearchParams();
  // Read at the moment of a region change only, so typing a filter does not re-render the picker.
  const latestParams = useRef(params);
  useLayoutEffect(() => {
    latestParams.current = params;
  }, [params]);
  useEffect(() => rememberRegion(regionId), [regionId]);

  const picker = useMemo(() => {
    const changeRegion = (next: string) => {
      if (next === regionId) return;
      // Free text, status, OS and tag make sense in any region; key pair names and instance IDs are regional.
      const kept = new URLSearchParams();
      for (const name of ['q', 'status', 'os', 'tag']) {
        const value = latestParams.current.get(name);
        if (value) kept.set(name, value);
      }
      const search = kept.toString();
      navigate(`/regions/${encodeURIComponent(next)}${search ? `?${search}` : ''}`);
    };
    return <RegionPicker value={regionId} onChange={changeRegion} />;
  }, [navigate, regionId]);

  return <RegionWorkspace regionId={regionId} regionPicker={picker} />;
}

interface Choice {
  regionId: string;
  selectedIds: ReadonlySet<string>;
  keyPairName: string | undefined;
}

const fresh = (regionId: string): Choice => ({ regionId, selectedIds: new Set(), keyPairName: undefined });

/** Memoized: typing a filter changes the URL, which must not re-render the key pair picker and the attach flow. */
const RegionWorkspace = memo(function RegionWorkspace({ regionId, regionPicker }: { regionId: string; regionPicker: ReactNode }) {
  // A new region starts with no selection and no key pair (both are regional). Reset during render rather than
  // remounting, so the region picker keeps keyboard focus after a change.
  const [choice, setChoice] = useState(() => fresh(regionId));
  const current = choice.regionId === regionId ? choice : fresh(regionId);
  if (choice !== current) setChoice(current);
  const { selectedIds, keyPairName } = current;
  const setSelectedIds = useCallback((next: ReadonlySet<string>) => setChoice((c) => ({ ...c, selectedIds: next })), []);
  const setKeyPairName = useCallback((next: string | undefined) => setChoice((c) => ({ ...c, keyPairName: next })), []);
  const clearSelection = useCallback(() => setSelectedIds(new Set()), [setSelectedIds]);
  const instances = useInstances(regionId);
  // What awaits activation decides whether "already has this key pair" is a no-change (the run's re-check rule).
  const pending = useQuery(pendingQueries.byRegion(regionId));
  const targets = useMemo<AttachTarget[]>(
    () =>
      (instances.data?.rows ?? [])
        .filter((row) => selectedIds.has(row.InstanceId))
        .map((row) => ({
          InstanceId: row.InstanceId,
          InstanceName: row.InstanceName,
          Status: row.Status,
          KeyPairName: row.KeyPairName,
          ZoneId: row.ZoneId,
          pendingKeyPairName: pending.data?.get(row.InstanceId)?.keyPairName,
        })),
    [instances.data, pending.data, selectedIds],
  );
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 2, alignItems: 'flex-start' }}>
        {regionPicker}
        <KeyPairPicker key={regionId} regionId={regionId} value={keyPairName} onChange={setKeyPairName} />
      </Box>
      <InstancesScreen
        regionId={regionId}
        selectedIds={selectedIds}
        onSelectionChange={setSelectedIds}
        selectionActions={
          <AttachFlow key={regionId} regionId={regionId} keyPairName={keyPairName} targets={targets} onSelectionDone={clearSelection} />
        }
      />
    </Box>
  );
});
