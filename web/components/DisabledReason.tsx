import Box from '@mui/material/Box';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import visuallyHidden from '@mui/utils/visuallyHidden';
import { useId, type ReactNode } from 'react';

export interface DisabledReasonProps {
  /** Why the control is disabled; undefined when it is enabled. */
  reason: string | undefined;
  /** Also print the reason under the control (for the main action, where the operator looks first). */
  isReasonVisible?: boolean;
  /**
   * Let the wrapper take keyboard focus while there is a reason, so the tooltip shows without a mouse (a disabled
   * button cannot take focus itself). Off for row checkboxes: a tab stop per Windows row would bury the selectable
   * ones, and their reason is still the checkbox's accessible description.
   */
  isFocusable?: boolean;
  /** Renders the control, given the id to put in its `aria-describedby` (undefined when enabled). */
  children: (describedBy: string | undefined) => ReactNode;
}

/**
 * A disabled control that says why (docs/product.md#console-qualities): a tooltip for the pointer and for keyboard
 * focus, on a wrapper because a disabled control receives no pointer events, and the same words as the control's
 * accessible description through aria-describedby.
 */
export function DisabledReason({ reason, isReasonVisible = false, isFocusable = true, children }: DisabledReasonProps) {
  const id = useId();
  const hasReason = reason !== undefined;
  // One tree whether or not there is a reason, so the control keeps its identity (and focus) when it changes.
  return (
    <Box component="span" sx={{ display: 'inline-flex', flexDirection: 'column', alignItems: 'flex-start' }}>
      <Tooltip title={reason ?? ''} describeChild>
        <Box
          component="span"
          tabIndex={hasReason && isFocusable ? 0 : undefined}
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
