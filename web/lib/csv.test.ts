import { csvField, toCsv } from './csv';

describe('CSV exports', () => {
  it('write a header and one line per row, in the columns’ order, with CRLF line ends', () => {
    const csv = toCsv(['B', 'A'] as const, [
      { A: '1', B: '2' },
      { A: '', B: 'x' },
    ]);
    expect(csv.split('\r\n')).toEqual(['B,A', '2,1', 'x,', '']);
  });

  it('quote commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('实例已过期')).toBe('实例已过期');
  });

  it('defuse values a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
  });
});
