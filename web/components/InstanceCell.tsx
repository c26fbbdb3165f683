import Typography from '@mui/material/Typography';

export interface InstanceCellProps {
  InstanceId: string;
  InstanceName: string | undefined;
  /** One line each, cut with an ellipsis and the full name on hover (fixed-layout tables); otherwise they wrap. */
  isTruncated?: boolean;
}

const truncated = { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;

/** An instance as every table names it: its name (the ID when it has none) over its ID in monospace. */
export function InstanceCell({ InstanceId, InstanceName, isTruncated = false }: InstanceCellProps) {
  const cut = isTruncated ? truncated : {};
  return (
    <>
      <Typography variant="body2" sx={{ ...cut, fontWeight: 500 }} title={isTruncated ? InstanceName : undefined}>
        {InstanceName || InstanceId}
      </Typography>
      <Typography variant="caption" color="text.secondary" sx={{ ...cut, display: 'block', fontFamily: 'monospace' }}>
        {InstanceId}
      </Typography>
    </>
  );
}
