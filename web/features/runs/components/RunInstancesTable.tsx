import Box from '@mui/material/Box';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { RunInstance } from '#ecs/runs-api';
import { CopyRequestIdButton } from '@web/components/CopyRequestIdButton';
import { InstanceCell } from '@web/components/InstanceCell';
import { VirtualTable } from '@web/components/VirtualTable';
import { instanceStateText } from '../run-text';
import { InstanceStateIcon } from './StateIcons';

const mono = { fontFamily: 'monospace', fontSize: '0.75rem' } as const;

/**
 * One row per instance of the run, virtualized (a run holds up to 10,000; docs/decisions/virtual-table-over-datagrid.md):
 * the instance, its zone, its status and key pair when the run re-checked it (what an undo would restore), its
 * wave, what happened in the run's words, and the ECS request IDs a support ticket needs.
 */
export const RunInstancesTable = memo(function RunInstancesTable({ rows }: { rows: readonly RunInstance[] }) {
  const { t } = useTranslation('runs');
  return (
    <VirtualTable<RunInstance>
      rows={rows}
      label={t('instances.label')}
      columnCount={6}
      rowHeight={56}
      isMeasured
      isScrollRegion
      size={{ maxHeight: '60vh' }}
      rowKey={(row) => row.InstanceId}
      emptyContent={<Typography variant="body2">{t('instances.none')}</Typography>}
      head={
        <TableRow aria-rowindex={1}>
          <TableCell>{t('instances.colInstance')}</TableCell>
          <TableCell>{t('instances.colZone')}</TableCell>
          <TableCell>{t('instances.colBefore')}</TableCell>
          <TableCell>{t('instances.colWave')}</TableCell>
          <TableCell sx={{ minWidth: 280 }}>{t('instances.colState')}</TableCell>
          <TableCell>{t('instances.colRequestIds')}</TableCell>
        </TableRow>
      }
      renderCells={(row) => <Cells row={row} />}
    />
  );
});

function Cells({ row }: { row: RunInstance }) {
  const { t } = useTranslation('runs');
  const text = instanceStateText(t, row);
  return (
    <>
      <TableCell>
        <InstanceCell InstanceId={row.InstanceId} InstanceName={row.InstanceName} />
      </TableCell>
      <TableCell sx={mono}>{row.ZoneId ?? t('instances.empty')}</TableCell>
      <TableCell>
        <Typography variant="body2">
          {row.statusBefore ? t(`app:instanceStatus.${row.statusBefore}`, { defaultValue: row.statusBefore }) : t('instances.empty')}
        </Typography>
        {row.statusBefore !== undefined && (
          <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
            {row.previousKeyPairName ?? t('instances.noKeyPair')}
          </Typography>
        )}
      </TableCell>
      <TableCell>{row.wave ?? t('instances.noWave')}</TableCell>
      <TableCell>
        <Typography variant="body2" component="div" sx={{ fontWeight: 500 }}>
          <InstanceStateIcon state={row.state}>{text.label}</InstanceStateIcon>
        </Typography>
        {text.detail !== '' && <Typography variant="body2">{text.detail}</Typography>}
        {text.ecsMessage !== undefined && (
          <Typography variant="caption" color="text.secondary">
            {t('detail.ecsSaid', { message: text.ecsMessage })}
          </Typography>
        )}
      </TableCell>
      <TableCell>
        {row.requestIds.length === 0
          ? t('instances.noRequestId')
          : row.requestIds.map((id) => (
              <Box key={id} sx={{ display: 'flex', alignItems: 'center', gap: 0.5 }}>
                <Box component="span" sx={{ ...mono, wordBreak: 'break-all', userSelect: 'all' }}>
                  {id}
                </Box>
                <CopyRequestIdButton requestId={id} />
              </Box>
            ))}
      </TableCell>
    </>
  );
}
