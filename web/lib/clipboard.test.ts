import { copyText } from './clipboard';

/**
 * Plain-http intranet origins have no `navigator.clipboard` (it exists only in secure contexts), so copying must
 * fall back to selecting a textarea and `execCommand('copy')`.
 */
describe('copyText', () => {
  const clipboard = Object.getOwnPropertyDescriptor(navigator, 'clipboard');
  const execCommand = Object.getOwnPropertyDescriptor(document, 'execCommand');
  afterEach(() => {
    if (clipboard) Object.defineProperty(navigator, 'clipboard', clipboard);
    else Reflect.deleteProperty(navigator, 'clipboard');
    if (execCommand) Object.defineProperty(document, 'execCommand', execCommand);
    else Reflect.deleteProperty(document, 'execCommand');
  });

  function withoutClipboardApi(copy: (command: string) => boolean) {
    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
    const copied: string[] = [];
    const spy = vi.fn((command: string) => {
      // What the fallback selected is what the browser would copy.
      const area = document.activeElement instanceof HTMLTextAreaElement ? document.activeElement : document.querySelector('textarea');
      copied.push(area?.value.slice(area.selectionStart, area.selectionEnd) ?? '');
      return copy(command);
    });
    Object.defineProperty(document, 'execCommand', { value: spy, configurable: true });
    return { spy, copied };
  }

  it('uses the Clipboard API where the page has it', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    expect(await copyText('REQ-1')).toBe(true);
    expect(writeText).toHaveBeenCalledWith('REQ-1');
  });

  it('falls back to execCommand where there is no Clipboard API (plain http)', async () => {
    const { spy, copied } = withoutClipboardApi(() => true);
    expect(await copyText('REQ-2')).toBe(true);
    expect(spy).toHaveBeenCalledWith('copy');
    expect(copied).toEqual(['REQ-2']);
    // The helper textarea does not stay behind.
    expect(document.querySelector('textarea')).toBeNull();
  });

  it('falls back as well when the Clipboard API refuses, and says when nothing worked', async () => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('denied')) }, configurable: true });
    const spy = vi.fn(() => false);
    Object.defineProperty(document, 'execCommand', { value: spy, configurable: true });
    expect(await copyText('REQ-3')).toBe(false);
    expect(spy).toHaveBeenCalledWith('copy');
  });
});
