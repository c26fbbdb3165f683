import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  ACTIVITY_QUERY_LIMITS,
  INSTANCE_ID_PATTERN,
  MUTATING_ACTIONS,
  OPERATION_STATUSES,
  REGION_ID_PATTERN,
  type MutatingAction,
  type OperationStatusName,
} from '#ecs/wire';
import { fromLocalInput, hasFilters, toLocalInput, type ActivityFilters } from '../filters';

export interface ActivityFilterBarProps {
  /** The filters in the URL; the parent remounts the bar (key) when they change, so drafts start from them. */
  filters: ActivityFilters;
  onApply: (filters: ActivityFilters) => void;
}

interface Draft {
  user: string;
  action: MutatingAction | '';
  regionId: string;
  instanceId: string;
  status: OperationStatusName | '';
  from: string;
  to: string;
}

type DraftError = 'regionId' | 'instanceId' | 'to';

function toDraft(filters: ActivityFilters): Draft {
  return {
    user: filters.user ?? '',
    action: filters.action ?? '',
    regionId: filters.regionId ?? '',
    instanceId: filters.instanceId ?? '',
    status: filters.status ?? '',
    from: toLocalInput(filters.from),
    to: toLocalInput(filters.to),
  };
}

function check(draft: Draft): { filters: ActivityFilters; errors: Set<DraftError> } {
  const errors = new Set<DraftError>();
  const filters: ActivityFilters = {};
  const user = draft.user.trim();
  const regionId = draft.regionId.trim();
  const instanceId = draft.instanceId.trim();
  if (user) filters.user = user;
  if (draft.action) filters.action = draft.action;
  if (regionId) {
    if (REGION_ID_PATTERN.test(regionId)) filters.regionId = regionId;
    else errors.add('regionId');
  }
  if (instanceId) {
    if (INSTANCE_ID_PATTERN.test(instanceId)) filters.instanceId = instanceId;
    else errors.add('instanceId');
  }
  if (draft.status) filters.status = draft.status;
  const from = fromLocalInput(draft.from, 'start');
  const to = fromLocalInput(draft.to, 'end');
  if (from !== undefined) filters.from = from;
  if (to !== undefined) filters.to = to;
  if (from !== undefined && to !== undefined && from > to) errors.add('to');
  return { filters, errors };
}

/**
 * Filters of the activity page. Choosing from a list applies at once; typed fields apply on Enter or with
 * "Apply filters", so the URL (and the request) does not change on every keystroke.
 */
export function ActivityFilterBar({ filters, onApply }: ActivityFilterBarProps) {
  const { t } = useTranslation('activity');
  const [draft, setDraft] = useState<Draft>(() => toDraft(filters));
  const [errors, setErrors] = useState<Set<DraftError>>(new Set());
  const commit = (next: Draft) => {
    const checked = check(next);
    setErrors(checked.errors);
    if (checked.errors.size === 0) onApply(checked.filters);
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    commit(draft);
  };
  const text = (name: 'user' | 'regionId' | 'instanceId' | 'from' | 'to') => ({
    value: draft[name],
    onChange: (event: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: event.target.value })),
  });
  const errorText = (name: DraftError, message: string) => (errors.has(name) ? { error: true, helperText: message } : {});
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
        size="small"
        label={t('filters.user')}
        {...text('user')}
        slotProps={{ htmlInput: { 'aria-description': t('filters.userHint'), maxLength: ACTIVITY_QUERY_LIMITS.userMax } }}
        sx={{ width: 180 }}
      />
      <TextField
        select
        size="small"
        label={t('filters.action')}
        value={draft.action}
        onChange={(event) => {
          const next = { ...draft, action: event.target.value as MutatingAction | '' };
          setDraft(next);
          commit(next);
        }}
        slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
        sx={{ width: 190 }}
      >
        <MenuItem value="">{t('filters.anyAction')}</MenuItem>
        {MUTATING_ACTIONS.map((action) => (
          <MenuItem key={action} value={action}>
            {t(`actions.${action}`)}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        size="small"
        label={t('filters.regionId')}
        {...text('regionId')}
        {...errorText('regionId', t('filters.regionIdInvalid'))}
        sx={{ width: 170 }}
      />
      <TextField
        size="small"
        label={t('filters.instanceId')}
        {...text('instanceId')}
        {...errorText('instanceId', t('filters.instanceIdInvalid'))}
        sx={{ width: 210 }}
      />
      <TextField
        select
        size="small"
        label={t('filters.status')}
        value={draft.status}
        onChange={(event) => {
          const next = { ...draft, status: event.target.value as OperationStatusName | '' };
          setDraft(next);
          commit(next);
        }}
        slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
        sx={{ width: 170 }}
      >
        <MenuItem value="">{t('filters.anyStatus')}</MenuItem>
        {OPERATION_STATUSES.map((status) => (
          <MenuItem key={status} value={status}>
            {t(`status.${status}`)}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        size="small"
        type="datetime-local"
        label={t('filters.from')}
        {...text('from')}
        slotProps={{ inputLabel: { shrink: true } }}
        sx={{ width: 220 }}
      />
      <TextField
        size="small"
        type="datetime-local"
        label={t('filters.to')}
        {...text('to')}
        {...errorText('to', t('filters.rangeInvalid'))}
        slotProps={{ inputLabel: { shrink: true } }}
        sx={{ width: 220 }}
      />
      <Button type="submit" variant="contained">
        {t('filters.apply')}
      </Button>
      {hasFilters(filters) && (
        <Button type="button" onClick={() => onApply({})}>
          {t('filters.clear')}
        </Button>
      )}
    </Box>
  );
}
