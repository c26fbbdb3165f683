import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { RunState } from '#ecs/runs-api';
import { REGION_ID_PATTERN } from '#ecs/wire';
import type { RunsFilter } from '@web/lib/runs';
import { hasRunsFilter } from '../list-filters';
import { RUN_STATE_LIST } from '../states';

export interface RunsFilterBarProps {
  /** The filters in the URL; the parent remounts the bar (key) when they change, so drafts start from them. */
  filter: RunsFilter;
  onApply: (filter: RunsFilter) => void;
}

interface Draft {
  state: RunState | '';
  creator: string;
  regionId: string;
  keyPairName: string;
}

/**
 * Filters of the runs list, like the activity page's: the state applies at once; typed fields on Enter or with
 * "Apply filters", so the URL (and the request) does not change on every keystroke.
 */
export function RunsFilterBar({ filter, onApply }: RunsFilterBarProps) {
  const { t } = useTranslation('runs');
  const [draft, setDraft] = useState<Draft>({
    state: filter.state ?? '',
    creator: filter.creator ?? '',
    regionId: filter.regionId ?? '',
    keyPairName: filter.keyPairName ?? '',
  });
  const [isRegionInvalid, setRegionInvalid] = useState(false);
  const commit = (next: Draft) => {
    const regionId = next.regionId.trim();
    const isInvalid = regionId !== '' && !REGION_ID_PATTERN.test(regionId);
    setRegionInvalid(isInvalid);
    if (isInvalid) return;
    const out: RunsFilter = {};
    if (next.state) out.state = next.state;
    if (next.creator.trim()) out.creator = next.creator.trim();
    if (regionId) out.regionId = regionId;
    if (next.keyPairName.trim()) out.keyPairName = next.keyPairName.trim();
    onApply(out);
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    commit(draft);
  };
  const text = (name: 'creator' | 'regionId' | 'keyPairName') => ({
    value: draft[name],
    onChange: (event: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: event.target.value })),
  });
  return (
    <Box
      component="form"
      role="search"
      aria-label={t('filters.label')}
      onSubmit={onSubmit}
      noValidate
      sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'flex-start' }}
    >
      <TextField
        select
        size="small"
        label={t('filters.state')}
        value={draft.state}
        onChange={(event) => {
          const next = { ...draft, state: event.target.value as RunState | '' };
          setDraft(next);
          commit(next);
        }}
        slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
        sx={{ width: 220 }}
      >
        <MenuItem value="">{t('filters.anyState')}</MenuItem>
        {RUN_STATE_LIST.map((state) => (
          <MenuItem key={state} value={state}>
            {t(`runState.${state}`)}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        size="small"
        label={t('filters.creator')}
        {...text('creator')}
        slotProps={{ htmlInput: { 'aria-description': t('filters.creatorHint'), maxLength: 256 } }}
        sx={{ width: 180 }}
      />
      <TextField
        size="small"
        label={t('filters.regionId')}
        {...text('regionId')}
        {...(isRegionInvalid ? { error: true, helperText: t('filters.regionIdInvalid') } : {})}
        slotProps={{ htmlInput: { maxLength: 64 } }}
        sx={{ width: 170 }}
      />
      <TextField
        size="small"
        label={t('filters.keyPairName')}
        {...text('keyPairName')}
        slotProps={{ htmlInput: { maxLength: 128 } }}
        sx={{ width: 190 }}
      />
      <Button type="submit" variant="contained">
        {t('filters.apply')}
      </Button>
      {hasRunsFilter(filter) && (
        <Button type="button" onClick={() => onApply({})}>
          {t('filters.clear')}
        </Button>
      )}
    </Box>
  );
}
