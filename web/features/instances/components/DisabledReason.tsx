import Box from '@mui/material/Box';
import Tooltip from '@mui/material/Tooltip';
import { useId, type ReactElement } from 'react';

/** Off-screen but read by assistive technology (the usual visually-hidden recipe). */
export const visuallyHidden = {
  border: 0,
  clip: 'rect(0 0 0 0)',
  height: '1px',
  margin: '-1px',
  overflow: 'hidden',
  padding: 0,
  position: 'absolute',
  whiteSpace: 'nowrap',
  width: '1px',
} as const;

export interface DisabledReasonProps {
  /** Why the control is disabled; undefined when it is not. */
  reason: string | undefined;
  /** Renders the control, given the id to put in its `aria-describedby` (undefined when enabled). */
  children: (describedBy: string | undefined) => ReactElement;
  /**
   * Let the wrapper take keyboard focus so the tooltip shows without a mouse. Off for row checkboxes: a tab stop
   * per Windows row would bury the selectable ones (their reason is still the checkbox's description).
   */
  isFocusable?: boolean;
}

/**
 * Disabled things say why (issue 4 §14): a tooltip for the pointer and an accessible description for screen
 * readers. The tooltip sits on a wrapper because a disabled control receives no pointer events.
 */
export function DisabledReason({ reason, children, isFocusable = false }: DisabledReasonProps) {
  const id = useId();
  if (reason === undefined) return children(undefined);
  return (
    <>
      <Tooltip title={reason} describeChild>
        <Box
          component="span"
          tabIndex={isFocusable ? 0 : undefined}
          sx={{ display: 'inline-flex', borderRadius: 1, '&:focus-visible': { outline: '2px solid', outlineColor: 'primary.main' } }}
        >
          {children(id)}
        </Box>
      </Tooltip>
      <Box component="span" id={id} sx={visuallyHidden}>
        {reason}
      </Box>
    </>
  );
}
