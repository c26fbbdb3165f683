import FilterAltOffIcon from '@mui/icons-material/FilterAltOff';
import LinkIcon from '@mui/icons-material/Link';
import SearchIcon from '@mui/icons-material/Search';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import InputAdornment from '@mui/material/InputAdornment';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { memo, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { INSTANCE_STATUSES } from '#ecs/wire';
import { NO_KEY_PAIR, hasFilters, type InstanceFilters } from '../lib/filters';
import { DisabledReason } from '@web/components/DisabledReason';

export interface InstanceFiltersBarProps {
  filters: InstanceFilters;
  /** Key pair names bound to instances of the region, for the "Current key pair" choices. */
  keyPairNames: readonly string[];
  onChange: (patch: Partial<InstanceFilters>) => void;
  onClear: () => void;
}

interface Choice {
  value: string;
  label: string;
}

/**
 * The filters of docs/product.md#step-2-instances; their values live in the URL (see lib/filters.ts). Each field is memoized so
 * a keystroke in the search box re-renders only the search box.
 */
export function InstanceFiltersBar({ filters, keyPairNames, onChange, onClear }: InstanceFiltersBarProps) {
  const { t } = useTranslation('instances');
  const any = t('filters.any');
  const statusChoices = useMemo<Choice[]>(
    () => [{ value: '', label: any }, ...INSTANCE_STATUSES.map((s) => ({ value: s, label: t(`app:instanceStatus.${s}`) }))],
    [any, t],
  );
  const osChoices = useMemo<Choice[]>(
    () => [
      { value: '', label: any },
      { value: 'linux', label: t('filters.linux') },
      { value: 'windows', label: t('filters.windows') },
    ],
    [any, t],
  );
  // A key pair named in a link but bound to no listed instance is still offered, so the select can show it.
  const isExtraKey = filters.key !== '' && filters.key !== NO_KEY_PAIR && !keyPairNames.includes(filters.key);
  const extraKey = isExtraKey ? filters.key : undefined;
  const keyChoices = useMemo<Choice[]>(
    () => [
      { value: '', label: any },
      { value: NO_KEY_PAIR, label: t('filters.noKeyPair') },
      ...(extraKey === undefined ? [] : [extraKey]).concat(keyPairNames).map((name) => ({ value: name, label: name })),
    ],
    [any, t, keyPairNames, extraKey],
  );
  const onStatus = useMemo(() => (status: string) => onChange({ status }), [onChange]);
  const onOs = useMemo(() => (os: string) => onChange({ os: os === 'linux' || os === 'windows' ? os : '' }), [onChange]);
  const onKey = useMemo(() => (key: string) => onChange({ key }), [onChange]);
  const onTag = useMemo(() => (tag: string) => onChange({ tag }), [onChange]);
  const isFiltered = hasFilters(filters);
  return (
    <Box role="search" aria-label={t('filters.label')} sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center' }}>
      <TextField
        size="small"
        type="search"
        label={t('filters.search')}
        placeholder={t('filters.searchPlaceholder')}
        value={filters.q}
        onChange={(event) => onChange({ q: event.target.value })}
        sx={{ minWidth: 260, flexGrow: 1, maxWidth: 420 }}
        slotProps={{
          input: {
            startAdornment: (
              <InputAdornment position="start">
                <SearchIcon fontSize="small" aria-hidden />
              </InputAdornment>
            ),
          },
        }}
      />
      <FilterSelect label={t('filters.status')} value={filters.status} choices={statusChoices} onChange={onStatus} minWidth={140} />
      <FilterSelect label={t('filters.os')} value={filters.os} choices={osChoices} onChange={onOs} minWidth={120} />
      <FilterSelect label={t('filters.keyPair')} value={filters.key} choices={keyChoices} onChange={onKey} minWidth={200} />
      <FilterText label={t('filters.tag')} placeholder={t('filters.tagPlaceholder')} value={filters.tag} onChange={onTag} />
      {filters.ids.length > 0 && (
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5 }}>
          <Chip
            color="primary"
            variant="outlined"
            icon={<LinkIcon aria-hidden />}
            label={t('filters.ids', { count: filters.ids.length })}
          />
          <Button size="small" onClick={() => onChange({ ids: [] })}>
            {t('filters.removeIds')}
          </Button>
        </Box>
      )}
      <DisabledReason reason={isFiltered ? undefined : t('filters.clearDisabled')}>
        {(describedBy) => (
          <Button
            size="small"
            startIcon={<FilterAltOffIcon aria-hidden />}
            onClick={onClear}
            disabled={!isFiltered}
            aria-describedby={describedBy}
          >
            {t('filters.clear')}
          </Button>
        )}
      </DisabledReason>
    </Box>
  );
}

interface FilterSelectProps {
  label: string;
  value: string;
  choices: readonly Choice[];
  onChange: (value: string) => void;
  minWidth: number;
}

const FilterSelect = memo(function FilterSelect({ label, value, choices, onChange, minWidth }: FilterSelectProps) {
  return (
    <TextField select size="small" label={label} value={value} onChange={(event) => onChange(event.target.value)} sx={{ minWidth }}>
      {choices.map((choice) => (
        <MenuItem key={choice.value} value={choice.value}>
          {choice.label}
        </MenuItem>
      ))}
    </TextField>
  );
});

interface FilterTextProps {
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}

const FilterText = memo(function FilterText({ label, placeholder, value, onChange }: FilterTextProps) {
  return (
    <TextField
      size="small"
      label={label}
      placeholder={placeholder}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      sx={{ minWidth: 180 }}
    />
  );
});
