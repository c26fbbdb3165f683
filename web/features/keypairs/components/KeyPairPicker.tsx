import KeyIcon from '@mui/icons-material/Key';
import Autocomplete, { createFilterOptions } from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '@web/components/ErrorAlert';
import { explainError } from '@web/lib/error-text';
import { keyPairQueries, type KeyPairOption } from '../api/describe-key-pairs';

export interface KeyPairPickerProps {
  regionId: string;
  /** The chosen key pair's name. */
  value: string | undefined;
  onChange: (keyPairName: string | undefined) => void;
}

// Searching matches the name and the fingerprint (operators often hold the fingerprint from `ssh-keygen -l`).
const filterOptions = createFilterOptions<KeyPairOption>({ stringify: (o) => `${o.KeyPairName} ${o.KeyPairFingerPrint}` });

/** A searchable list of every key pair of the region, with fingerprint and creation date (docs/product.md#step-3-key-pair). */
export function KeyPairPicker({ regionId, value, onChange }: KeyPairPickerProps) {
  const { t, i18n } = useTranslation('keypairs');
  const pairs = useQuery(keyPairQueries.list(regionId));
  const options = useMemo(() => pairs.data ?? [], [pairs.data]);
  const selected = options.find((o) => o.KeyPairName === value) ?? null;
  const dateFormat = useMemo(() => new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium' }), [i18n.language]);
  const formatDate = (creationTime: string | undefined) => {
    // ECS sends minute precision (`2023-01-01T00:00Z`, docs/ecs-notes.md#describe-key-pairs); anything unparsable is shown as sent.
    const ms = creationTime ? Date.parse(creationTime) : Number.NaN;
    return Number.isNaN(ms) ? (creationTime ?? t('unknownDate')) : dateFormat.format(ms);
  };

  if (pairs.isError) {
    return (
      <ErrorAlert
        message={t('loadFailed', { message: explainError(t, pairs.error, 'DescribeKeyPairs') })}
        error={pairs.error}
        onRetry={() => void pairs.refetch()}
      />
    );
  }

  const helper = selected
    ? t('selected', { fingerprint: selected.KeyPairFingerPrint, date: formatDate(selected.CreationTime) })
    : pairs.isSuccess
      ? options.length === 0
        ? t('empty')
        : t('count', { count: options.length })
      : ' ';
  return (
    <Autocomplete<KeyPairOption>
      options={options}
      value={selected}
      onChange={(_event, option) => onChange(option?.KeyPairName)}
      isOptionEqualToValue={(option, current) => option.KeyPairName === current.KeyPairName}
      getOptionLabel={(option) => option.KeyPairName}
      filterOptions={filterOptions}
      loading={pairs.isPending}
      loadingText={t('loading')}
      noOptionsText={t('noOptions')}
      openText={t('open')}
      closeText={t('close')}
      clearText={t('clear')}
      autoHighlight
      sx={{ minWidth: 320, maxWidth: 480, flexGrow: 1 }}
      renderOption={(props, option) => {
        const { key, ...rest } = props;
        return (
          <Box component="li" key={key} {...rest} sx={{ display: 'flex', gap: 1.5, alignItems: 'flex-start !important' }}>
            <KeyIcon fontSize="small" color="action" aria-hidden sx={{ mt: 0.25 }} />
            <Box sx={{ minWidth: 0 }}>
              <Typography variant="body2" sx={{ fontWeight: 500 }}>
                {option.KeyPairName}
              </Typography>
              <Typography
                variant="caption"
                color="text.secondary"
                sx={{ display: 'block', fontFamily: 'monospace', wordBreak: 'break-all' }}
              >
                {t('fingerprint', { fingerprint: option.KeyPairFingerPrint })}
              </Typography>
              <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                {t('created', { date: formatDate(option.CreationTime) })}
              </Typography>
            </Box>
          </Box>
        );
      }}
      renderInput={(params) => <TextField {...params} size="small" label={t('label')} placeholder={t('placeholder')} helperText={helper} />}
    />
  );
}
