import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '@web/components/ErrorAlert';
import { explainError } from '@web/lib/error-text';
import { regionQueries } from '../api/describe-regions';

export interface RegionPickerProps {
  value: string | undefined;
  onChange: (regionId: string) => void;
}

/** Region picker with names in the UI language (docs/product.md#step-1-region). */
export function RegionPicker({ value, onChange }: RegionPickerProps) {
  const { t, i18n } = useTranslation('regions');
  const language = i18n.language === 'zh-CN' ? 'zh-CN' : 'en';
  const regions = useQuery(regionQueries.list(language));
  if (regions.isError) {
    // Plain words, the RequestId and a retry; the query also retries by itself while it is failing
    // (regionQueries.list), so the picker comes back without a page reload.
    return (
      <ErrorAlert
        message={t('loadFailed', { message: explainError(t, regions.error, 'DescribeRegions') })}
        error={regions.error}
        onRetry={() => void regions.refetch()}
      />
    );
  }
  const options = regions.data ?? [];
  const known = value !== undefined && options.some((r) => r.RegionId === value);
  return (
    <TextField
      select
      size="small"
      label={t('label')}
      value={known ? value : ''}
      onChange={(event) => onChange(event.target.value)}
      sx={{ minWidth: 240 }}
      disabled={regions.isPending}
      slotProps={{ select: { displayEmpty: false } }}
    >
      {options.map((region) => (
        <MenuItem key={region.RegionId} value={region.RegionId}>
          {region.LocalName} ({region.RegionId})
        </MenuItem>
      ))}
    </TextField>
  );
}
