import CheckBoxIcon from '@mui/icons-material/CheckBox';
import ClearIcon from '@mui/icons-material/Clear';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { memo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { DisabledReason } from '@web/components/DisabledReason';

export interface SelectionBarProps {
  selectedCount: number;
  /** Selected instances that the current filters hide: the operator must know they are still selected. */
  hiddenCount: number;
  /** Selectable rows matching the filters. */
  matchingCount: number;
  /** Of those, how many are not selected yet. */
  unselectedMatchingCount: number;
  onSelectAll: () => void;
  onClear: () => void;
  /** Extra actions composed by the page (e.g. the attach flow's button). */
  actions?: ReactNode;
}

/** Always in view (sticky): how many instances are selected, and the bulk selection actions (docs/product.md#step-2-instances). */
export const SelectionBar = memo(function SelectionBar({
  selectedCount,
  hiddenCount,
  matchingCount,
  unselectedMatchingCount,
  onSelectAll,
  onClear,
  actions,
}: SelectionBarProps) {
  const { t } = useTranslation('instances');
  const selectAllReason =
    matchingCount === 0 ? t('selection.selectAllNone') : unselectedMatchingCount === 0 ? t('selection.selectAllDone') : undefined;
  return (
    <Paper
      component="section"
      aria-label={t('selection.label')}
      elevation={2}
      sx={{ position: 'sticky', top: 0, zIndex: 3, px: 2, py: 1, display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1.5 }}
    >
      <Box role="status" sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
        <CheckBoxIcon color={selectedCount > 0 ? 'primary' : 'disabled'} aria-hidden />
        <Typography sx={{ fontWeight: 600 }}>{t('selection.count', { count: selectedCount })}</Typography>
        {hiddenCount > 0 && (
          <Typography color="warning.main" variant="body2">
            {t('selection.hidden', { count: hiddenCount })}
          </Typography>
        )}
      </Box>
      <DisabledReason reason={selectAllReason}>
        {(describedBy) => (
          <Button
            size="small"
            variant="outlined"
            onClick={onSelectAll}
            disabled={selectAllReason !== undefined}
            aria-describedby={describedBy}
          >
            {t('selection.selectAll', { count: matchingCount })}
          </Button>
        )}
      </DisabledReason>
      <DisabledReason reason={selectedCount === 0 ? t('selection.clearDisabled') : undefined}>
        {(describedBy) => (
          <Button
            size="small"
            startIcon={<ClearIcon aria-hidden />}
            onClick={onClear}
            disabled={selectedCount === 0}
            aria-describedby={describedBy}
          >
            {t('selection.clear')}
          </Button>
        )}
      </DisabledReason>
      <Typography variant="caption" color="text.secondary">
        {t('selection.hint')}
      </Typography>
      {actions !== undefined && <Box sx={{ ml: 'auto', display: 'flex', gap: 1, alignItems: 'center' }}>{actions}</Box>}
    </Paper>
  );
});
