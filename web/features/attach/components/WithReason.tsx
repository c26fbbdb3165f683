import Box from '@mui/material/Box';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useId, type ReactNode } from 'react';

export interface WithReasonProps {
  /** Why the control is disabled; undefined when it is enabled. */
  reason: string | undefined;
  /** Also print the reason under the control (for the main action, where the operator looks first). */
  isReasonVisible?: boolean;
  children: (describedBy: string | undefined) => ReactNode;
}

/**
 * A disabled control that says why (issue 4 §11, accessibility): a tooltip on hover or keyboard focus (the
 * wrapper takes focus, since a disabled button cannot), and the same words as the control's accessible
 * description through aria-describedby.
 */
export function WithReason({ reason, isReasonVisible = false, children }: WithReasonProps) {
  const id = useId();
  const hasReason = reason !== undefined;
  // One tree whether or not there is a reason, so the control keeps its identity (and focus) when it changes.
  return (
    <Box component="span" sx={{ display: 'inline-flex', flexDirection: 'column', alignItems: 'flex-start' }}>
      <Tooltip title={reason ?? ''} describeChild>
        <Box
          component="span"
          tabIndex={hasReason ? 0 : undefined}
          sx={{ display: 'inline-flex', borderRadius: 1, '&:focus-visible': { outline: '2px solid', outlineColor: 'primary.main' } }}
        >
          {children(hasReason ? id : undefined)}
        </Box>
      </Tooltip>
      {hasReason &&
        (isReasonVisible ? (
          <Typography id={id} variant="caption" color="text.secondary" sx={{ display: 'block', mt: 0.5 }}>
            {reason}
          </Typography>
        ) : (
          <Box component="span" id={id} sx={visuallyHidden}>
            {reason}
          </Box>
        ))}
    </Box>
  );
}

const visuallyHidden = {
  position: 'absolute',
  // Strings, not numbers: MUI reads 1 as 100%.
  width: '1px',
  height: '1px',
  p: 0,
  m: -1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
  border: 0,
} as const;
